// Smoke test of the chain foundation: a real `fedledger-node --dev` on loopback, driven by
// @polkadot/api. A balance transfer from Alice must be finalized by GRANDPA.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { mnemonicGenerate, cryptoWaitReady } from '@polkadot/util-crypto';

import { startNode, tail } from '../lib/node.mjs';

let node;
let api;

before(async () => {
  node = await startNode({ name: 'dev', args: ['--dev'] });
  api = await ApiPromise.create({ provider: new WsProvider(node.rpcUrl), noInitWarn: true });
});

after(async () => {
  await api?.disconnect();
  await node?.stop();
});

test('the runtime metadata lists the three fedledger pallets', () => {
  const pallets = api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString());
  for (const name of ['ModelRegistry', 'GradientCommitments', 'ContributionRewards']) {
    assert.ok(pallets.includes(name), `${name} missing from metadata: ${pallets.join(', ')}`);
  }
  assert.equal(api.runtimeVersion.specName.toString(), 'fedledger');
  assert.equal(api.registry.chainTokens[0], 'FLT');
});

test('a transfer from Alice is finalized and moves the balance', async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const recipient = keyring.addFromMnemonic(mnemonicGenerate());
  const amount = 10n ** 12n * 5n; // 5 FLT

  const before = (await api.query.system.account(recipient.address)).data.free.toBigInt();
  assert.equal(before, 0n);

  const outcome = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not finalized in 90 s\n${tail(node.log())}`)), 90_000);
    api.tx.balances
      .transferKeepAlive(recipient.address, amount)
      .signAndSend(alice, ({ status, events, dispatchError }) => {
        if (dispatchError) {
          clearTimeout(timer);
          reject(new Error(`transfer failed: ${dispatchError.toString()}`));
        } else if (status.isFinalized) {
          clearTimeout(timer);
          resolve({ blockHash: status.asFinalized, events });
        }
      })
      .catch((e) => { clearTimeout(timer); reject(e); });
  });

  const names = outcome.events.map(({ event }) => `${event.section}.${event.method}`);
  assert.ok(names.includes('balances.Transfer'), `events: ${names.join(', ')}`);
  assert.ok(names.includes('system.ExtrinsicSuccess'), `events: ${names.join(', ')}`);

  const finalizedHead = await api.rpc.chain.getFinalizedHead();
  const finalizedNumber = (await api.rpc.chain.getHeader(finalizedHead)).number.toNumber();
  const inclusionNumber = (await api.rpc.chain.getHeader(outcome.blockHash)).number.toNumber();
  assert.ok(finalizedNumber >= inclusionNumber, 'the inclusion block is finalized');

  const at = await api.at(outcome.blockHash);
  const afterBalance = (await at.query.system.account(recipient.address)).data.free.toBigInt();
  assert.equal(afterBalance, amount);
});

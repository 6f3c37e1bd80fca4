// Hostile model owners against a real chain (issue #11): a local testnet of real nodes (three
// FL validators, two trainers) whose workers are running, and an owner who registers what
// would halt, stall or bloat it — a giant model with 32 bytes of sparse weights, unbounded
// rule iterations and local work, saturating and one-block windows, more required updates
// than slots, and 17 × (register, retire) with rounds open to fill the agenda. Each must get a
// typed error or be harmless; then an honest model registered on the same chain must still
// finalize rounds, and no node's peak memory may exceed MEMORY_BOUND_KIB.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  account,
  bestNumber,
  connect,
  DispatchFailure,
  fundModel,
  initialWeights,
  logisticConfig,
  parameterCount,
  pollUntil,
  registerModel,
  registerModelTx,
  sendAll,
  UNIT,
  waitForRoundsFinalized,
  waitForTrainerBonds,
  waitForValidators,
} from '../lib/chain.mjs';
import { rpcCall } from '../lib/node.mjs';
import { MINUTE, OWNER_SURI } from '../lib/scenario.mjs';
import { startTestnet } from '../lib/testnet.mjs';

const ATTACKER_SURI = '//Eve//stash';
/** Rounds the honest model must finalize after the attacks. */
const ROUNDS = 3;
/**
 * Peak resident memory (VmHWM) any node may reach: 1 GiB. A node following the giant model
 * would try to allocate 16 GB; in this test validators peak near 125 MiB and trainers (which
 * hold their Fashion-MNIST shard) near 390 MiB.
 */
const MEMORY_BOUND_KIB = 1024 * 1024;

/** A 32-byte top-k payload with k = 0 claiming `params` parameters (the codec's header). */
function sparseClaiming(params) {
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  bytes.set([0x46, 0x4c, 0x54, 0x43], 0); // "FLTC"
  bytes[4] = 1; // codec version
  bytes[5] = 3; // kind: top-k sparse
  bytes[6] = 1; // one dimension
  view.setUint32(8, params, true); // param_count
  view.setUint32(12, params, true); // dims[0]
  view.setUint32(28, 0, true); // k = 0: no body
  return bytes;
}

/** Peak resident set of a node's process, in KiB. */
function peakMemoryKib(node) {
  const status = readFileSync(`/proc/${node.child.pid}/status`, 'utf8');
  const match = status.match(/^VmHWM:\s+(\d+) kB$/m);
  assert.ok(match, `no VmHWM in /proc/${node.child.pid}/status`);
  return Number(match[1]);
}

describe('hostile registrations on a live chain', { timeout: 15 * MINUTE }, () => {
  let net;
  let api;
  let attacker;

  before(async () => {
    net = await startTestnet({ trainers: 2 });
    api = await connect(net.wsUrl);
    attacker = await account(ATTACKER_SURI);
    await waitForValidators(api, net.validators.length, 3 * MINUTE);
  });

  after(async () => {
    await api?.disconnect();
    await net?.stop();
  });

  test('each hostile configuration gets its typed error', async () => {
    const base = () => logisticConfig({ minUpdates: 3 });
    const giant = base();
    giant.architecture.kind = { Mlp: { hidden: [5_000_000, 0] } };
    const iterations = base();
    iterations.aggregation = { ...iterations.aggregation, rule: { GeometricMedian: { iters: 4_294_967_295, eps: 1_000 } } };
    const localWork = base();
    localWork.hyperParams.localEpochs = 65_535;
    localWork.hyperParams.batchSize = 1;
    const cases = [
      { what: 'MLP 784-[5 000 000]-10 with 32-byte sparse weights', config: giant, weights: sparseClaiming(3_975_000_010), error: 'TooManyParameters' },
      { what: 'GeometricMedian with u32::MAX iterations', config: iterations, error: 'TooManyRuleIterations' },
      { what: '65 535 local epochs at batch size 1', config: localWork, error: 'TooMuchLocalWork' },
      { what: 'a u32::MAX commit window', config: logisticConfig({ commit: 4_294_967_295, minUpdates: 1 }), error: 'PhaseTooLong' },
      { what: 'a one-block reveal window', config: logisticConfig({ reveal: 1, minUpdates: 1 }), error: 'PhaseTooShort' },
      { what: 'min_updates of 100 000 (64 slots)', config: logisticConfig({ minUpdates: 100_000 }), error: 'MoreUpdatesThanSlots' },
    ];
    const nextId = (await api.query.modelRegistry.nextModelId()).toNumber();
    const results = await sendAll(api, attacker, cases.map((c) =>
      registerModelTx(api, c.config, c.weights ?? initialWeights(parameterCount(c.config)))));
    for (const [i, c] of cases.entries()) {
      const r = results[i];
      assert.equal(r.status, 'rejected', `${c.what} was accepted`);
      assert.ok(r.reason instanceof DispatchFailure, `${c.what}: ${r.reason}`);
      assert.equal(`${r.reason.section}.${r.reason.errorName}`, `modelRegistry.${c.error}`, c.what);
    }
    assert.equal((await api.query.modelRegistry.nextModelId()).toNumber(), nextId, 'no model was stored');
    const held = await api.query.balances.holds(attacker.address);
    assert.equal(held.length, 0, `the attacker has holds: ${held.toString()}`);
  });

  test('17 × (register, retire) with rounds open leaves the agenda free', async () => {
    // The longest window the chain allows, so that on a chain where retiring kept the slot
    // the models would hold it for an hour.
    const maxPhase = api.consts.gradientCommitments.maxPhaseBlocks.toNumber();
    const config = logisticConfig({ commit: maxPhase, minUpdates: 1 });
    const weights = initialWeights(parameterCount(config));
    const ids = [];
    for (const wave of [8, 9]) {
      const registered = await sendAll(api, attacker, Array.from({ length: wave }, () => registerModelTx(api, config, weights)));
      const models = registered.map((r) => {
        assert.equal(r.status, 'fulfilled', `register failed: ${r.reason}`);
        const record = r.value.events.find(({ event }) => api.events.modelRegistry.ModelRegistered.is(event));
        return record.event.data.model.toNumber();
      });
      // Each model's first round opens in the block after its registration.
      await pollUntil(async () => {
        const rounds = await Promise.all(models.map((m) => api.call.fedLedgerApi.currentRound(m)));
        return rounds.every((r) => r.isSome);
      }, { timeoutMs: MINUTE, what: 'the first rounds of the wave to open' });
      const retired = await sendAll(api, attacker, models.map((m) => api.tx.modelRegistry.retireModel(m)));
      for (const r of retired) assert.equal(r.status, 'fulfilled', `retire failed: ${r.reason}`);
      ids.push(...models);
    }
    assert.equal(ids.length, 17);
    const agenda = await api.query.gradientCommitments.agenda();
    assert.equal(agenda.length, 0, `agenda still holds ${agenda.toString()}`);
    const listed = (await api.call.fedLedgerApi.models()).map((id) => id.toNumber());
    assert.deepEqual(listed.filter((id) => ids.includes(id)), [], 'retired models are still listed for workers');
  });

  test('an honest model still finalizes rounds, and no node ran out of memory', async () => {
    const owner = await account(OWNER_SURI);
    const config = logisticConfig({ minUpdates: 2, reward: 100n * UNIT });
    const from = await bestNumber(api);
    const { model } = await registerModel(api, owner, config, initialWeights(parameterCount(config)));
    await fundModel(api, owner, model, 10_000n * UNIT);
    await waitForTrainerBonds(api, model, net.trainers.map((t) => t.address), 3 * MINUTE);
    const rounds = await waitForRoundsFinalized(api, model, ROUNDS, { fromBlock: from, timeoutMs: 8 * MINUTE });
    assert.equal(rounds.length, ROUNDS);
    // The validator's worker follows the honest model and none of the retired ones.
    const status = await pollUntil(async () => {
      const s = await rpcCall(net.validators[0].node.rpcPort, 'fedledger_workerStatus');
      return s.models.some((m) => m.model === model && m.verified) ? s : null;
    }, { timeoutMs: MINUTE, what: `the validator to verify model ${model}` });
    assert.deepEqual(status.models.map((m) => m.model), [model]);
    for (const m of net.members) {
      const peak = peakMemoryKib(m.node);
      console.log(`${m.name}: VmHWM ${(peak / 1024).toFixed(0)} MiB (bound ${(MEMORY_BOUND_KIB / 1024).toFixed(0)} MiB)`);
      assert.ok(peak < MEMORY_BOUND_KIB, `${m.name} peaked at ${peak} KiB`);
    }
  });
});

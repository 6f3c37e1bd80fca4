// End-to-end federated training on a local testnet of real nodes: three validators (Alice, Bob,
// Charlie) and trainer nodes with private shards of Fashion-MNIST. A model owner registers and
// funds a logistic-regression model with polkadot.js; the nodes' workers train, commit, reveal,
// aggregate and report on their own. The tests then check what a user of the chain would:
// the version chain, the model's test accuracy, that a poisoning trainer earns nothing, that
// rewards add up to the unit, that claims pay out, and that a validator crash heals.
//
// Slow by nature (rounds take ~10 blocks of 3 s): the whole file runs for about 10–15 minutes.
// Set FEDLEDGER_E2E_KEEP=1 to keep the nodes' logs, FEDLEDGER_E2E_LOG=fl-worker=debug for more.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { hexToU8a } from '@polkadot/util';

import {
  account,
  bestNumber,
  blockNumberOf,
  collectEvents,
  connect,
  decodeTensorF32,
  describeDispatchError,
  formatFlt,
  isEvent,
  isNonceRace,
  modelInfo,
  parameterCount,
  pollUntil,
  roundFinalized,
  sha3Hex,
  signAndWait,
  versionRecord,
  waitForEvent,
  waitForRoundsFinalized,
} from '../lib/chain.mjs';
import { rpcCall, simBinary } from '../lib/node.mjs';
import { datasetDir, startTestnet } from '../lib/testnet.mjs';
import {
  FUND,
  logRound,
  MINUTE,
  ofModel,
  registerFundedModel,
  trainingConfig,
} from '../lib/scenario.mjs';

/** Rounds the training test waits for; the version chain is checked over v0..v5. */
const ROUNDS = 5;
/** Chance on 10 classes is 0.1; logistic regression reaches ~0.84 centrally. */
const MIN_ACCURACY = 0.6;

/** Weights of a model version from a node's `fedledger_modelWeights`, once it has rebuilt them. */
async function weightsFromNode(node, model, version) {
  const hex = await pollUntil(() => rpcCall(node.rpcPort, 'fedledger_modelWeights', [model, version]), {
    timeoutMs: MINUTE,
    what: `${node.name} to serve the weights of model ${model} v${version}`,
  });
  return hexToU8a(hex);
}

/** Test accuracy of canonical weights on the Fashion-MNIST test split, by `fedledger-sim evaluate`. */
async function evaluate(weights) {
  const dir = mkdtempSync(join(tmpdir(), 'fedledger-eval-'));
  try {
    const file = join(dir, 'weights.fltc');
    writeFileSync(file, weights);
    const { stdout } = await promisify(execFile)(simBinary(), ['evaluate', '--weights', file, '--data', datasetDir()]);
    const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
    assert.ok(line, `fedledger-sim evaluate printed no JSON line: ${stdout}`);
    return JSON.parse(line);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The best block number a node reports over its own RPC. */
async function nodeBest(node) {
  const header = await rpcCall(node.rpcPort, 'chain_getHeader');
  return parseInt(header.number, 16);
}

/** The finalized block number the API's node reports. */
async function finalizedNumber(api) {
  return blockNumberOf(api, await api.rpc.chain.getFinalizedHead());
}

/** The worker status row of `model` on a node, or undefined. */
async function workerModelRow(node, model) {
  const status = await rpcCall(node.rpcPort, 'fedledger_workerStatus');
  return { status, row: status.models.find((m) => m.model === model) };
}

/**
 * Whether the update at `index` of a finalized round was in its accepted set, decided as the
 * pallet does: among the reports of the finalized hash, those accepting it must hold a strict
 * majority of their stake.
 */
async function acceptedByQuorum(api, model, round, index) {
  const entries = await api.query.gradientCommitments.reports.entries([model, round.round]);
  let matchingStake = 0n;
  let acceptStake = 0n;
  for (const [, value] of entries) {
    const report = value.unwrap();
    if (report.modelHash.toHex() !== round.modelHash) continue;
    matchingStake += report.stake.toBigInt();
    if (report.accepted.some((i) => i.toNumber() === index)) acceptStake += report.stake.toBigInt();
  }
  return acceptStake * 2n > matchingStake;
}

/** Sums a BigInt field over records. */
function sum(records, field) {
  return records.reduce((acc, r) => acc + r.data[field].toBigInt(), 0n);
}

/**
 * Claims `signer`'s pending rewards. The trainer's own worker signs with the same key, so the
 * pool may refuse our transaction for a nonce the worker just took: try again then.
 */
async function claimRewards(api, signer) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await signAndWait(api.tx.contributionRewards.claimRewards(), signer);
    } catch (e) {
      if (attempt >= 3 || !isNonceRace(e)) throw e;
      await new Promise((r) => setTimeout(r, 3_000));
    }
  }
}

// -------------------------------------------------------------------------------------------
// (a) Training with a poisoning trainer
// -------------------------------------------------------------------------------------------

describe('federated training on a local testnet with a sign-flipping trainer', { timeout: 25 * MINUTE }, () => {
  /** Trainer index 3 (//Alice//stash) runs the attacks build with `--fl-attack sign-flip`. */
  const MALICIOUS = 3;
  /**
   * Multi-Krum (f = 1, keep m = 4) rejects whole updates, so "rejected" means what it says.
   * Krum needs n ≥ 2f + 3 = 5 updates: six trainers (five honest) with a minimum of five
   * leave room for one late trainer.
   */
  const TRAINER_COUNT = 6;
  const config = trainingConfig(5, 'multi-krum:1:4');
  let net;
  let api;
  let setup;
  let rounds;

  before(async () => {
    assert.ok(existsSync(simBinary()), `${simBinary()} is missing: build it with scripts/build.sh`);
    net = await startTestnet({ trainers: TRAINER_COUNT, malicious: { index: MALICIOUS, attack: 'sign-flip' } });
    console.log(`testnet up in ${net.rootDir}`);
    try {
      api = await connect(net.wsUrl);
      setup = await registerFundedModel(api, net, config);
      rounds = await waitForRoundsFinalized(api, setup.model, ROUNDS, {
        fromBlock: setup.blockNumber,
        timeoutMs: 12 * MINUTE,
        onRound: logRound,
      });
    } catch (e) {
      e.message += `\n${net.logTails()}`;
      throw e;
    }
  }, { timeout: 20 * MINUTE });

  after(async () => {
    await api?.disconnect();
    await net?.stop();
  });

  test('the version chain links every version to its parent', async () => {
    const { model } = setup;
    const head = await modelInfo(api, model);
    assert.ok(head.version >= ROUNDS, `model at v${head.version}, expected ≥ v${ROUNDS}`);
    let parent = null;
    for (let v = 0; v <= ROUNDS; v++) {
      const record = await versionRecord(api, model, v);
      assert.ok(record, `version ${v} exists`);
      assert.equal(record.parent, parent, `version ${v} names version ${v - 1}'s hash as parent`);
      if (v === 0) {
        // The chain hashed exactly the bytes we built: our codec matches the runtime's.
        assert.equal(record.hash, setup.initialHash);
        assert.equal(record.hash, sha3Hex(setup.weights));
        assert.equal(record.round, null);
      } else {
        assert.notEqual(record.round, null, `version ${v} records its round`);
      }
      parent = record.hash;
    }
    for (const r of rounds) {
      const record = await versionRecord(api, model, r.version);
      assert.equal(record.hash, r.modelHash, `round ${r.round} appended the hash it finalized`);
      assert.equal(record.round, r.round);
    }
  });

  test('the latest global model classifies Fashion-MNIST far above chance', async () => {
    const { model } = setup;
    const { version } = await modelInfo(api, model);
    const weights = await weightsFromNode(net.validators[0].node, model, version);
    // The node serves only versions it rebuilt and matched with the chain; check that anyway.
    assert.equal(sha3Hex(weights), (await versionRecord(api, model, version)).hash);
    assert.equal(decodeTensorF32(weights).paramCount, parameterCount(config));
    const result = await evaluate(weights);
    console.log(`model ${model} v${version}: test accuracy ${result.accuracy}, loss ${result.loss} on ${result.samples} images`);
    assert.ok(result.accuracy >= MIN_ACCURACY, `accuracy ${result.accuracy} < ${MIN_ACCURACY}`);
  });

  test('the sign-flipping trainer gets no weight and earns nothing', async () => {
    const { model } = setup;
    const attacker = net.trainers[MALICIOUS];
    const records = await collectEvents(api, setup.blockNumber);
    const scoreOf = (round) => records.find(
      (r) => isEvent(r, 'contributionRewards', 'TrainerScored') && ofModel(model)(r) &&
        r.data.round.toNumber() === round && r.data.trainer.toString() === attacker.address,
    )?.data.score.toNumber();

    let roundsWithAttack = 0;
    for (const r of rounds) {
      const order = (await api.call.fedLedgerApi.roundUpdates(model, r.round)).map(([who]) => who.toString());
      const index = order.indexOf(attacker.address);
      if (index < 0) continue; // it missed this round
      roundsWithAttack += 1;
      // Multi-Krum selects whole updates: the poisoned one must be outside the accepted set
      // the quorum agreed on, and score nothing.
      assert.ok(!(await acceptedByQuorum(api, model, r, index)), `round ${r.round}: the poisoned update was accepted`);
      assert.equal(scoreOf(r.round) ?? 0, 0, `round ${r.round}: the poisoned update scored`);
    }
    assert.ok(roundsWithAttack > 0, 'the attacker revealed in no finalized round: nothing was tested');

    const credited = records.filter((r) => isEvent(r, 'contributionRewards', 'RewardCredited') && r.data.who.toString() === attacker.address);
    assert.deepEqual(credited.map((r) => r.data.amount.toString()), [], 'no reward credited to the attacker');
    assert.equal((await api.call.fedLedgerApi.pendingRewards(attacker.address)).toBigInt(), 0n);
    const attribution = await api.call.fedLedgerApi.attribution(model, attacker.address);
    assert.equal(attribution.asOwner.toBigInt() + attribution.asValidator.toBigInt() + attribution.asTrainer.toBigInt(), 0n);
    assert.equal(attribution.rounds.toNumber(), 0);

    // …while honest trainers did earn (a very skewed shard may score 0 in a round, so this
    // asks for earnings among the honest, not from each of them).
    const honest = net.trainers.filter((t) => t !== attacker);
    const honestPending = await Promise.all(honest.map(async (t) => (await api.call.fedLedgerApi.pendingRewards(t.address)).toBigInt()));
    console.log(`pending: ${honest.map((t, i) => `${t.name} ${formatFlt(honestPending[i])}`).join(', ')}`);
    assert.ok(honestPending.some((p) => p > 0n), 'honest trainers earned');
  });

  test('pending rewards add up exactly to what the finalized rounds released', async () => {
    const { model } = setup;
    // Read everything at one finalized block: its history is the same on every node.
    const lastRoundBlock = rounds.at(-1).blockNumber;
    const atHash = await pollUntil(async () => {
      const head = await api.rpc.chain.getFinalizedHead();
      return (await blockNumberOf(api, head)) >= lastRoundBlock ? head : null;
    }, { timeoutMs: 3 * MINUTE, what: 'GRANDPA to finalize the last counted round' });
    const apiAt = await api.at(atHash);
    const records = (await collectEvents(api, setup.blockNumber, { toHash: atHash })).filter(ofModel(model));
    const named = (section, method) => records.filter((r) => isEvent(r, section, method));

    const finalized = named('gradientCommitments', 'RoundFinalized').map(roundFinalized);
    const released = finalized.reduce((acc, r) => acc + r.reward, 0n);
    assert.ok(finalized.length >= ROUNDS);

    // Per round: what left the pool (`reward`) is the release minus what went back to it.
    const rewarded = named('contributionRewards', 'RoundRewarded');
    assert.equal(rewarded.length, finalized.length);
    for (const r of finalized) {
      const rr = rewarded.find((x) => x.data.round.toNumber() === r.round);
      assert.ok(rr, `RoundRewarded for round ${r.round}`);
      assert.equal(rr.data.released.toBigInt() - rr.data.returned.toBigInt(), r.reward, `round ${r.round}`);
    }

    // Every credited unit is somebody's pending balance, and nothing else is pending.
    const credited = new Map();
    for (const r of named('contributionRewards', 'RewardCredited')) {
      const who = r.data.who.toString();
      credited.set(who, (credited.get(who) ?? 0n) + r.data.amount.toBigInt());
    }
    assert.equal([...credited.values()].reduce((a, b) => a + b, 0n), released);
    const participants = [setup.owner.address, ...net.members.map((m) => m.address)];
    let pendingTotal = 0n;
    for (const who of participants) {
      const pending = (await apiAt.query.contributionRewards.pendingRewards(who)).toBigInt();
      assert.equal(pending, credited.get(who) ?? 0n, `pending of ${who}`);
      pendingTotal += pending;
    }
    assert.equal(pendingTotal, released, 'owner + validators + trainers = released');
    assert.equal((await apiAt.query.contributionRewards.totalPending()).toBigInt(), released);

    // The owner's share is exactly 10 % of each release (exact here: 1000 FLT · 10 %).
    const ownerShare = rewarded.reduce((acc, r) => acc + (r.data.released.toBigInt() * 100_000_000n) / 1_000_000_000n, 0n);
    assert.equal(credited.get(setup.owner.address), ownerShare);

    // The pool: funded + emission − what the rounds released. Slashed bonds are burnt, never
    // credited to the pool: the model's owner must not profit from trainers' faults.
    const funded = sum(named('contributionRewards', 'PoolFunded'), 'amount');
    const emission = api.consts.contributionRewards.emissionPerRound.toBigInt() * BigInt(finalized.length);
    const pool = (await apiAt.query.contributionRewards.pools(model)).toBigInt();
    assert.equal(funded, FUND);
    assert.equal(pool, funded + emission - released);
  });

  test('claimRewards moves an honest trainer\'s pending rewards to its free balance', async () => {
    const { model } = setup;
    // The honest trainer with the most pending rewards.
    const pendingOf = async (t) => (await api.call.fedLedgerApi.pendingRewards(t.address)).toBigInt();
    const honest = net.trainers.filter((t) => !t.attack);
    const pending = await Promise.all(honest.map(pendingOf));
    const trainer = honest[pending.indexOf(pending.reduce((a, b) => (b > a ? b : a)))];
    assert.ok((await pendingOf(trainer)) > 0n, 'an honest trainer has rewards to claim');
    const signer = await account(trainer.suri);

    // Claim while a round aggregates: the trainer's worker has revealed and signs nothing until
    // the next round opens, so our transaction does not compete with it for a nonce.
    await waitForEvent(api, (r) => isEvent(r, 'gradientCommitments', 'AggregationStarted') && ofModel(model)(r), 3 * MINUTE, {
      what: 'an aggregate phase',
    });
    const included = await claimRewards(api, signer);
    const block = included.blockHash;
    const parent = (await api.rpc.chain.getHeader(block)).parentHash;
    const number = await blockNumberOf(api, block);
    const inBlock = await collectEvents(api, number, { toHash: block });
    const mine = (section, method) => inBlock.filter((r) => isEvent(r, section, method) && r.data.who.toString() === trainer.address);

    const claimed = mine('contributionRewards', 'RewardsClaimed');
    assert.equal(claimed.length, 1);
    const amount = claimed[0].data.amount.toBigInt();
    const claimIndex = claimed[0].extrinsicIndex;
    // A round may finalize in the same block; credits before the claim are part of it.
    const credits = mine('contributionRewards', 'RewardCredited');
    const creditedBefore = credits.filter((r) => r.extrinsicIndex !== null && r.extrinsicIndex < claimIndex);
    const creditedAfter = credits.filter((r) => !creditedBefore.includes(r));

    const [before, after] = [await api.at(parent), await api.at(block)];
    const pendingBefore = (await before.query.contributionRewards.pendingRewards(trainer.address)).toBigInt();
    assert.equal(amount, pendingBefore + sum(creditedBefore, 'amount'), 'claimed all that was pending');
    assert.equal((await after.query.contributionRewards.pendingRewards(trainer.address)).toBigInt(), sum(creditedAfter, 'amount'));

    // Fees this account paid in the block: the claim's, plus any worker transaction's.
    const fees = sum(mine('transactionPayment', 'TransactionFeePaid'), 'actualFee');
    const freeBefore = (await before.query.system.account(trainer.address)).data.free.toBigInt();
    const freeAfter = (await after.query.system.account(trainer.address)).data.free.toBigInt();
    console.log(`${trainer.name} claimed ${formatFlt(amount)}, paid ${fees} plancks in fees`);
    assert.equal(freeAfter - freeBefore, amount - fees);
  });

  test('every worker shows its role, its activity and the verified latest version', async () => {
    const { model } = setup;
    for (const m of net.members) {
      const { status, row } = await pollUntil(async () => {
        const s = await workerModelRow(m.node, model);
        return s.row?.verified && s.row.version >= ROUNDS ? s : null;
      }, { timeoutMs: 2 * MINUTE, what: `${m.name}'s worker to verify model ${model} v${ROUNDS}+` });
      assert.equal(status.account, m.address, `${m.name}'s FL account`);
      assert.equal(status.mismatches, 0, `${m.name} rebuilt every version bit for bit`);
      assert.match(row.hash ?? '', /^(0x)?[0-9a-f]{64}$/);
      if (m.role === 'validator') {
        assert.equal(status.validator, true);
        assert.ok(status.reports > 0, `${m.name} reported`);
      } else {
        assert.equal(status.trainer, true);
        assert.ok(status.commits > 0 && status.reveals > 0, `${m.name} committed and revealed`);
      }
    }
    const metrics = await (await fetch(`http://127.0.0.1:${net.validators[0].node.prometheusPort}/metrics`)).text();
    assert.match(metrics, /^fedledger_worker_\w+/m, 'worker metrics are exported');
  });
});

// -------------------------------------------------------------------------------------------
// (b) A validator crash mid-round
// -------------------------------------------------------------------------------------------

describe('a validator killed mid-round and restarted', { timeout: 30 * MINUTE }, () => {
  const VICTIM = 'charlie';
  let net;
  let api;
  let setup;
  let killedAt;
  let aggregatingRound;

  before(async () => {
    net = await startTestnet({ trainers: 3 });
    console.log(`testnet up in ${net.rootDir}`);
    try {
      // The API talks to Alice, who stays up.
      api = await connect(net.wsUrl);
      // Two of three trainers suffice, so a slow trainer does not fail a round.
      setup = await registerFundedModel(api, net, trainingConfig(2));
    } catch (e) {
      e.message += `\n${net.logTails()}`;
      throw e;
    }
  }, { timeout: 10 * MINUTE });

  after(async () => {
    await api?.disconnect();
    await net?.stop();
  });

  test('two rounds finalize with every validator up', { timeout: 9 * MINUTE }, async () => {
    const rounds = await waitForRoundsFinalized(api, setup.model, 2, {
      fromBlock: setup.blockNumber,
      timeoutMs: 8 * MINUTE,
      onRound: logRound,
    });
    assert.equal(rounds.length, 2);
  });

  test('with one validator SIGKILLed mid-round, rounds keep finalizing', { timeout: 15 * MINUTE }, async () => {
    const { model } = setup;
    // Kill it in the middle of the next round, while validators aggregate: it may or may not
    // have sent its report, which is what a restart must cope with.
    const aggregating = await waitForEvent(api, (r) => isEvent(r, 'gradientCommitments', 'AggregationStarted') && ofModel(model)(r), 3 * MINUTE, {
      what: 'the next aggregate phase',
    });
    aggregatingRound = aggregating.data.round.toNumber();
    await net.kill(VICTIM);
    killedAt = await bestNumber(api);
    console.log(`${VICTIM} killed at block ${killedAt}, during round ${aggregatingRound}'s aggregate phase`);

    // Two validators of three hold 2/3 of the stake: enough for quorum. GRANDPA stalls (it
    // needs all three of three), but the workers act on the best chain.
    const more = await waitForRoundsFinalized(api, model, 2, { fromBlock: killedAt + 1, timeoutMs: 10 * MINUTE, onRound: logRound });
    const victim = net.member(VICTIM).address;
    for (const r of more.filter((x) => x.round > aggregatingRound)) {
      const reported = await api.call.fedLedgerApi.reportedHash(model, r.round, victim);
      assert.ok(reported.isNone, `round ${r.round} finalized without ${VICTIM}`);
    }
  });

  test('the restarted validator catches up with the chain and the model', { timeout: 20 * MINUTE }, async () => {
    const { model } = setup;
    const victim = net.member(VICTIM);
    await net.restart(VICTIM);
    const restartedAt = await bestNumber(api);
    const alice = net.validators[0].node;

    await pollUntil(async () => (await nodeBest(victim.node)) >= (await nodeBest(alice)) - 1, {
      timeoutMs: 3 * MINUTE,
      what: `${VICTIM}'s best block to reach Alice's`,
    });
    // With its third voter back, GRANDPA finalizes past the blocks authored during the outage.
    await pollUntil(async () => (await finalizedNumber(api)) > killedAt, {
      timeoutMs: 5 * MINUTE,
      what: `finality to pass block ${killedAt}`,
    });
    // Its worker rebuilt the versions finalized while it was down and matched the chain.
    await pollUntil(async () => {
      const { row } = await workerModelRow(victim.node, model);
      return row?.verified && row.version >= (await modelInfo(api, model)).version - 1;
    }, { timeoutMs: 3 * MINUTE, what: `${VICTIM}'s worker to verify the current version` });
    // And it takes part again.
    await waitForEvent(
      api,
      (r) => isEvent(r, 'gradientCommitments', 'AggregateReported') && ofModel(model)(r) && r.data.validator.toString() === victim.address,
      8 * MINUTE,
      { fromBlock: restartedAt, what: `a report from the restarted ${VICTIM}` },
    );
  });

  test('no validator reported twice for a round, and none had a report fail', { timeout: 5 * MINUTE }, async () => {
    const { model } = setup;
    const records = await collectEvents(api, setup.blockNumber, { withBody: true });
    const reports = new Set();
    // Each report was committed to first, in an earlier block, once (reports are committed,
    // then revealed, so that none can be copied from the pool).
    const committedAt = new Map();
    const key = (r) => `round ${r.data.round.toNumber()} by ${r.data.validator.toString()}`;
    for (const r of records.filter((x) => isEvent(x, 'gradientCommitments', 'ReportCommitted') && ofModel(model)(x))) {
      assert.ok(!committedAt.has(key(r)), `two report commitments: ${key(r)}`);
      committedAt.set(key(r), r.blockNumber);
    }
    for (const r of records.filter((x) => isEvent(x, 'gradientCommitments', 'AggregateReported') && ofModel(model)(x))) {
      assert.ok(!reports.has(key(r)), `two reports: ${key(r)}`);
      assert.ok(committedAt.get(key(r)) < r.blockNumber, `${key(r)}: revealed in block ${r.blockNumber}, committed in ${committedAt.get(key(r))}`);
      reports.add(key(r));
    }
    // A re-sent report would fail with AlreadyReported (or another of the pallet's errors).
    const validators = new Set(net.validators.map((v) => v.address));
    const failures = records
      .filter((r) => isEvent(r, 'system', 'ExtrinsicFailed') && validators.has(r.signer))
      .map((r) => `block ${r.blockNumber} by ${r.signer}: ${describeDispatchError(api, r.data.dispatchError).text}`)
      .filter((text) => text.includes('gradientCommitments.'));
    assert.deepEqual(failures, []);
    assert.ok(reports.size > 0);
  });
});

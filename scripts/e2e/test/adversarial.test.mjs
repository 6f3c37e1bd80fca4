// The adversarial testnet (issue #12, item 7): real nodes on loopback, one of the three FL
// validators a liar — Charlie runs the attacks build with `--fl-lie`, so every report he sends
// names the true update set but a wrong model hash, every update accepted and the scores
// reversed, with a third of the stake — and a model owner who pauses the model mid-reveal.
//
// What must hold: the honest hash finalizes every round, the trainers are paid the honest
// validators' scores, only the liar is slashed (and not paid); a swarm of sybils committing
// to take the update slots gets them only by the lottery (the drawn commitments are exactly
// the lowest tickets, recomputed here from chain data), and pays for every slot it leaves
// empty; and the pause slashes nobody.
// (The validator killed with SIGKILL and restarted is `training.test.mjs`'s last part.)
//
// About 6 minutes: three validators, three trainers, two rounds, the squatted one and the
// paused one.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

import {
  account,
  bestNumber,
  blockNumberOf,
  collectEvents,
  connect,
  formatFlt,
  isEvent,
  sendAll,
  signAndWait,
  UNIT,
  waitForEvent,
  waitForRoundsFinalized,
} from '../lib/chain.mjs';
import { logRound, MINUTE, ofModel, registerFundedModel, trainingConfig } from '../lib/scenario.mjs';
import { startTestnet } from '../lib/testnet.mjs';

const LIAR = 'charlie';
const ROUNDS = 2;
/** Endowed, and neither a node's key nor the owner in a testnet of three trainers. */
const FUNDER_SURI = '//Bob//stash';
/** Each sybil's funds: the minimum bond, the commitment deposit (reward / slots) and fees. */
const SYBIL_FUNDS = 100n * UNIT;

/** A u32 in SCALE (little endian). */
function u32le(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

describe('a lying validator and an owner pausing mid-reveal on a local testnet', { timeout: 20 * MINUTE }, () => {
  let net;
  let api;
  let setup;
  let rounds;
  /** Every event of the model from its registration to the last counted round. */
  let records;

  before(async () => {
    net = await startTestnet({ trainers: 3, liar: LIAR });
    console.log(`testnet up in ${net.rootDir}`);
    try {
      api = await connect(net.wsUrl);
      // Two of three trainers suffice, so a slow trainer does not fail a round.
      setup = await registerFundedModel(api, net, trainingConfig(2));
      rounds = await waitForRoundsFinalized(api, setup.model, ROUNDS, {
        fromBlock: setup.blockNumber,
        timeoutMs: 8 * MINUTE,
        onRound: logRound,
      });
      records = (await collectEvents(api, setup.blockNumber, { toHash: rounds.at(-1).blockHash }))
        .filter(ofModel(setup.model));
    } catch (e) {
      e.message += `\n${net.logTails()}`;
      throw e;
    }
  }, { timeout: 12 * MINUTE });

  after(async () => {
    await api?.disconnect();
    await net?.stop();
  });

  /** Each validator's report of a finalized round, by name, read at its finalization block. */
  async function reportsOf(round) {
    const apiAt = await api.at(round.blockHash);
    const out = {};
    for (const v of net.validators) {
      const report = await apiAt.query.gradientCommitments.reports([setup.model, round.round], v.address);
      if (report.isSome) out[v.name] = report.unwrap();
    }
    return out;
  }

  test('the honest hash finalizes every round; the liar reported another', async () => {
    for (const round of rounds) {
      const reports = await reportsOf(round);
      assert.deepEqual(Object.keys(reports).sort(), ['alice', 'bob', 'charlie'], `round ${round.round}: every validator reported`);
      assert.equal(reports.alice.modelHash.toHex(), round.modelHash, `round ${round.round}: Alice's hash finalized`);
      assert.equal(reports.bob.modelHash.toHex(), round.modelHash, `round ${round.round}: Bob's hash finalized`);
      // The lie is stored, so it named the true update set (a report over another set is
      // refused with `WrongUpdateSet`, not stored and not slashed).
      assert.notEqual(reports[LIAR].modelHash.toHex(), round.modelHash, `round ${round.round}: the liar lied`);
    }
  });

  test('only the liar is slashed, every round, and only the honest validators are paid', async () => {
    const liar = net.member(LIAR).address;
    const slashed = records.filter((r) => isEvent(r, 'gradientCommitments', 'ValidatorSlashed'));
    assert.deepEqual([...new Set(slashed.map((r) => r.data.validator.toString()))], [liar]);
    for (const round of rounds) {
      const slash = slashed.find((r) => r.data.round.toNumber() === round.round);
      assert.ok(slash, `the liar is slashed for round ${round.round}`);
      assert.equal(slash.data.fault.toString(), 'ContradictingReport');
      assert.ok(slash.data.amount.toBigInt() > 0n);
      console.log(`round ${round.round}: the liar lost ${formatFlt(slash.data.amount.toBigInt())} of its bond`);
    }
    assert.ok(!records.some((r) => isEvent(r, 'gradientCommitments', 'TrainerSlashed')), 'no trainer slashed');
    const paidValidators = new Set(records
      .filter((r) => isEvent(r, 'contributionRewards', 'RewardCredited') && r.data.role.toString() === 'Validator')
      .map((r) => r.data.who.toString()));
    assert.deepEqual([...paidValidators].sort(), [net.member('alice').address, net.member('bob').address].sort());
  });

  test('trainers are scored by the honest reports, not by the liar\'s', async () => {
    let liarDiffered = false;
    for (const round of rounds) {
      const reports = await reportsOf(round);
      const order = (await (await api.at(round.blockHash)).query.gradientCommitments.updateOrder([setup.model, round.round]))
        .map((a) => a.toString());
      const honest = reports.alice.scores.map((s) => s.toNumber());
      const lie = reports[LIAR].scores.map((s) => s.toNumber());
      liarDiffered ||= honest.some((s, i) => s !== lie[i]);
      const scored = records.filter((r) => isEvent(r, 'contributionRewards', 'TrainerScored') && r.data.round.toNumber() === round.round);
      assert.ok(scored.length > 0, `round ${round.round}: trainers scored`);
      for (const r of scored) {
        const index = order.indexOf(r.data.trainer.toString());
        assert.ok(index >= 0, `round ${round.round}: the scored trainer revealed`);
        assert.equal(r.data.score.toNumber(), honest[index], `round ${round.round}, update ${index}: the honest score`);
      }
    }
    assert.ok(liarDiffered, 'the liar\'s scores differed from the honest ones somewhere, so this test could fail');
  });

  test('a squatting swarm gets slots only by lottery: the lowest tickets are drawn', { timeout: 8 * MINUTE }, async () => {
    const { model } = setup;
    const slots = api.consts.gradientCommitments.maxUpdatesPerRound.toNumber();
    const bond = api.consts.gradientCommitments.minTrainerBond.toBigInt();
    // Enough sybils that, with the honest trainers, the round has more commitments than slots.
    const sybils = [];
    for (let i = 0; i < slots + 2; i++) sybils.push(await account(`//Sybil//${i}`));
    const funder = await account(FUNDER_SURI);
    const funded = await sendAll(api, funder, sybils.map((s) => api.tx.balances.transferKeepAlive(s.address, SYBIL_FUNDS)));
    assert.deepEqual(funded.filter((r) => r.status === 'rejected').map((r) => r.reason.message), []);
    const bonded = await Promise.allSettled(sybils.map((s) => signAndWait(api.tx.gradientCommitments.bondTrainer(model, bond), s)));
    assert.deepEqual(bonded.filter((r) => r.status === 'rejected').map((r) => r.reason.message), []);

    // The swarm commits junk as soon as the next round opens (the opening block takes none).
    const opened = await waitForEvent(api, (r) => isEvent(r, 'gradientCommitments', 'RoundOpened') && ofModel(model)(r), 3 * MINUTE, {
      fromBlock: await bestNumber(api),
      what: 'the next round',
    });
    const round = opened.data.round.toNumber();
    const commits = await Promise.allSettled(sybils.map((s, i) =>
      signAndWait(api.tx.gradientCommitments.commitUpdate(model, round, blake2AsU8a(`junk ${i}`, 256)), s)));
    const rejected = commits.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
    assert.deepEqual(rejected, [], 'every sybil committed');

    const draw = await waitForEvent(
      api,
      (r) => isEvent(r, 'gradientCommitments', 'SlotsDrawn') && ofModel(model)(r) && r.data.round.toNumber() === round,
      2 * MINUTE,
      { fromBlock: opened.blockNumber, what: `round ${round}'s draw` },
    );
    const committed = draw.data.committed.toNumber();
    assert.ok(committed > slots, `oversubscribed: ${committed} commitments for ${slots} slots`);
    assert.equal(draw.data.drawn.toNumber(), slots);

    // Recompute the draw from chain data: the entrants are the commitments of the draw
    // block's parent (the last that took commitments), each ticket blake2_256(seed ‖ account)
    // with seed blake2_256("fedledger/slot-draw" ‖ model ‖ round ‖ parent hash), lowest win.
    const { parentHash } = await api.rpc.chain.getHeader(draw.blockHash);
    const entrants = (await (await api.at(parentHash)).query.gradientCommitments.commitments.keys([model, round]))
      .map((k) => k.args[1]);
    assert.equal(entrants.length, committed);
    const seed = blake2AsU8a(u8aConcat(stringToU8a('fedledger/slot-draw'), u32le(model), u32le(round), parentHash.toU8a()), 256);
    const expected = entrants
      .map((who) => ({ who: who.toString(), ticket: u8aToHex(blake2AsU8a(u8aConcat(seed, who.toU8a()), 256)) }))
      .sort((a, b) => (a.ticket < b.ticket ? -1 : 1))
      .slice(0, slots)
      .map((e) => e.who)
      .sort();
    const kept = (await (await api.at(draw.blockHash)).query.gradientCommitments.commitments.keys([model, round]))
      .map((k) => k.args[1].toString())
      .sort();
    assert.deepEqual(kept, expected, 'the drawn commitments are the lowest tickets');

    const sybilSet = new Set(sybils.map((s) => s.address));
    const honestIn = entrants.filter((a) => !sybilSet.has(a.toString())).length;
    const honestDrawn = kept.filter((a) => !sybilSet.has(a)).length;
    console.log(`round ${round}: ${committed} commitments (${honestIn} honest) for ${slots} slots; `
      + `${honestDrawn} honest drawn, expected ${(honestIn * slots / committed).toFixed(2)}`);

    // What the swarm paid: every drawn sybil that did not reveal is slashed and forfeits its deposit.
    const end = await waitForEvent(
      api,
      (r) => ofModel(model)(r) && r.data.round?.toNumber() === round
        && (isEvent(r, 'gradientCommitments', 'AggregationStarted') || isEvent(r, 'gradientCommitments', 'RoundFailed')),
      2 * MINUTE,
      { fromBlock: draw.blockNumber, what: `round ${round}'s reveal deadline` },
    );
    const events = (await collectEvents(api, draw.blockNumber, { toHash: end.blockHash })).filter(ofModel(model));
    const of = (method) => events.filter((r) => isEvent(r, 'gradientCommitments', method) && r.data.round.toNumber() === round);
    const slashedWho = of('TrainerSlashed').map((r) => r.data.trainer.toString());
    assert.ok(slashedWho.every((w) => sybilSet.has(w)), 'only sybils are slashed');
    const drawnSybils = kept.filter((a) => sybilSet.has(a));
    assert.deepEqual(slashedWho.sort(), drawnSybils, 'every drawn sybil is slashed');
    const cost = [...of('TrainerSlashed'), ...of('DepositForfeited')].reduce((acc, r) => acc + r.data.amount.toBigInt(), 0n);
    console.log(`round ${round}: the swarm lost ${formatFlt(cost)} (${drawnSybils.length} slashes and forfeited deposits)`);
  });

  test('pausing the model during a reveal window slashes no trainer and returns every deposit', { timeout: 6 * MINUTE }, async () => {
    const { model, owner } = setup;
    const reveal = await waitForEvent(api, (r) => isEvent(r, 'gradientCommitments', 'RevealStarted') && ofModel(model)(r), 3 * MINUTE, {
      fromBlock: await bestNumber(api),
      what: 'the next reveal phase',
    });
    const round = reveal.data.round.toNumber();
    const atReveal = await api.at(reveal.blockHash);
    const committed = (await atReveal.query.gradientCommitments.commitments.keys([model, round]))
      .map((k) => k.args[1].toString());
    assert.ok(committed.length > 0, `round ${round}: trainers committed before the pause`);
    const bondsBefore = new Map();
    for (const t of net.trainers) {
      bondsBefore.set(t.name, (await atReveal.query.gradientCommitments.trainerBonds(model, t.address)).unwrap().amount.toBigInt());
    }
    const paused = await signAndWait(api.tx.modelRegistry.pauseModel(model), owner);
    const pausedAt = await blockNumberOf(api, paused.blockHash);
    console.log(`model ${model} paused at block ${pausedAt}, in round ${round}'s reveal window (${committed.length} commitments)`);
    assert.ok(pausedAt < reveal.data.phaseEndsAt.toNumber(), 'the pause landed inside the reveal window');
    const end = await waitForEvent(
      api,
      (r) => ofModel(model)(r) && r.data.round?.toNumber() === round
        && (isEvent(r, 'gradientCommitments', 'RoundFinalized') || isEvent(r, 'gradientCommitments', 'RoundFailed')),
      4 * MINUTE,
      { fromBlock: reveal.blockNumber, what: `the end of round ${round}` },
    );
    const events = (await collectEvents(api, reveal.blockNumber, { toHash: end.blockHash })).filter(ofModel(model));
    assert.ok(events.some((r) => isEvent(r, 'gradientCommitments', 'RoundInterrupted')), 'the pause interrupted the round');
    assert.ok(!events.some((r) => isEvent(r, 'gradientCommitments', 'TrainerSlashed')), 'nobody slashed');
    assert.ok(!events.some((r) => isEvent(r, 'gradientCommitments', 'DepositForfeited')), 'no deposit forfeited');
    const apiAt = await api.at(end.blockHash);
    for (const t of net.trainers) {
      const bond = (await apiAt.query.gradientCommitments.trainerBonds(model, t.address)).unwrap();
      assert.equal(bond.amount.toBigInt(), bondsBefore.get(t.name), `${t.name}'s bond is whole`);
      const holds = await apiAt.query.balances.holds(t.address);
      const deposit = holds.find((h) => h.id.toString().includes('CommitDeposit'));
      assert.ok(!deposit || deposit.amount.toBigInt() === 0n, `${t.name}'s commit deposit came back`);
    }
  });
});

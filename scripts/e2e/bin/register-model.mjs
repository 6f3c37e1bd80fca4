#!/usr/bin/env node
// Registers a model on a fedledger chain and funds its reward pool: what a model owner does
// from a dApp, as one command for the demo and the local testnet.
//
//   node scripts/e2e/bin/register-model.mjs --ws ws://127.0.0.1:9944 [options]
//
// Progress goes to stderr; the last line on stdout is one JSON object
// ({"model":0,"initialHash":"0x…",…}) for scripts to read.

import { parseArgs } from 'node:util';

import {
  account,
  configJson,
  connect,
  formatFlt,
  fundModel,
  initialWeights,
  logisticConfig,
  parameterCount,
  registerModel,
  UNIT,
  waitForValidators,
} from '../lib/chain.mjs';

const USAGE = `usage: register-model.mjs --ws URL [options]
  --owner SURI          owner account (default //Ferdie//stash)
  --fund FLT            put this much into the reward pool (default 100000; 0 = none)
  --reward FLT          reward released per finalized round (default 1000)
  --rule SPEC           RULE[+clip:N|+arc[:f]][+bucket:S|+nnm[:f]][+weighted[:cap]], RULE one of
                          fedavg | median | trimmed-mean[:beta] | krum[:f] | multi-krum[:f[:m]] |
                          bulyan[:f] | geometric-median[:iters[:eps]] |
                          centered-clipping[:tau[:iters]] | norm-bounding[:max_norm]
                        reals as plain decimals (beta 0.34, tau 0.5, eps 0.000001, max_norm 1);
                        left-out parameters default to beta 0.34, f 1, m 1, iters 8 (geometric
                        median) or 3 (centered clipping), eps 0.000001, tau 0.5, max_norm 1
                        (default trimmed-mean:0.34; the same names as fedledger-sim --rule);
                        the stages clip (fixed norm bound) or arc (adaptive clipping, f), then
                        bucket or nnm (nearest-neighbour mixing, f), then weighted (sample counts
                        weigh, capped at cap × the round's median; default unweighted)
  --bucketing S         bucket size in front of the rule, like RULE+bucket:S (default none)
  --min-updates N       reveals a round needs to aggregate (default 3)
  --commit B --reveal B --aggregate B   phase lengths in blocks (default 4 each)
  --learning-rate X     local SGD learning rate (default 0.1)
  --epochs N --batch N  local epochs (default 1) and batch size (default 32)
  --hidden H[,H2]       train an MLP with these hidden widths instead of logistic regression
  --wait-validators N   first wait until N FL validators are registered (default 1), so the
                        first rounds do not fail for want of a validator
  --print-config        print the TrainingConfig JSON to stderr before registering`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      ws: { type: 'string', default: 'ws://127.0.0.1:9944' },
      owner: { type: 'string', default: '//Ferdie//stash' },
      fund: { type: 'string', default: '100000' },
      reward: { type: 'string', default: '1000' },
      rule: { type: 'string', default: 'trimmed-mean:0.34' },
      bucketing: { type: 'string' },
      'min-updates': { type: 'string', default: '3' },
      commit: { type: 'string', default: '4' },
      reveal: { type: 'string', default: '4' },
      aggregate: { type: 'string', default: '4' },
      'learning-rate': { type: 'string', default: '0.1' },
      epochs: { type: 'string', default: '1' },
      batch: { type: 'string', default: '32' },
      hidden: { type: 'string' },
      'wait-validators': { type: 'string', default: '1' },
      'print-config': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return values;
}

/** Whole FLT (as typed on the command line) to plancks. */
function flt(text) {
  return BigInt(text) * UNIT;
}

function configFrom(o) {
  const hidden = o.hidden ? o.hidden.split(',').map(Number) : null;
  return logisticConfig({
    hidden,
    epochs: Number(o.epochs),
    batchSize: Number(o.batch),
    learningRate: Number(o['learning-rate']),
    commit: Number(o.commit),
    reveal: Number(o.reveal),
    aggregate: Number(o.aggregate),
    minUpdates: Number(o['min-updates']),
    rule: o.rule,
    bucketing: o.bucketing ? Number(o.bucketing) : null,
    reward: flt(o.reward),
  });
}

async function main() {
  const o = parseOptions();
  const config = configFrom(o);
  if (o['print-config']) console.error(configJson(config));
  const api = await connect(o.ws);
  try {
    const owner = await account(o.owner);
    const wanted = Number(o['wait-validators']);
    if (wanted > 0) {
      console.error(`waiting for ${wanted} FL validator(s) to register…`);
      await waitForValidators(api, wanted, 5 * 60_000);
    }
    // An MLP needs small random initial weights to break its symmetry; logistic regression
    // starts from zeros.
    const weights = initialWeights(parameterCount(config), { scale: config.architecture.kind === 'Logistic' ? 0 : 0.05 });
    const registered = await registerModel(api, owner, config, weights);
    console.error(`model ${registered.model} registered by ${owner.address} (${registered.parameterCount} parameters, v0 ${registered.initialHash})`);
    const fund = flt(o.fund);
    if (fund > 0n) {
      await fundModel(api, owner, registered.model, fund);
      console.error(`reward pool of model ${registered.model} funded with ${formatFlt(fund)}`);
    }
    console.log(JSON.stringify({
      model: registered.model,
      owner: owner.address,
      initialHash: registered.initialHash,
      parameterCount: registered.parameterCount,
      block: registered.blockNumber,
      funded: fund.toString(),
    }));
  } finally {
    await api.disconnect();
  }
}

main().catch((e) => {
  console.error(`register-model: ${e.message}`);
  process.exit(1);
});

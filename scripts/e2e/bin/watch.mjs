#!/usr/bin/env node
// Watches a model train: one line per round that closes, with the new version's hash, its test
// accuracy (weights fetched from the node over `fedledger_modelWeights`, evaluated on the
// Fashion-MNIST test split by `fedledger-sim evaluate`), how many updates were accepted and
// rejected, and the reward released. Runs until Ctrl-C, or until --rounds rounds finalized.
//
//   node scripts/e2e/bin/watch.mjs --ws ws://127.0.0.1:9944 [--model ID] [--rounds N]

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

import { hexToU8a } from '@polkadot/util';

import {
  connect,
  followBlocks,
  formatFlt,
  isEvent,
  latestModel,
  modelInfo,
  nodeRpc,
  pollUntil,
  roundFinalized,
  sha3Hex,
} from '../lib/chain.mjs';
import { simBinary } from '../lib/node.mjs';
import { datasetDir } from '../lib/testnet.mjs';

const USAGE = `usage: watch.mjs [--ws URL] [--model ID] [--rounds N] [--data DIR] [--sim PATH]
  --ws URL      the node to follow and fetch weights from (default ws://127.0.0.1:9944)
  --model ID    the model (default: the newest registered one, waiting for one if needed)
  --rounds N    exit after N finalized rounds (default 0: until Ctrl-C)
  --data DIR    Fashion-MNIST directory for the test split (default $FEDLEDGER_DATASET or Debian's)
  --sim PATH    fedledger-sim binary (default $CARGO_TARGET_DIR/release/fedledger-sim)`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      ws: { type: 'string', default: 'ws://127.0.0.1:9944' },
      model: { type: 'string' },
      rounds: { type: 'string', default: '0' },
      data: { type: 'string', default: datasetDir() },
      sim: { type: 'string', default: simBinary() },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return values;
}

/** The `--hidden` argument of `fedledger-sim evaluate` for a model's architecture. */
function hiddenArgs(config) {
  const kind = config.architecture.kind;
  if (!kind.isMlp) return [];
  const widths = kind.asMlp.hidden.map((w) => w.toNumber()).filter((w) => w > 0);
  return ['--hidden', widths.join(',')];
}

/**
 * Test accuracy of a version: the node serves its weights once it has rebuilt and verified
 * them; their hash must be the one the chain finalized.
 */
async function evaluateVersion(api, o, model, round, hidden) {
  if (!existsSync(o.sim)) return { note: `no ${o.sim}` };
  const hex = await pollUntil(() => nodeRpc(api, 'fedledger_modelWeights', [model, round.version]), {
    timeoutMs: 60_000,
    intervalMs: 500,
    what: `weights of v${round.version}`,
  });
  const weights = hexToU8a(hex);
  if (sha3Hex(weights) !== round.modelHash) return { note: 'weights do not match the finalized hash!' };
  const dir = mkdtempSync(join(tmpdir(), 'fedledger-watch-'));
  try {
    const file = join(dir, `v${round.version}.fltc`);
    writeFileSync(file, weights);
    const { stdout } = await promisify(execFile)(o.sim, ['evaluate', '--weights', file, '--data', o.data, ...hidden]);
    return JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function finalizedLine(r, result) {
  const accuracy = typeof result.accuracy === 'number'
    ? `acc ${(100 * result.accuracy).toFixed(2).padStart(6)}%  loss ${Number(result.loss).toFixed(3)}`
    : `acc ${result.note ?? 'n/a'}`;
  return [
    `round ${String(r.round).padStart(4)}`,
    `v${String(r.version).padEnd(4)}`,
    `${r.modelHash.slice(0, 10)}…`,
    accuracy,
    `accepted ${r.accepted}`,
    `rejected ${r.rejected}`,
    `reward ${formatFlt(r.reward)}`,
  ].join('  ');
}

function failedLine(record) {
  return `round ${String(record.data.round.toNumber()).padStart(4)}  failed: ${record.data.reason.type}`;
}

/** The model to watch: the one asked for, else the newest (waiting until one is registered). */
async function resolveModel(api, option) {
  if (option !== undefined) return Number(option);
  // pollUntil waits for a truthy value and model 0 is falsy: wrap the id.
  const { id } = await pollUntil(async () => {
    const newest = await latestModel(api);
    return newest === null ? null : { id: newest };
  }, { timeoutMs: 10 * 60_000, intervalMs: 3_000, what: 'a registered model' });
  return id;
}

async function main() {
  const o = parseOptions();
  const wanted = Number(o.rounds);
  const api = await connect(o.ws);
  const model = await resolveModel(api, o.model);
  const info = await modelInfo(api, model);
  if (!info) throw new Error(`no model ${model}`);
  const hidden = hiddenArgs(info.config);
  console.log(`watching model ${model} on ${o.ws} (now at v${info.version}); Ctrl-C to stop`);

  let finalized = 0;
  let stop = () => {};
  const done = new Promise((resolve) => {
    const onRecords = async (records) => {
      for (const record of records) {
        const ours = record.data.model?.toNumber() === model;
        if (ours && isEvent(record, 'gradientCommitments', 'RoundFailed')) console.log(failedLine(record));
        if (!ours || !isEvent(record, 'gradientCommitments', 'RoundFinalized')) continue;
        const round = roundFinalized(record);
        const result = await evaluateVersion(api, o, model, round, hidden).catch((e) => ({ note: e.message }));
        console.log(finalizedLine(round, result));
        finalized += 1;
        if (wanted > 0 && finalized >= wanted) resolve();
      }
    };
    followBlocks(api, onRecords).then((s) => (stop = s));
  });

  const quit = async () => {
    stop();
    await api.disconnect();
    process.exit(0);
  };
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
  await done;
  await quit();
}

main().catch((e) => {
  console.error(`watch: ${e.message}`);
  process.exit(1);
});

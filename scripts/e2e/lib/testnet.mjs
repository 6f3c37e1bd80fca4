// A local fedledger testnet for the end-to-end tests: three validator nodes (Alice, Bob and
// Charlie: the Aura/GRANDPA authorities of the `local` chain, and FL validators) and K trainer
// nodes, each training on its own shard of Fashion-MNIST, all on 127.0.0.1.
//
// Every node has its own directory under one temporary root (base path, keystore, log). The
// validators' libp2p keys are fixed, so every node can be told all validators as bootnodes
// before any of them runs, and a node stopped with SIGKILL can be started again on the same
// base path and ports (its peers and the tests' RPC clients find it where it was).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { account } from './chain.mjs';
import { attacksBinary, freePort, nodeBinary, runNodeCommand, startNode, tail } from './node.mjs';

/** The validators: the `local` chain's authorities, with the sc-cli flag that inserts their session keys. */
export const VALIDATORS = [
  { name: 'alice', suri: '//Alice', flag: '--alice' },
  { name: 'bob', suri: '//Bob', flag: '--bob' },
  { name: 'charlie', suri: '//Charlie', flag: '--charlie' },
];

/** Endowed accounts the trainers use, in order (none of them is an authority). */
export const TRAINERS = [
  { name: 'dave', suri: '//Dave' },
  { name: 'eve', suri: '//Eve' },
  { name: 'ferdie', suri: '//Ferdie' },
  { name: 'alice-stash', suri: '//Alice//stash' },
  { name: 'bob-stash', suri: '//Bob//stash' },
  { name: 'charlie-stash', suri: '//Charlie//stash' },
];

/** Where Debian's `dataset-fashion-mnist` installs the IDX files. */
export const DEFAULT_DATASET = '/usr/share/datasets/fashion-mnist';

/** The dataset directory: $FEDLEDGER_DATASET or Debian's. */
export function datasetDir() {
  return process.env.FEDLEDGER_DATASET ?? DEFAULT_DATASET;
}

/**
 * The libp2p secret of validator `index` (hex, 32 bytes). Derived from a fixed label rather
 * than drawn at random so its peer id is known before the node starts; `local-testnet.sh`
 * derives the same keys. Loopback test keys: never use them on a reachable network.
 */
export function validatorNodeKey(index) {
  return createHash('sha256').update(`fedledger-testnet-validator-${index}`).digest('hex');
}

/** The peer id of a libp2p secret, as the node computes it. */
async function peerIdOf(nodeKeyHex, dir) {
  const file = join(dir, 'node-key.hex');
  writeFileSync(file, nodeKeyHex);
  return runNodeCommand(['key', 'inspect-node-key', '--file', file]);
}

/** Puts the FL identity (key type `fedl`, sr25519) into a node's keystore before it starts. */
async function insertFlKey(basePath, chain, suri) {
  await runNodeCommand([
    'key', 'insert',
    '--base-path', basePath,
    '--chain', chain,
    '--key-type', 'fedl',
    '--scheme', 'sr25519',
    '--suri', suri,
  ]);
}

/** `count` distinct free loopback ports. */
async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Fails early, with the fix, when a binary or the dataset the testnet needs is missing. */
function checkPrerequisites({ binaries, dataset }) {
  for (const binary of binaries) {
    if (!existsSync(binary)) throw new Error(`${binary} is missing: build it with scripts/build.sh`);
  }
  if (dataset) {
    const files = existsSync(dataset) ? readdirSync(dataset) : [];
    if (!files.some((f) => f.startsWith('train-images-idx3-ubyte'))) {
      throw new Error(`no Fashion-MNIST training set in ${dataset}: install dataset-fashion-mnist (scripts/setup.sh) or set FEDLEDGER_DATASET`);
    }
  }
}

/**
 * Starts the testnet and resolves once every node answers RPC.
 *
 * @param {object} [options]
 * @param {number} [options.trainers] number of trainer nodes (1–5), sharing the dataset as shards i/K
 * @param {{index: number, attack: string}} [options.malicious] trainer `index` runs the
 *   attacks build with `--fl-attack attack` (sign-flip, scaling, gaussian)
 * @param {string} [options.liar] the validator (`alice`, `bob`, `charlie`) that runs the attacks
 *   build with `--fl-lie`: every report a wrong hash and fake scores
 * @param {string} [options.dataset] the Fashion-MNIST directory
 * @param {number} [options.alpha] Dirichlet concentration of the split (node default if absent)
 * @param {number} [options.partitionSeed] seed of the split (node default if absent)
 * @param {string} [options.chain] chain spec preset (`local`: Alice, Bob, Charlie authorities)
 * @param {number} [options.timeoutMs] per-node RPC start-up timeout
 */
export async function startTestnet({
  trainers = 4,
  malicious = null,
  liar = null,
  dataset = datasetDir(),
  alpha,
  partitionSeed,
  chain = 'local',
  timeoutMs = 120_000,
} = {}) {
  if (trainers < 1 || trainers > TRAINERS.length) throw new Error(`trainers must be 1..${TRAINERS.length}`);
  if (liar && !VALIDATORS.some((v) => v.name === liar)) throw new Error(`no validator ${liar}`);
  checkPrerequisites({
    binaries: [nodeBinary(), ...(malicious || liar ? [attacksBinary()] : [])],
    dataset,
  });
  const rootDir = mkdtempSync(join(tmpdir(), 'fedledger-testnet-'));
  const members = await planMembers({ trainers, malicious, liar, dataset, alpha, partitionSeed, chain, rootDir });
  const net = new Testnet(rootDir, members, timeoutMs);
  try {
    for (const m of members) {
      await insertFlKey(m.basePath, chain, m.suri);
      await net.launch(m);
    }
  } catch (e) {
    const logs = net.logTails();
    await net.stop();
    throw new Error(`${e.message}\n${logs}`);
  }
  return net;
}

/** Every node's identity, role, binary, ports and command line (nothing started yet). */
async function planMembers({ trainers, malicious, liar, dataset, alpha, partitionSeed, chain, rootDir }) {
  const validators = [];
  for (const [i, v] of VALIDATORS.entries()) {
    const [rpc, p2p, prometheus] = await freePorts(3);
    const basePath = join(rootDir, v.name);
    mkdirSync(basePath);
    const nodeKey = validatorNodeKey(i);
    validators.push({
      ...v,
      role: 'validator',
      basePath,
      ports: { rpc, p2p, prometheus },
      nodeKey,
      peerId: await peerIdOf(nodeKey, basePath),
    });
  }
  const bootnode = (v) => `/ip4/127.0.0.1/tcp/${v.ports.p2p}/p2p/${v.peerId}`;
  for (const v of validators) {
    const others = validators.filter((o) => o !== v).map(bootnode);
    v.lies = v.name === liar;
    v.binary = v.lies ? attacksBinary() : nodeBinary();
    v.args = [
      '--chain', chain,
      '--validator', v.flag, // the flag puts the authority's aura and grandpa keys in the keystore
      '--node-key', v.nodeKey, // authorities must have a persistent network key
      '--fl-validator',
      // The tests read the events of every block since the model was registered; keep their
      // state beyond the default 256 blocks.
      '--state-pruning', 'archive',
      ...(v.lies ? ['--fl-lie'] : []),
      '--bootnodes', ...others,
    ];
  }

  const trainerMembers = [];
  for (let i = 0; i < trainers; i++) {
    const t = TRAINERS[i];
    const [rpc, p2p, prometheus] = await freePorts(3);
    const basePath = join(rootDir, t.name);
    mkdirSync(basePath);
    const attack = malicious && malicious.index === i ? malicious.attack : null;
    trainerMembers.push({
      ...t,
      role: 'trainer',
      shard: i,
      attack,
      basePath,
      ports: { rpc, p2p, prometheus },
      binary: attack ? attacksBinary() : nodeBinary(),
      args: [
        '--chain', chain,
        '--fl-trainer',
        '--fl-models', 'all', // the chain is the test's own, and so is every model on it
        '--fl-dataset', dataset,
        '--fl-shard', `${i}/${trainers}`,
        ...(alpha === undefined ? [] : ['--fl-alpha', String(alpha)]),
        ...(partitionSeed === undefined ? [] : ['--fl-partition-seed', String(partitionSeed)]),
        ...(attack ? ['--fl-attack', attack] : []),
        '--bootnodes', ...validators.map(bootnode),
      ],
    });
  }

  const members = [...validators, ...trainerMembers];
  for (const m of members) m.address = (await account(m.suri)).address;
  return members;
}

/** A running testnet; see `startTestnet`. */
class Testnet {
  constructor(rootDir, members, timeoutMs) {
    this.rootDir = rootDir;
    this.members = members;
    this.timeoutMs = timeoutMs;
  }

  get validators() {
    return this.members.filter((m) => m.role === 'validator');
  }

  get trainers() {
    return this.members.filter((m) => m.role === 'trainer');
  }

  /** WebSocket URL of the first validator (the node the tests talk to). */
  get wsUrl() {
    return this.validators[0].node.rpcUrl;
  }

  member(name) {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no node ${name} in the testnet`);
    return m;
  }

  /** Starts (or restarts) a member's node on its base path and ports. */
  async launch(member) {
    const extraLog = process.env.FEDLEDGER_E2E_LOG ? ['--log', process.env.FEDLEDGER_E2E_LOG] : [];
    member.node = await startNode({
      name: member.name,
      binary: member.binary,
      args: [...member.args, ...extraLog],
      basePath: member.basePath,
      ports: member.ports,
      timeoutMs: this.timeoutMs,
    });
    return member.node;
  }

  /** Kills one node (SIGKILL by default: a crash) and keeps its base path for a restart. */
  async kill(name, signal = 'SIGKILL') {
    return this.member(name).node.kill(signal);
  }

  /** Starts a killed node again with the same binary, flags, base path and ports. */
  async restart(name) {
    const member = this.member(name);
    if (member.node && member.node.exited === null) throw new Error(`${name} is still running`);
    return this.launch(member);
  }

  /** The last lines of every node's log, for failure messages. */
  logTails(lines = 25) {
    return this.members
      .filter((m) => m.node)
      .map((m) => `--- ${m.name} (${m.node.logPath})\n${tail(m.node.log(), lines)}`)
      .join('\n');
  }

  /**
   * Stops every node (SIGTERM, then SIGKILL) and removes the root directory, unless
   * FEDLEDGER_E2E_KEEP is set (then the logs stay for a post-mortem).
   */
  async stop() {
    await Promise.all(this.members.filter((m) => m.node).map((m) => m.node.stop({ keepBasePath: true })));
    if (process.env.FEDLEDGER_E2E_KEEP) {
      console.log(`testnet logs kept in ${this.rootDir}`);
    } else {
      rmSync(this.rootDir, { recursive: true, force: true });
    }
  }
}

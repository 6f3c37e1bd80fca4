// Talking to a fedledger chain with @polkadot/api: connecting, signing and waiting for
// inclusion, building the arguments of `modelRegistry.registerModel`, and following events.
//
// Every amount is a BigInt in plancks (1 FLT = UNIT = 10^12), so sums can be checked exactly.
// Everything that reads events reads them block by block from the chain (not from a live event
// stream alone), so a helper started late still sees what happened since a given block.

import { createHash } from 'node:crypto';

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';

/** 1 FLT in plancks (12 decimals). */
export const UNIT = 10n ** 12n;
/** 1.0 in the runtime's micro fixed unit (learning rate, rule parameters). */
export const MICRO = 1_000_000;
/** 100 % in parts per billion (reward split, trimmed-mean beta, scores). */
export const PPB = 1_000_000_000;

// ---------------------------------------------------------------------------------------------
// Connection and accounts
// ---------------------------------------------------------------------------------------------

/**
 * Connects to a node's WebSocket RPC and waits until the API is ready. The provider retries
 * until `timeoutMs`, which covers a node whose RPC server is still coming up.
 */
/** The provider each connected api talks through, for raw calls to node-specific RPC methods. */
const providers = new WeakMap();

export async function connect(url, { timeoutMs = 60_000 } = {}) {
  const provider = new WsProvider(url, 1_000);
  const ready = ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: false });
  try {
    const api = await withTimeout(ready, timeoutMs, `connecting to ${url}`);
    providers.set(api, provider);
    return api;
  } catch (e) {
    await provider.disconnect().catch(() => {});
    throw e;
  }
}

let keyringPromise = null;

/** The sr25519 keyring (SS58 prefix 42, as the chain uses), once the wasm crypto is ready. */
export function keyring() {
  keyringPromise ??= cryptoWaitReady().then(() => new Keyring({ type: 'sr25519', ss58Format: 42 }));
  return keyringPromise;
}

/** The key pair of a secret URI such as `//Alice` or `//Bob//stash`. */
export async function account(suri) {
  return (await keyring()).addFromUri(suri);
}

/** Calls a JSON-RPC method the API does not decorate (the node's `fedledger_*` methods). */
export function nodeRpc(api, method, params = []) {
  const provider = providers.get(api);
  if (!provider) throw new Error('nodeRpc: this api was not created by connect()');
  return provider.send(method, params);
}

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

/** A transaction that was included but failed, named by its module error (`section.name`). */
export class DispatchFailure extends Error {
  constructor(message, { section, name, blockHash, events }) {
    super(message);
    this.section = section;
    this.errorName = name;
    this.blockHash = blockHash;
    this.events = events;
  }
}

/**
 * `section.name` of a dispatch error (e.g. `gradientCommitments.AlreadyReported`). Takes the
 * api or just a type registry: the registry alone knows the metadata's error names.
 */
export function describeDispatchError(apiOrRegistry, dispatchError) {
  const registry = apiOrRegistry.registry ?? apiOrRegistry;
  if (dispatchError.isModule) {
    const { section, name } = registry.findMetaError(dispatchError.asModule);
    return { section, name, text: `${section}.${name}` };
  }
  return { section: null, name: dispatchError.type, text: dispatchError.toString() };
}

/**
 * Signs and sends `tx` and resolves when it is in a block (or finalized, with `finalized`):
 * `{ blockHash, blockNumber, txIndex, events }`, `events` being the transaction's own records.
 * Rejects with a `DispatchFailure` naming the module error if the extrinsic failed, and with
 * a plain error if the pool refused or dropped it. `nonce` signs with that nonce (to send
 * several transactions of one account at once) instead of the pool's next one.
 */
export function signAndWait(tx, signer, { timeoutMs = 120_000, finalized = false, nonce } = {}) {
  return new Promise((resolve, reject) => {
    let unsubscribe = null;
    let settled = false;
    const finish = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (unsubscribe) unsubscribe();
      fn(value);
    };
    const label = `${tx.method.section}.${tx.method.method}`;
    const timer = setTimeout(
      () => finish(reject, new Error(`${label}: not ${finalized ? 'finalized' : 'in a block'} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    tx.signAndSend(signer, nonce === undefined ? {} : { nonce }, (result) => {
      const { status, dispatchError, events, txIndex } = result;
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        finish(reject, new Error(`${label}: transaction ${status.type}`));
        return;
      }
      const included = finalized ? status.isFinalized : status.isInBlock || status.isFinalized;
      if (!included) return;
      const blockHash = status.isInBlock ? status.asInBlock : status.asFinalized;
      if (dispatchError) {
        const { section, name, text } = describeDispatchError(tx.registry, dispatchError);
        finish(reject, new DispatchFailure(`${label} failed: ${text}`, { section, name, blockHash, events }));
        return;
      }
      finish(resolve, { blockHash, blockNumber: result.blockNumber?.toNumber?.(), txIndex, events });
    })
      .then((unsub) => {
        if (settled) unsub();
        else unsubscribe = unsub;
      })
      .catch((e) => finish(reject, new Error(`${label}: ${e.message}`)));
  });
}

/**
 * Sends `txs` from `signer` at once with consecutive nonces; resolves to one settled result
 * per transaction (`{ status: 'fulfilled' | 'rejected', value | reason }`).
 */
export async function sendAll(api, signer, txs) {
  const first = (await api.rpc.system.accountNextIndex(signer.address)).toNumber();
  return Promise.allSettled(txs.map((tx, i) => signAndWait(tx, signer, { nonce: first + i })));
}

/** Errors the pool gives when a nonce was taken by another transaction of the same account. */
export function isNonceRace(error) {
  return /1010|1014|Priority is too low|outdated|stale|Transaction is temporarily banned/i.test(String(error?.message ?? error));
}

// ---------------------------------------------------------------------------------------------
// Tensor codec (primitives/src/tensor_codec): the bytes whose sha3-256 identifies a model
// ---------------------------------------------------------------------------------------------

const MAGIC = [0x46, 0x4c, 0x54, 0x43]; // "FLTC"
const HEADER_LEN = 32;

/**
 * Canonical f32 tensor bytes of a flat parameter vector: the 32-byte header (magic, version 1,
 * kind 0 = f32, one dimension, param_count, dims = [param_count, 0, 0, 0], kind_param 0) and
 * the values as little-endian f32. Values must be finite (the runtime refuses NaN/Inf).
 */
export function encodeTensorF32(values) {
  const count = values.length;
  const bytes = new Uint8Array(HEADER_LEN + 4 * count);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[4] = 1; // codec version
  bytes[5] = 0; // kind: dense f32
  bytes[6] = 1; // ndims
  bytes[7] = 0; // reserved
  view.setUint32(8, count, true); // param_count
  view.setUint32(12, count, true); // dims[0]; dims[1..4] and kind_param stay 0
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`value ${i} is not finite`);
    view.setFloat32(HEADER_LEN + 4 * i, values[i], true);
  }
  return bytes;
}

/** Reads canonical dense-f32 tensor bytes back: `{ paramCount, values }`. */
export function decodeTensorF32(bytes) {
  if (bytes.length < HEADER_LEN || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not an FLTC tensor');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[4] !== 1 || bytes[5] !== 0) throw new Error(`unsupported codec version ${bytes[4]} / kind ${bytes[5]}`);
  const paramCount = view.getUint32(8, true);
  if (bytes.length !== HEADER_LEN + 4 * paramCount) throw new Error('length does not match param_count');
  const values = new Float32Array(paramCount);
  for (let i = 0; i < paramCount; i++) values[i] = view.getFloat32(HEADER_LEN + 4 * i, true);
  return { paramCount, values };
}

/**
 * Version-0 weights for `paramCount` parameters. Zeros by default, which suits logistic
 * regression (its loss is convex); an MLP needs its symmetry broken, so `scale > 0` draws
 * values uniformly from [-scale, scale] with a seeded generator: the same seed gives the same
 * bytes, hence the same initial hash, on every run.
 */
export function initialWeights(paramCount, { scale = 0, seed = 1 } = {}) {
  const values = new Float32Array(paramCount);
  if (scale > 0) {
    const next = mulberry32(seed);
    for (let i = 0; i < paramCount; i++) values[i] = (2 * next() - 1) * scale;
  }
  return encodeTensorF32(values);
}

/** A small, well-known 32-bit PRNG: deterministic across platforms, good enough for an init. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** sha3-256 (FIPS 202, not Keccak) as 0x-hex: how the chain names tensors. */
export function sha3Hex(bytes) {
  return `0x${createHash('sha3-256').update(bytes).digest('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// Training configuration (primitives/src/model.rs, primitives/src/rules.rs)
// ---------------------------------------------------------------------------------------------

/** Converts a real number to the runtime's micro fixed unit (1.0 → 1_000_000). */
export function toMicro(x) {
  return Math.round(x * MICRO);
}

/** Converts a fraction to parts per billion (0.1 → 100_000_000). */
export function toPpb(x) {
  return Math.round(x * PPB);
}

// ---------------------------------------------------------------------------------------------
// Rule names: the grammar of `FromStr`/`Display` of `AggregationRule` and `AggregationSpec` in
// primitives/src/rules/names.rs, with the same defaults and error messages
// (scripts/e2e/test/encoding.test.mjs checks both against a fixture the Rust side writes).
//
//   spec = rule [ "+clip:" max_norm | "+arc" [":" f] ] [ "+bucket:" s | "+nnm" [":" f] ]
//               [ "+weighted" [":" cap] ]                     (stages in this order)
//   rule = fedavg | median | trimmed-mean[:beta] | krum[:f] | multi-krum[:f[:m]] | bulyan[:f]
//        | geometric-median[:iters[:eps]] | centered-clipping[:tau[:iters]] | norm-bounding[:max_norm]
//
// Counts are unsigned integers (`[0-9]+`, at most 2^32 − 1); real parameters are plain
// decimals (`[0-9]+` or `[0-9]+.[0-9]+`: no sign, exponent or whitespace), converted exactly
// into micro units (tau, eps, max_norm: at most 6 decimals) or parts per billion (beta: at
// most 9), at most 2^32 − 1 units. Missing trailing parameters take the defaults below.
// ---------------------------------------------------------------------------------------------

/** Each rule: its polkadot.js variant and its parameters `[text name, field, unit, default]`. */
const RULES = {
  fedavg: { variant: 'FedAvg', params: [] },
  median: { variant: 'Median', params: [] },
  'trimmed-mean': { variant: 'TrimmedMean', params: [['beta', 'beta', 'ppb', 340_000_000]] },
  krum: { variant: 'Krum', params: [['f', 'f', 'count', 1]] },
  'multi-krum': { variant: 'MultiKrum', params: [['f', 'f', 'count', 1], ['m', 'm', 'count', 1]] },
  bulyan: { variant: 'Bulyan', params: [['f', 'f', 'count', 1]] },
  'geometric-median': {
    variant: 'GeometricMedian',
    params: [['iters', 'iters', 'count', 8], ['eps', 'eps', 'micro', 1]],
  },
  'centered-clipping': {
    variant: 'CenteredClipping',
    params: [['tau', 'tau', 'micro', 500_000], ['iters', 'iters', 'count', 3]],
  },
  'norm-bounding': { variant: 'NormBounding', params: [['max_norm', 'maxNorm', 'micro', 1_000_000]] },
};

/** The rule names, in the order of `AggregationRule`'s variants. */
export const RULE_NAMES = Object.keys(RULES);

/** Each rule's syntax, e.g. `multi-krum[:f[:m]]`, for help texts and errors. */
export const RULE_SYNTAX = RULE_NAMES.map((name) =>
  name + RULES[name].params.map(([p]) => `[:${p}`).join('') + ']'.repeat(RULES[name].params.length));

/** What separates a rule from its bucket size: `krum:1+bucket:2`. */
export const BUCKET_SUFFIX = '+bucket:';

const U32_MAX = 0xffff_ffffn;
const PLACES = { count: 0, ppb: 9, micro: 6 };

/** A rule or spec text that does not follow the grammar; `token` is the offending part. */
export class RuleParseError extends Error {
  constructor(message, token) {
    super(message);
    this.name = 'RuleParseError';
    this.token = token;
  }
}

/** A string quoted as Rust's `{:?}` quotes a plain ASCII string. */
const quote = (s) => JSON.stringify(s);

function unknownRule(name) {
  return new RuleParseError(
    `unknown aggregation rule ${quote(name)}; valid rules: ${RULE_SYNTAX.join(', ')}, each optionally followed by +clip:N or +arc[:f], +bucket:S or +nnm[:f], +weighted[:cap]`,
    name,
  );
}

function syntaxOf(rule) {
  const i = RULE_NAMES.indexOf(rule);
  if (i >= 0) return RULE_SYNTAX[i];
  return Object.hasOwn(STAGES, rule) ? STAGES[rule].syntax : `RULE${BUCKET_SUFFIX}S`;
}

function badParameter(rule, param, token, why) {
  return new RuleParseError(`bad ${rule} parameter ${param} ${quote(token)}: ${why} (syntax: ${syntaxOf(rule)})`, token);
}

/** A parameter's text in its unit (an integer), or the reason it is not one. */
function parseUnits(text, unit) {
  const places = PLACES[unit];
  if (places === 0) {
    if (!/^[0-9]+$/.test(text)) return { error: 'not an unsigned integer' };
    const value = BigInt(text);
    return value > U32_MAX ? { error: 'too large' } : { value: Number(value) };
  }
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!match) return { error: 'not a plain decimal number such as 0.5' };
  const [, whole, frac = ''] = match;
  if (frac.length > places) return { error: `more than ${places} decimal places` };
  const value = BigInt(whole) * 10n ** BigInt(places) + BigInt(frac.padEnd(places, '0'));
  return value > U32_MAX ? { error: 'too large' } : { value: Number(value) };
}

/** An integer number of units as the grammar's canonical decimal (no trailing zeros). */
function formatUnits(value, unit) {
  const places = PLACES[unit];
  if (!Number.isInteger(value) || value < 0 || value > Number(U32_MAX)) {
    throw new RangeError(`${value} is not a u32`);
  }
  if (places === 0) return String(value);
  const scale = 10 ** places;
  const whole = Math.floor(value / scale);
  const frac = value % scale;
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(places, '0').replace(/0+$/, '')}`;
}

/**
 * An `AggregationRule` in polkadot.js form (`'FedAvg'`, `{ TrimmedMean: { beta } }`, …) from
 * its text, e.g. `trimmed-mean:0.34` or `krum` (= `krum:1`). Throws a `RuleParseError`.
 */
export function parseRule(text) {
  const [name, ...tokens] = String(text).split(':');
  const rule = RULES[name];
  if (!Object.hasOwn(RULES, name)) throw unknownRule(name);
  const fields = {};
  rule.params.forEach(([, field, , fallback]) => { fields[field] = fallback; });
  tokens.forEach((token, i) => {
    const param = rule.params[i];
    if (!param) throw new RuleParseError(`too many parameters for ${name} at ${quote(token)} (syntax: ${syntaxOf(name)})`, token);
    const [paramName, field, unit] = param;
    const { value, error } = parseUnits(token, unit);
    if (error) throw badParameter(name, paramName, token, error);
    fields[field] = value;
  });
  return rule.params.length === 0 ? rule.variant : { [rule.variant]: fields };
}

/**
 * The pipeline stages that may follow the rule, in their order: `[text name, rank, parameter,
 * unit, default (null: required), syntax, polkadot.js field and value]`.
 */
const STAGES = {
  clip: { rank: 0, param: 'max_norm', unit: 'micro', fallback: null, syntax: 'RULE+clip:max_norm',
    set: (spec, v) => { spec.clipping = { Fixed: { maxNorm: v } }; } },
  arc: { rank: 0, param: 'f', unit: 'count', fallback: 1, syntax: 'RULE+arc[:f]',
    set: (spec, v) => { spec.clipping = { Adaptive: { f: v } }; } },
  bucket: { rank: 1, param: 's', unit: 'count', fallback: null, syntax: 'RULE+bucket:S',
    set: (spec, v) => { spec.mixing = { Bucketing: { size: v } }; } },
  nnm: { rank: 1, param: 'f', unit: 'count', fallback: 1, syntax: 'RULE+nnm[:f]',
    set: (spec, v) => { spec.mixing = { NearestNeighbours: { f: v } }; } },
  weighted: { rank: 2, param: 'cap', unit: 'micro', fallback: 2_000_000, syntax: 'RULE+weighted[:cap]',
    set: (spec, v) => { spec.weighting = { Capped: { cap: v } }; } },
};

function badSuffix(token) {
  return new RuleParseError(
    `unexpected ${quote(token)} after the rule; only +clip:N or +arc[:f], then +bucket:S or +nnm[:f], then +weighted[:cap] may follow it, in that order`,
    token,
  );
}

/** Whether `rest` (from a `+` on) starts with a stage name ended by `:`, `+` or the end. */
function startsWithStage(rest) {
  const name = rest.slice(1).split(/[:+]/)[0];
  return Object.hasOwn(STAGES, name);
}

/**
 * An `AggregationSpec` in polkadot.js form, `{ rule, clipping, mixing, weighting }`, from its
 * text: a rule, then optionally the pipeline stages in their order — `+clip:N` or `+arc[:f]`,
 * then `+bucket:S` or `+nnm[:f]`, then `+weighted[:cap]` — e.g. `krum:1+bucket:2` or
 * `median+arc+nnm`. Without `+weighted` the rule is unweighted.
 */
export function parseSpec(text) {
  text = String(text);
  const plus = text.indexOf('+');
  const spec = { rule: null, clipping: null, mixing: null, weighting: 'Unweighted' };
  if (plus < 0) {
    spec.rule = parseRule(text);
    return spec;
  }
  try {
    spec.rule = parseRule(text.slice(0, plus));
  } catch (e) {
    // Stages after a bad rule: the rule's error; a `+` inside a parameter: the whole text's.
    if (startsWithStage(text.slice(plus))) throw e;
    parseRule(text);
    throw e;
  }
  let at = plus;
  let nextRank = 0;
  for (const piece of text.slice(plus + 1).split('+')) {
    const rest = text.slice(at);
    const colon = piece.indexOf(':');
    const name = colon < 0 ? piece : piece.slice(0, colon);
    const stage = Object.hasOwn(STAGES, name) ? STAGES[name] : null;
    if (!stage || stage.rank < nextRank) throw badSuffix(rest);
    nextRank = stage.rank + 1;
    let value = stage.fallback;
    if (colon >= 0 || value === null) {
      const token = colon < 0 ? '' : piece.slice(colon + 1);
      const parsed = parseUnits(token, stage.unit);
      if (parsed.error) throw badParameter(name, stage.param, token, parsed.error);
      value = parsed.value;
    }
    stage.set(spec, value);
    at += 1 + piece.length;
  }
  return spec;
}

function isRule(text) {
  try {
    parseRule(text);
    return true;
  } catch {
    return false;
  }
}

/** The variant name and fields of a rule in polkadot.js form, or as a codec's `toJSON()`. */
function ruleParts(rule) {
  if (typeof rule === 'string') return { variant: rule, fields: {} };
  if (rule && typeof rule === 'object' && typeof rule.toJSON === 'function') return ruleParts(rule.toJSON());
  const keys = rule && typeof rule === 'object' ? Object.keys(rule) : [];
  if (keys.length !== 1) throw new TypeError(`not an AggregationRule: ${JSON.stringify(rule)}`);
  return { variant: keys[0], fields: rule[keys[0]] ?? {} };
}

/**
 * The canonical text of a rule in polkadot.js form (or a codec's `toJSON()`, whose variant
 * names are lower camel case), every parameter spelled out: `trimmed-mean:0.34`, `krum:1`.
 */
export function formatRule(rule) {
  const { variant, fields } = ruleParts(rule);
  const name = RULE_NAMES.find((n) => RULES[n].variant.toLowerCase() === variant.toLowerCase());
  if (!name) throw new TypeError(`unknown AggregationRule variant ${variant}`);
  return [name, ...RULES[name].params.map(([, field, unit]) => formatUnits(Number(fields[field]), unit))].join(':');
}

/** An optional codec value (or its `toJSON()`) as plain JSON, `null` for none. */
function plain(value) {
  const v = value?.toJSON ? value.toJSON() : value;
  return v === undefined ? null : v;
}

/**
 * The canonical text of a spec `{ rule, clipping, mixing, weighting }` (polkadot.js form or a
 * codec's `toJSON()`): `formatRule(rule)`, then its stages, e.g. `median+arc:1+nnm:1`.
 */
export function formatSpec({ rule, clipping = null, mixing = null, weighting = 'Unweighted' }) {
  let text = formatRule(rule);
  const stage = (value, names) => {
    const v = plain(value);
    if (v === null) return;
    const { variant, fields } = ruleParts(v);
    const key = Object.keys(names).find((k) => k.toLowerCase() === variant.toLowerCase());
    if (!key) throw new TypeError(`unknown stage variant ${variant}`);
    const [name, field, unit] = names[key];
    if (name === null) return;
    text += `+${name}:${formatUnits(Number(fields[field]), unit)}`;
  };
  stage(clipping, { Fixed: ['clip', 'maxNorm', 'micro'], Adaptive: ['arc', 'f', 'count'] });
  stage(mixing, { Bucketing: ['bucket', 'size', 'count'], NearestNeighbours: ['nnm', 'f', 'count'] });
  stage(weighting, { Unweighted: [null], Capped: ['weighted', 'cap', 'micro'] });
  return text;
}

/**
 * The default rule of the tests and scripts: coordinate-wise trimmed mean dropping ⌊β·n⌋
 * values at each end of every coordinate, β = 0.34. For every n from 3 to 5 that drops exactly
 * one value at each end (with β = 0.25 a round that got only 3 updates would drop none and
 * average a poisoned update in), so one bad update among 3–5 cannot drag any coordinate. It is
 * defined for any n ≥ 1, so a round still aggregates when a trainer is late (Krum-family rules
 * need n ≥ 2f + 3 updates).
 */
export const DEFAULT_RULE = parseRule('trimmed-mean:0.34'); // { TrimmedMean: { beta: 340_000_000 } }

/**
 * A `TrainingConfig` in polkadot.js form.
 *
 * Architecture: logistic regression (or an MLP with `hidden` widths) on `inputDim` features and
 * `classes` classes. Local training: `epochs` × SGD with `batchSize` and `learningRate` (a real,
 * converted to micro units). Schedule: synchronous rounds of `commit` + `reveal` + `aggregate`
 * blocks needing `minUpdates` reveals. Aggregation: `rule`, a spec text such as
 * `trimmed-mean:0.34` or `krum:1+bucket:2` (see `parseSpec`) or a rule in polkadot.js form,
 * with `bucketing` (a bucket size) unless the text has its own `+bucket:`. Reward: `reward`
 * plancks per finalized round, split `split` (fractions summing to 1; converted to parts per
 * billion with the remainder given to the trainers so the three parts sum to exactly 100 %).
 */
export function logisticConfig({
  inputDim = 784,
  classes = 10,
  hidden = null,
  epochs = 1,
  batchSize = 32,
  learningRate = 0.1,
  fedproxMu = 0,
  commit = 4,
  reveal = 4,
  aggregate = 4,
  minUpdates = 3,
  rule = DEFAULT_RULE,
  bucketing = null,
  bounds = {},
  scorer = 'CosineToAggregate',
  reward = 1_000n * UNIT,
  split = { owner: 0.1, validators: 0.2 },
} = {}) {
  const owner = toPpb(split.owner);
  const validators = toPpb(split.validators);
  return {
    architecture: {
      kind: hidden ? { Mlp: { hidden: [hidden[0] ?? 0, hidden[1] ?? 0] } } : 'Logistic',
      inputDim,
      classes,
    },
    hyperParams: {
      localEpochs: epochs,
      batchSize,
      learningRate: toMicro(learningRate),
      fedproxMu: toMicro(fedproxMu),
      dp: null,
    },
    aggregation: aggregationSpec(rule, bucketing),
    updateBounds: updateBounds(bounds),
    scorer,
    schedule: {
      Sync: { commitBlocks: commit, revealBlocks: reveal, aggregateBlocks: aggregate, minUpdates },
    },
    rewardPerRound: BigInt(reward),
    rewardSplit: { owner, validators, trainers: PPB - owner - validators },
  };
}

/**
 * The `aggregation` field of a config: `rule` is a spec text (`krum:1+bucket:2`, see
 * `parseSpec`), or a rule already in polkadot.js form (`'FedAvg'`, `{ Krum: { f: 1 } }`);
 * `bucketing` (a bucket size or null) applies when the text has no `+bucket:` of its own.
 */
function aggregationSpec(rule, bucketing) {
  const bucketed = bucketing === null ? null : { Bucketing: { size: bucketing } };
  // A lower-case string is a spec text; anything else is a rule already in polkadot.js form.
  if (typeof rule !== 'string' || !/^[a-z]/.test(rule)) {
    return { rule, clipping: null, mixing: bucketed, weighting: 'Unweighted' };
  }
  const spec = parseSpec(rule);
  if (bucketing !== null && spec.mixing !== null) {
    const size = spec.mixing.Bucketing?.size;
    if (size !== bucketing) throw new Error(`rule ${rule} mixes by ${formatSpec(spec)} but bucketing ${bucketing} was also given`);
  }
  return { ...spec, mixing: spec.mixing ?? bucketed };
}

/**
 * What a revealed update may claim and contain (`UpdateBounds`): `maxSamples` declared samples,
 * coordinates of absolute value at most `maxValue` and an L2 norm at most `maxNorm` (reals,
 * converted to micro units). Defaults: `UpdateBounds::GENEROUS` (1,000,000, 100, 1,000).
 */
export function updateBounds({ maxSamples = 1_000_000, maxValue = 100, maxNorm = 1_000 } = {}) {
  return { maxSamples, maxValue: toMicro(maxValue), maxNorm: toMicro(maxNorm) };
}

/** Number of parameters of a config's network (weights and biases of every dense layer). */
export function parameterCount(config) {
  const { kind, inputDim, classes } = config.architecture;
  const hidden = typeof kind === 'object' && kind.Mlp ? kind.Mlp.hidden.filter((w) => w > 0) : [];
  const widths = [inputDim, ...hidden, classes];
  let count = 0;
  for (let i = 1; i < widths.length; i++) count += widths[i - 1] * widths[i] + widths[i];
  return count;
}

/** A config as JSON (BigInt amounts as decimal strings), for printing. */
export function configJson(config) {
  return JSON.stringify(config, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

// ---------------------------------------------------------------------------------------------
// Model registry and rewards calls
// ---------------------------------------------------------------------------------------------

/** The unsigned `registerModel` call for `config` and canonical `weights` bytes. */
export function registerModelTx(api, config, weights, validationSetHash = null) {
  // Hex, not a Uint8Array: polkadot.js reads a Uint8Array given for `Bytes` as already
  // SCALE-encoded (length-prefixed), a hex string as the raw content.
  return api.tx.modelRegistry.registerModel(config, u8aToHex(weights), validationSetHash);
}

/**
 * Registers a model and returns `{ model, initialHash, parameterCount, blockHash, blockNumber }`
 * from its `ModelRegistered` event.
 */
export async function registerModel(api, owner, config, weights, { validationSetHash = null } = {}) {
  const included = await signAndWait(registerModelTx(api, config, weights, validationSetHash), owner);
  const record = included.events.find(({ event }) => api.events.modelRegistry.ModelRegistered.is(event));
  if (!record) throw new Error('registerModel: no ModelRegistered event');
  const data = record.event.data;
  return {
    model: data.model.toNumber(),
    initialHash: data.initialHash.toHex(),
    parameterCount: data.parameterCount.toNumber(),
    blockHash: included.blockHash.toHex(),
    blockNumber: await blockNumberOf(api, included.blockHash),
  };
}

/** Adds `amount` plancks from `funder` to the model's reward pool. */
export async function fundModel(api, funder, model, amount) {
  return signAndWait(api.tx.contributionRewards.fundModel(model, BigInt(amount)), funder);
}

/** The number of a block by hash. */
export async function blockNumberOf(api, hash) {
  return (await api.rpc.chain.getHeader(hash)).number.toNumber();
}

/** The current best block number. */
export async function bestNumber(api) {
  return (await api.rpc.chain.getHeader()).number.toNumber();
}

/** A model's info from the runtime API, as `{ owner, version, versionHash, ... }`, or null. */
export async function modelInfo(api, model) {
  const info = await api.call.fedLedgerApi.model(model);
  if (info.isNone) return null;
  const m = info.unwrap();
  return {
    owner: m.owner.toString(),
    status: m.status.type,
    version: m.version.toNumber(),
    versionHash: m.versionHash.toHex(),
    parameterCount: m.parameterCount.toNumber(),
    config: m.config,
  };
}

/**
 * One link of the version chain as `{ hash, parent, round, block }` (hex strings, numbers,
 * null where absent). Read through `toJSON` because polkadot.js renames a struct field called
 * `hash` (every codec object already has a `.hash`).
 */
export async function versionRecord(api, model, version) {
  const record = await api.call.fedLedgerApi.version(model, version);
  if (record.isNone) return null;
  const { hash, parent, round, block } = record.unwrap().toJSON();
  return { hash, parent: parent ?? null, round: round ?? null, block };
}

/** The newest registered model id, or null when there is none. */
export async function latestModel(api) {
  const ids = (await api.call.fedLedgerApi.models()).map((id) => id.toNumber());
  return ids.length ? Math.max(...ids) : null;
}

/** Polls `check` every `intervalMs` until it returns a truthy value; throws `what` on timeout. */
export async function pollUntil(check, { timeoutMs = 60_000, intervalMs = 1_000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Waits until at least `count` FL validators are registered; returns their accounts. */
export async function waitForValidators(api, count, timeoutMs = 180_000) {
  return pollUntil(
    async () => {
      const set = await api.call.fedLedgerApi.validators();
      return set.length >= count ? set.map(([who]) => who.toString()) : null;
    },
    { timeoutMs, intervalMs: 2_000, what: `${count} FL validators to register` },
  );
}

/** Waits until every account in `trainers` holds a trainer bond for `model`. */
export async function waitForTrainerBonds(api, model, trainers, timeoutMs = 180_000) {
  let missing = trainers;
  await pollUntil(
    async () => {
      const bonds = await Promise.all(trainers.map((who) => api.query.gradientCommitments.trainerBonds(model, who)));
      missing = trainers.filter((_, i) => bonds[i].isNone);
      return missing.length === 0;
    },
    { timeoutMs, intervalMs: 2_000, what: `trainer bonds for model ${model}` },
  ).catch((e) => {
    throw new Error(`${e.message}; not bonded: ${missing.join(', ')}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Events, block by block
// ---------------------------------------------------------------------------------------------

/**
 * The event records of one block as plain objects:
 * `{ blockNumber, blockHash, phase, extrinsicIndex, signer, section, method, event, data }`.
 * `phase` is `Initialization`, `ApplyExtrinsic` (then `extrinsicIndex` is set) or
 * `Finalization`; `data` is the event's codec data with named fields (`data.model`,
 * `data.reward`, …); `signer` (SS58) is filled only when `block` (its body) is given.
 */
function blockRecords(blockNumber, blockHash, eventRecords, block) {
  return eventRecords.map(({ phase, event }) => {
    const extrinsicIndex = phase.isApplyExtrinsic ? phase.asApplyExtrinsic.toNumber() : null;
    const extrinsic = block && extrinsicIndex !== null ? block.extrinsics[extrinsicIndex] : null;
    return {
      blockNumber,
      blockHash,
      phase: phase.type,
      extrinsicIndex,
      signer: extrinsic?.isSigned ? extrinsic.signer.toString() : null,
      section: event.section,
      method: event.method,
      event,
      data: event.data,
    };
  });
}

/** Reads the events (and with `withBody`, the body) of the block `hash`. */
async function readBlock(api, hash, withBody) {
  const [apiAt, signedBlock] = await Promise.all([
    api.at(hash),
    withBody ? api.rpc.chain.getBlock(hash) : Promise.resolve(null),
  ]);
  const events = await apiAt.query.system.events();
  const header = signedBlock ? signedBlock.block.header : await api.rpc.chain.getHeader(hash);
  return blockRecords(header.number.toNumber(), hash.toHex(), events, signedBlock?.block ?? null);
}

/**
 * Every event record from block `fromBlock` up to the block `toHash` (default: the best block),
 * in chain order. Walks parent hashes down from `toHash`, so the blocks are exactly that
 * block's ancestry even if the node saw forks on the way.
 */
export async function collectEvents(api, fromBlock, { toHash, withBody = false } = {}) {
  let hash = toHash ? api.createType('Hash', toHash) : await api.rpc.chain.getBlockHash();
  const hashes = [];
  for (;;) {
    const header = await api.rpc.chain.getHeader(hash);
    if (header.number.toNumber() < fromBlock) break;
    hashes.push(hash);
    if (header.number.toNumber() === 0) break;
    hash = header.parentHash;
  }
  hashes.reverse();
  const out = [];
  for (const h of hashes) out.push(...(await readBlock(api, h, withBody)));
  return out;
}

/**
 * Calls `onRecords(records)` for every block of the best chain from `fromBlock` (default: the
 * current best block) on, one block at a time and in order, catching up on blocks imported
 * before the call or skipped between two notifications. Returns `stop()`.
 *
 * Blocks are taken by number on the best chain when processed; a block replaced by a reorg
 * after it was processed is not revisited (tests read final state from `collectEvents`).
 */
export async function followBlocks(api, onRecords, { fromBlock, withBody = false } = {}) {
  let next = fromBlock ?? (await bestNumber(api));
  let stopped = false;
  let queue = Promise.resolve();
  const catchUp = async (best) => {
    while (!stopped && next <= best) {
      const hash = await api.rpc.chain.getBlockHash(next);
      if (hash.isEmpty) return; // a reorg shortened the best chain: wait for the next head
      const records = await readBlock(api, hash, withBody);
      if (stopped) return;
      next += 1;
      await onRecords(records);
    }
  };
  const unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
    const best = header.number.toNumber();
    queue = queue.then(() => catchUp(best)).catch((e) => {
      // A failing handler must not stall the follower: report it and go on with the next head.
      console.error(`followBlocks: ${e.stack ?? e}`);
    });
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}

/**
 * Follows blocks (as `followBlocks`) until `check(records)` returns something other than
 * `undefined`, and resolves with that; stops following either way.
 */
async function followUntil(api, check, { fromBlock, withBody = false, timeoutMs, what }) {
  let stop = null;
  let done = false;
  const found = new Promise((resolve, reject) => {
    followBlocks(
      api,
      (records) => {
        if (done) return;
        const value = check(records);
        if (value !== undefined) {
          done = true;
          resolve(value);
        }
      },
      { fromBlock, withBody },
    ).then((s) => {
      stop = s;
      if (done) s(); // finished before the subscription handed back its stop()
    }, reject);
  });
  try {
    return await withTimeout(found, timeoutMs, what);
  } finally {
    done = true;
    stop?.();
  }
}

/**
 * Resolves with the first event record (see `blockRecords` for its shape) for which
 * `predicate(record)` is true, in blocks from `fromBlock` (default: the current best) on.
 */
export function waitForEvent(api, predicate, timeoutMs, { fromBlock, withBody = false, what = 'an event' } = {}) {
  return followUntil(api, (records) => records.find(predicate), { fromBlock, withBody, timeoutMs, what });
}

/** Whether a record is `section.method` (e.g. `isEvent(r, 'gradientCommitments', 'RoundFinalized')`). */
export function isEvent(record, section, method) {
  return record.section === section && record.method === method;
}

/** A `RoundFinalized` record as a plain object. */
export function roundFinalized(record) {
  const d = record.data;
  return {
    model: d.model.toNumber(),
    round: d.round.toNumber(),
    version: d.version.toNumber(),
    modelHash: d.modelHash.toHex(),
    accepted: d.accepted.toNumber(),
    rejected: d.rejected.toNumber(),
    reward: d.reward.toBigInt(),
    blockNumber: record.blockNumber,
    blockHash: record.blockHash,
  };
}

/**
 * Waits until `count` rounds of `model` have finalized in blocks from `fromBlock` on (each
 * round counted once, whatever forks showed); resolves with their `roundFinalized` objects in
 * round order. `onRound` is called for each as it arrives (progress output).
 */
export function waitForRoundsFinalized(api, model, count, { fromBlock, timeoutMs = 600_000, onRound } = {}) {
  const rounds = new Map();
  return followUntil(
    api,
    (records) => {
      for (const r of records) {
        if (!isEvent(r, 'gradientCommitments', 'RoundFinalized') || r.data.model.toNumber() !== model) continue;
        const info = roundFinalized(r);
        if (rounds.has(info.round)) continue;
        rounds.set(info.round, info);
        onRound?.(info);
      }
      return rounds.size >= count ? [...rounds.values()].sort((a, b) => a.round - b.round) : undefined;
    },
    { fromBlock, timeoutMs, what: `${count} finalized rounds of model ${model}` },
  ).catch((e) => {
    throw new Error(`${e.message} (saw ${rounds.size}: rounds ${[...rounds.keys()].join(', ') || 'none'})`);
  });
}

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

/** Plancks as `1234.567 FLT` (three decimals, rounded down). */
export function formatFlt(plancks) {
  const p = BigInt(plancks);
  const whole = p / UNIT;
  const milli = (p % UNIT) / 10n ** 9n;
  return `${whole}.${milli.toString().padStart(3, '0')} FLT`;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Races `promise` against a timer; the error names what was awaited. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

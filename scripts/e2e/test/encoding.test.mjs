// The JavaScript helpers of lib/chain.mjs against bytes the Rust code produces:
// test/fixtures/encoding.json is written by primitives/tests/encoding_fixture.rs (which fails
// when the committed file differs from what the Rust types produce, so it cannot go stale).
//
// * rule names: parseSpec / formatSpec follow the grammar of `FromStr`/`Display` of
//   `AggregationSpec` (same canonical text, same refusals, same error messages);
// * tensor codec: encodeTensorF32 / initialWeights / sha3Hex give the canonical bytes and
//   digests of `fedledger_primitives::tensor_codec` (no node needed);
// * SCALE: parseSpec and logisticConfig, encoded with the type registry of a real `--dev`
//   node's metadata, give the bytes of the Rust `AggregationSpec` and `TrainingConfig<u128>`.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { ApiPromise, WsProvider } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';

import {
  DEFAULT_RULE,
  encodeTensorF32,
  formatRule,
  formatSpec,
  initialWeights,
  logisticConfig,
  parseRule,
  parseSpec,
  RULE_NAMES,
  RuleParseError,
  sha3Hex,
} from '../lib/chain.mjs';
import { nodeBinary, startNode } from '../lib/node.mjs';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/encoding.json', import.meta.url), 'utf8'));

describe('rule names (FromStr/Display of AggregationSpec)', () => {
  test('every fixture text parses to the canonical text the Rust Display prints', () => {
    for (const { text, canonical } of fixture.specs) {
      assert.equal(formatSpec(parseSpec(text)), canonical, text);
      assert.equal(formatSpec(parseSpec(canonical)), canonical, canonical);
    }
  });

  test('the texts Rust refuses are refused with the same message', () => {
    for (const { text, error } of fixture.invalid) {
      assert.throws(() => parseSpec(text), (e) => e instanceof RuleParseError && e.message === error, text);
    }
  });

  test('bare names take the defaults; the rule alone takes no bucket suffix', () => {
    assert.deepEqual(parseRule('trimmed-mean'), DEFAULT_RULE);
    assert.deepEqual(parseRule('geometric-median'), { GeometricMedian: { iters: 8, eps: 1 } });
    assert.deepEqual(parseRule('centered-clipping'), { CenteredClipping: { tau: 500_000, iters: 3 } });
    assert.deepEqual(parseRule('norm-bounding'), { NormBounding: { maxNorm: 1_000_000 } });
    assert.deepEqual(parseRule('multi-krum'), { MultiKrum: { f: 1, m: 1 } });
    assert.throws(() => parseRule('median+bucket:2'), RuleParseError);
    assert.equal(RULE_NAMES.length, 9);
    for (const name of RULE_NAMES) assert.ok(formatRule(parseRule(name)).startsWith(name));
  });

  test('formatRule reads codec JSON (lower camel case variants) too', () => {
    assert.equal(formatRule({ trimmedMean: { beta: 250_000_000 } }), 'trimmed-mean:0.25');
    assert.equal(formatRule({ fedAvg: null }), 'fedavg');
    assert.equal(formatRule({ normBounding: { maxNorm: 2_750_000 } }), 'norm-bounding:2.75');
  });

  test('logisticConfig takes a spec text; a second bucket size must agree', () => {
    const spec = (rule, mixing = null, rest = {}) => ({ rule, clipping: null, mixing, weighting: 'Unweighted', ...rest });
    assert.deepEqual(logisticConfig({ rule: 'krum:2+bucket:3' }).aggregation, spec({ Krum: { f: 2 } }, { Bucketing: { size: 3 } }));
    assert.deepEqual(logisticConfig({ rule: 'median', bucketing: 2 }).aggregation, spec('Median', { Bucketing: { size: 2 } }));
    assert.deepEqual(logisticConfig({ rule: 'FedAvg' }).aggregation, spec('FedAvg'));
    assert.deepEqual(
      logisticConfig({ rule: 'median+arc+nnm:2+weighted' }).aggregation,
      spec('Median', { NearestNeighbours: { f: 2 } }, { clipping: { Adaptive: { f: 1 } }, weighting: { Capped: { cap: 2_000_000 } } }),
    );
    assert.throws(() => logisticConfig({ rule: 'median+bucket:2', bucketing: 3 }), /bucket/);
    assert.throws(() => logisticConfig({ rule: 'median+nnm', bucketing: 3 }), /bucket/);
    assert.throws(() => logisticConfig({ rule: 'geomed' }), RuleParseError);
  });
});

describe('tensor codec (primitives/src/tensor_codec)', () => {
  test('encodeTensorF32 / initialWeights give the canonical bytes and sha3 digests', () => {
    for (const c of fixture.tensors) {
      const bytes = c.zeros !== undefined ? initialWeights(c.zeros) : encodeTensorF32(c.values);
      assert.equal(u8aToHex(bytes), c.bytes, JSON.stringify(c.values ?? c.zeros));
      assert.equal(sha3Hex(bytes), c.sha3);
    }
  });
});

describe('SCALE encoding with the chain type registry', () => {
  let node;
  let api;

  before(async () => {
    // Without this, a missing binary surfaces as an uncaught spawn error after a long wait.
    assert.ok(existsSync(nodeBinary()), `no node binary at ${nodeBinary()} (build it, or set FEDLEDGER_NODE)`);
    node = await startNode({ name: 'encoding', args: ['--dev'] });
    api = await ApiPromise.create({ provider: new WsProvider(node.rpcUrl), noInitWarn: true });
  });

  after(async () => {
    await api?.disconnect();
    await node?.stop();
  });

  /** The registry name (`LookupN`) of the one metadata type with this Rust path. */
  function typeByPath(path) {
    const found = api.registry.lookup.types.filter(({ type }) => type.path.map(String).join('::') === path);
    assert.equal(found.length, 1, `${path}: ${found.length} types in the metadata`);
    return api.registry.createLookupType(found[0].id);
  }

  test('parseSpec gives the bytes of the Rust AggregationSpec', () => {
    const type = typeByPath('fedledger_primitives::rules::AggregationSpec');
    for (const { text, scale } of fixture.specs) {
      const encoded = api.createType(type, parseSpec(text));
      assert.equal(encoded.toHex(), scale, text);
      assert.equal(formatSpec(encoded.toJSON()), formatSpec(parseSpec(text)), `${text} decoded`);
    }
  });

  test('logisticConfig gives the bytes of the Rust TrainingConfig<u128>', () => {
    const type = typeByPath('fedledger_primitives::model::TrainingConfig');
    // It is the type registerModel takes.
    const arg = api.tx.modelRegistry.registerModel.meta.args[0].type.toString();
    assert.equal(api.createType(arg, logisticConfig()).toHex(), api.createType(type, logisticConfig()).toHex());
    for (const { options, scale } of fixture.configs) {
      assert.equal(api.createType(type, logisticConfig(options)).toHex(), scale, JSON.stringify(options));
    }
  });
});

import fs from 'node:fs';
import { loadFixture } from '@reacgan/testkit';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { isTorchTensor, readTorchCheckpoint, readTorchStateDict, TorchCheckpointError, TorchOrderedDict, type TorchTensor } from './read-checkpoint.js';

// Fixtures: scripts/make_torch_fixtures.py (torch.save of small state dicts in both formats).
type TensorJson = { dtype: string; shape: number[]; values: (number | string)[] };
type Expected = Record<string, { tensors: Record<string, TensorJson>; epoch?: number; meta?: object; tree?: unknown }>;
const expected = loadFixture<Expected & { provenance: object }>(import.meta.url, '__fixtures__/expected.json');
const read = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url)));

function values(t: TorchTensor): (number | string)[] {
  return t.data instanceof BigInt64Array ? Array.from(t.data, (v) => v.toString()) : Array.from(t.data as ArrayLike<number>);
}

describe('readTorchStateDict', () => {
  const files = Object.keys(expected).filter((k) => k !== 'provenance' && !expected[k].tree);
  it.each(files)('%s decodes to the tensors torch saved (dtype, shape, values)', (file) => {
    const exp = expected[file];
    const sd = readTorchStateDict(read(file), file.includes('nested') ? { key: 'state_dict' } : {});
    const names = Object.keys(exp.tensors).filter((k) => !k.startsWith('params.')).map((k) => k.replace(/^state_dict\./, ''));
    expect([...sd.keys()]).toEqual(names);
    for (const [rawName, e] of Object.entries(exp.tensors)) {
      if (rawName.startsWith('params.')) continue;
      const t = sd.get(rawName.replace(/^state_dict\./, ''))!;
      expect(t.dtype, rawName).toBe(e.dtype);
      expect(t.shape, rawName).toEqual(e.shape);
      if (t.data instanceof BigInt64Array) expect(values(t)).toEqual(e.values);
      else expect(values(t), rawName).toBeAllclose(e.values as number[], { rtol: 0, atol: 0 });
    }
  });

  it('decodes storages shared with offsets, non-contiguous strides and stride 0 (zip and legacy)', () => {
    for (const file of ['zip_views.pt', 'legacy_views.pt']) {
      const sd = readTorchStateDict(read(file));
      const base = sd.get('base')!.data as Float32Array;
      expect(Array.from(sd.get('col_slice')!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5].map((r) => base[r * 10 + 3]));
      expect(sd.get('transposed')!.shape).toEqual([10, 6]);
      expect((sd.get('transposed')!.data as Float32Array)[1]).toBe(base[10]);
      expect(Array.from(sd.get('expanded')!.data as Float32Array)).toEqual([1, 1, 1, 2, 2, 2]);
    }
  });

  it('reads Node Buffers that are views into a larger pool (zip and legacy)', () => {
    for (const file of ['zip_basic.pt', 'legacy_basic.pt']) {
      const pooled = Buffer.concat([Buffer.alloc(5), fs.readFileSync(new URL(`./__fixtures__/${file}`, import.meta.url))]).subarray(5);
      const a = readTorchStateDict(pooled);
      const b = readTorchStateDict(read(file));
      for (const [name, t] of b) expect(values(a.get(name)!), `${file} ${name}`).toEqual(values(t));
    }
  });

  it('reads nested checkpoints (nn.Parameter via _rebuild_parameter, plain values, dicts) as Maps', () => {
    for (const file of ['zip_nested.pt', 'legacy_nested.pt']) {
      const root = readTorchCheckpoint(read(file)) as Map<string, unknown>;
      expect(root.get('epoch')).toBe(3);
      expect(root.get('meta')).toEqual(new Map<string, unknown>([['name', 'tiny'], ['ok', true]]));
      const params = root.get('params') as Map<string, unknown>;
      expect(isTorchTensor(params.get('weight'))).toBe(true);
      // Without a key, the state_dict entry is found automatically; nested dicts are flattened.
      expect([...readTorchStateDict(read(file)).keys()]).toEqual(['weight', 'bias']);
    }
  });

  it("decodes a training checkpoint like StudioGAN's D file: OrderedDict _metadata, Adam state, numpy scalars, ints, None", () => {
    const root = readTorchCheckpoint(read('zip_training_state.pt'));
    /** The decoded value in the JSON form the fixture script writes (tensors described, numpy scalars as {numpy, value}). */
    const asJson = (v: unknown): unknown => {
      if (isTorchTensor(v)) return { dtype: v.dtype, shape: v.shape, values: values(v) };
      if (v instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of v) out[String(k)] = asJson(x);
        if (v instanceof TorchOrderedDict && v.metadata !== undefined) out.__metadata__ = asJson(v.metadata);
        return out;
      }
      if (Array.isArray(v)) return v.map((x) => asJson(x));
      if (typeof v === 'bigint') return Number(v);
      return v;
    };
    const tree = expected['zip_training_state.pt'].tree as Record<string, unknown>;
    // numpy scalars decode to plain JS values; the fixture records their numpy dtype next to the value.
    const numpy = Object.fromEntries(Object.entries(tree).filter(([, v]) => (v as { numpy?: string } | null)?.numpy));
    const plain = Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, k in numpy ? (v as { value: unknown }).value : v]));
    expect(Object.keys(numpy).sort()).toEqual(['best_fid', 'f32', 'flag', 'i64']);
    expect(asJson(root)).toEqual(plain);
    const map = root as Map<string, unknown>;
    expect(map.get('best_fid')).toBe(8.206475019455);
    expect(map.get('i64')).toBe(-(2 ** 40));
    expect(map.get('flag')).toBe(true);
    const sd = map.get('state_dict');
    expect(sd).toBeInstanceOf(TorchOrderedDict);
    // _metadata is an OrderedDict too: module name → versions (its content is compared through asJson above).
    expect(asJson((sd as TorchOrderedDict).metadata)).toEqual({ '': { version: 1 }, '0': { version: 1, spectral_norm: { 'weight.version': 1 } }, '1': { version: 2 } });
    // The optimizer: state keyed by parameter index (numbers), per-parameter step as a 0-d float tensor (torch ≥ 1.12).
    const optimizer = map.get('optimizer') as Map<string, unknown>;
    const state = optimizer.get('state') as Map<number, Map<string, unknown>>;
    expect([...state.keys()]).toEqual([0, 1, 2, 3]);
    expect((state.get(0)!.get('step') as TorchTensor).shape).toEqual([]);
  });

  it('rejects files that are not checkpoints, missing storages and unknown keys with clear errors', () => {
    expect(() => readTorchCheckpoint(new TextEncoder().encode('hello'))).toThrow(TorchCheckpointError);
    expect(() => readTorchCheckpoint(zipSync({ 'x/other.txt': new Uint8Array(3) }))).toThrow(/no data.pkl/);
    // The zip fixture with its first storage removed.
    const entries = unzipSync(read('zip_basic.pt'));
    const name = Object.keys(entries).find((n) => n.endsWith('/data/0'))!;
    delete entries[name];
    expect(() => readTorchStateDict(zipSync(entries, { level: 0 }))).toThrow(/storage '0' is missing/);
    const legacy = read('legacy_basic.pt');
    expect(() => readTorchCheckpoint(legacy.subarray(0, legacy.length - 40))).toThrow(/truncated/);
    expect(() => readTorchStateDict(read('zip_nested.pt'), { key: 'nope' })).toThrow(/no top-level key 'nope'/);
  });
});


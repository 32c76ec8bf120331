import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readTorchCheckpointFile } from './read-checkpoint-file.js';
import { isTorchTensor, isTorchTensorInfo, readTorchCheckpoint, type TorchTensor } from './read-checkpoint.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

/** Every tensor of a decoded tree, by path. */
function tensors(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (isTorchTensor(value) || isTorchTensorInfo(value)) out.set(prefix, value);
  else if (value instanceof Map) for (const [k, v] of value) tensors(v, `${prefix}${String(k)}.`, out);
  else if (Array.isArray(value)) value.forEach((v, i) => tensors(v, `${prefix}${i}.`, out));
  return out;
}

describe('readTorchCheckpointFile (entry by entry with yauzl)', () => {
  it('decodes zip and legacy files as readTorchCheckpoint does', async () => {
    for (const name of ['zip_basic.pt', 'zip_views.pt', 'zip_training_state.pt', 'legacy_basic.pt']) {
      const fromFile = await readTorchCheckpointFile(fixture(name));
      expect(fromFile, name).toEqual(readTorchCheckpoint(fs.readFileSync(fixture(name))));
    }
  });

  it('tensors: false gives dtype and shape of every tensor and the scalars, reading no storage', async () => {
    const full = readTorchCheckpoint(fs.readFileSync(fixture('zip_training_state.pt'))) as Map<string, unknown>;
    const info = (await readTorchCheckpointFile(fixture('zip_training_state.pt'), { tensors: false })) as Map<string, unknown>;
    expect(info.get('best_fid')).toBe(full.get('best_fid'));
    const a = tensors(full);
    const b = tensors(info);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, t] of a) expect([(b.get(k) as TorchTensor).dtype, (b.get(k) as TorchTensor).shape], k).toEqual([(t as TorchTensor).dtype, (t as TorchTensor).shape]);
    expect([...b.values()].every(isTorchTensorInfo)).toBe(true);
    // Without storages even an archive whose storages are gone reads.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pth-'));
    const entries = unzipSync(fs.readFileSync(fixture('zip_basic.pt')));
    for (const n of Object.keys(entries)) if (/\/data\/\d+$/.test(n)) delete entries[n];
    fs.writeFileSync(path.join(dir, 'gone.pt'), zipSync(entries, { level: 0 }));
    await expect(readTorchCheckpointFile(path.join(dir, 'gone.pt'), { tensors: false })).resolves.toBeInstanceOf(Map);
    await expect(readTorchCheckpointFile(path.join(dir, 'gone.pt'))).rejects.toThrow(/gone\.pt: storage '0' is missing/);
    await expect(readTorchCheckpointFile(path.join(dir, 'none.pt'))).rejects.toThrow(/none\.pt: cannot read/);
    await expect(readTorchCheckpointFile(fixture('legacy_basic.pt'), { tensors: false })).rejects.toThrow(/legacy file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

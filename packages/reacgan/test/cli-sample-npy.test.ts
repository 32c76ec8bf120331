import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as metrics from '@reacgan/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { disposeLoaded, loadGenerator } from '../src/node/generator.js';
import { tinyConfig, writeTrainedCheckpoint } from './helpers.js';

// `reacgan sample --latents z.npy --labels y.npy --format npy --out x.npy` on a tiny checkpoint (cpu backend).
let dir: string;
let checkpoint: string;
const N = 5;

const cli = async (args: string[]): Promise<string> => (await runCli([...args, '--backend', 'cpu'])).out;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-sample-npy-'));
  checkpoint = join(dir, 'run', 'checkpoints', 'last.safetensors');
  await writeTrainedCheckpoint(tinyConfig(), 1, checkpoint);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('reacgan sample --latents / --labels / --format npy', () => {
  it('writes float32 NHWC images in [-1, 1] for the given z and y, equal to the generator applied to them', async () => {
    const zDim = tinyConfig().model.zDim;
    // float64 latents (numpy's default) and int64 labels.
    const z = Float64Array.from({ length: N * zDim }, (_, i) => Math.sin(i * 1.7) * 1.3);
    const y = BigInt64Array.from([0n, 3n, 1n, 2n, 3n]);
    await writeFile(join(dir, 'z.npy'), metrics.encodeNpy(z, [N, zDim]));
    await writeFile(join(dir, 'y.npy'), metrics.encodeNpy(y, [N]));
    const out = join(dir, 'x.npy');
    const line = await cli(['sample', '--checkpoint', checkpoint, '--latents', join(dir, 'z.npy'), '--labels', join(dir, 'y.npy'), '--format', 'npy', '--out', out]);
    expect(line).toMatch(/wrote .*x\.npy: float32 \[5, 8, 8, 1\] \(NHWC, in \[-1, 1\]\)/);
    const x = metrics.decodeNpy(await readFile(out));
    expect([x.dtype, x.shape]).toEqual(['f4', [N, 8, 8, 1]]);
    expect(Array.from(x.data as Float32Array).every((v) => v >= -1 && v <= 1)).toBe(true);
    const loaded = await loadGenerator(checkpoint);
    const expected = tf.tidy(() => loaded.generator.apply(tf.tensor2d(Float32Array.from(z), [N, zDim]), tf.tensor1d([0, 3, 1, 2, 3], 'int32'), { training: false, batchNormStatistics: 'running' }));
    expect(Array.from(x.data as Float32Array)).toEqual(Array.from(expected.dataSync()));
    expected.dispose();
    disposeLoaded(loaded);
    // Sample i depends only on (z_i, y_i) with running statistics: the first two alone give the same pixels.
    await writeFile(join(dir, 'z2.npy'), metrics.encodeNpy(Float32Array.from(z.subarray(0, 2 * zDim)), [2, zDim]));
    await writeFile(join(dir, 'y2.npy'), metrics.encodeNpy(Int32Array.of(0, 3), [2]));
    await cli(['sample', '--checkpoint', checkpoint, '--latents', join(dir, 'z2.npy'), '--labels', join(dir, 'y2.npy'), '--format', 'npy', '--out', join(dir, 'x2.npy')]);
    const x2 = metrics.decodeNpy(await readFile(join(dir, 'x2.npy')));
    expect(Array.from(x2.data as Float32Array)).toEqual(Array.from((x.data as Float32Array).subarray(0, 2 * 64)));
  });

  const python = resolve(__dirname, '..', '..', '..', '.venv-reference', 'bin', 'python');
  it.skipIf(!existsSync(python))('numpy reads the written array', () => {
    const out = execFileSync(python, ['-c', `import numpy as np; x = np.load(${JSON.stringify(join(dir, 'x.npy'))}); print(x.dtype, x.shape, bool((np.abs(x) <= 1).all()))`]).toString().trim();
    expect(out).toBe('float32 (5, 8, 8, 1) True');
  });

  it('refuses inputs that do not fit, saying what was expected and received', async () => {
    const zDim = tinyConfig().model.zDim;
    const put = async (name: string, data: metrics.NpyArray['data'], shape: number[]) => {
      await writeFile(join(dir, name), metrics.encodeNpy(data, shape));
      return join(dir, name);
    };
    const z = await put('z.npy', new Float32Array(N * zDim), [N, zDim]);
    const y = await put('y.npy', Int32Array.of(0, 1, 2, 3, 0), [N]);
    const base = ['sample', '--checkpoint', checkpoint, '--format', 'npy', '--out', join(dir, 'o.npy')];
    await expect(cli([...base, '--latents', await put('zw.npy', new Float32Array(N * 3), [N, 3]), '--labels', y])).rejects.toThrow(/--latents .*zw\.npy: expected shape \[N, 4\] .* received \[5, 3\]/);
    await expect(cli([...base, '--latents', await put('zi.npy', new Int32Array(N * zDim), [N, zDim]), '--labels', y])).rejects.toThrow(/--latents .*zi\.npy: expected float32 or float64 latents \[N, 4\], received dtype int32/);
    await expect(cli([...base, '--latents', z, '--labels', await put('yf.npy', new Float32Array(N), [N])])).rejects.toThrow(/--labels .*yf\.npy: expected integer labels \[N\], received dtype float32/);
    await expect(cli([...base, '--latents', z, '--labels', await put('y9.npy', Int32Array.of(0, 1, 9, 3, 0), [N])])).rejects.toThrow(/--labels .*y9\.npy: label 9 at index 2 is outside \[0, 4\)/);
    await expect(cli([...base, '--latents', z, '--labels', await put('y3.npy', Int32Array.of(0, 1, 2), [3])])).rejects.toThrow(/holds 5 latents but --labels .* holds 3 labels/);
    await expect(cli([...base, '--latents', z])).rejects.toThrow(/--latents: needs --labels/);
    await expect(cli([...base.slice(0, -2), '--out', join(dir, 'o.png'), '--latents', z, '--labels', y])).rejects.toThrow(/--out: expected a \.npy file for --format npy/);
    await expect(cli([...base, '--latents', join(dir, 'missing.npy'), '--labels', y])).rejects.toThrow(/--latents .*missing\.npy: cannot read/);
    await writeFile(join(dir, 'bad.npy'), 'not numpy');
    await expect(cli([...base, '--latents', join(dir, 'bad.npy'), '--labels', y])).rejects.toThrow(/--latents .*bad\.npy: not a readable \.npy array/);
  });

  it('--labels alone draws z from --seed; --format png with --latents tiles the images', async () => {
    const y = join(dir, 'y.npy');
    await writeFile(y, metrics.encodeNpy(Int32Array.of(0, 1, 2, 3, 0), [N]));
    await cli(['sample', '--checkpoint', checkpoint, '--labels', y, '--format', 'npy', '--out', join(dir, 'a.npy'), '--seed', '4']);
    expect(metrics.decodeNpy(await readFile(join(dir, 'a.npy'))).shape).toEqual([N, 8, 8, 1]);
    const line = await cli(['sample', '--checkpoint', checkpoint, '--labels', y, '--out', join(dir, 'a.png'), '--columns', '5']);
    expect(line).toMatch(/wrote .*a\.png: 5 images, 5 per row/);
  });
});

describe('sample / evaluate / train refuse what they cannot use before writing anything', () => {
  it('sample --per-class refuses a non-empty --out folder (earlier images would mix in), and fills a new one', async () => {
    const out = join(dir, 'per-class-old');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(out, '0'), { recursive: true });
    await writeFile(join(out, '0', '7.png'), 'an older image');
    await expect(cli(['sample', '--checkpoint', checkpoint, '--per-class', '1', '--out', out])).rejects.toThrow(/--out: expected a new or empty folder, received .*per-class-old, which holds 1 entry \(0\)/);
    expect(await readFile(join(out, '0', '7.png'), 'utf8')).toBe('an older image');
    expect(existsSync(join(out, '0', '0.png'))).toBe(false);
    await writeFile(join(dir, 'a-file'), '');
    await expect(cli(['sample', '--checkpoint', checkpoint, '--per-class', '1', '--out', join(dir, 'a-file')])).rejects.toThrow(/--out: expected a new or empty folder, received .*a-file, which is a file/);
    const fresh = join(dir, 'per-class-new');
    await cli(['sample', '--checkpoint', checkpoint, '--per-class', '1', '--out', fresh]);
    expect(existsSync(join(fresh, '0', '0.png'))).toBe(true);
  });

  it('--best on a run without a best checkpoint, a missing --run and a --resume file name the flag', async () => {
    const run = join(dir, 'run');
    for (const command of ['sample', 'evaluate']) {
      await expect(cli([command, '--run', run, '--best'])).rejects.toThrow(/--best: expected .*best\.safetensors .*received --run .*run, which has none; drop --best/);
      await expect(cli([command, '--run', join(dir, 'nowhere')])).rejects.toThrow(/--run: expected a run directory, received .*nowhere, which does not exist/);
    }
    await expect(cli(['sample', '--run', join(dir, 'a-file')])).rejects.toThrow(/--run: expected a run directory, received .*a-file, which is a file/);
    await writeFile(join(dir, 'notes.txt'), 'x');
    await expect(cli(['train', '--resume', join(dir, 'notes.txt'), '--steps', '2', '--no-progress'])).rejects.toThrow(/--resume: expected a run directory .* or a \.safetensors checkpoint file, received .*notes\.txt, a file that is not a \.safetensors checkpoint/);
    await expect(cli(['train', '--resume', join(dir, 'nowhere'), '--steps', '2', '--no-progress'])).rejects.toThrow(/--resume: expected .*, received .*nowhere, which does not exist/);
    await expect(cli(['train', '--resume', dir, '--steps', '2', '--no-progress'])).rejects.toThrow(/--resume: expected .*, a folder without checkpoints\/last\.safetensors/);
  });
});

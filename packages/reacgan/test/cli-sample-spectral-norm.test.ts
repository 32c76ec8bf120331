import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as metrics from '@reacgan/metrics';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { runCli } from './cli.js';
import { disposeLoaded, loadGenerator } from '../src/node/generator.js';
import { tinyConfig, writeTrainedCheckpoint } from './helpers.js';

// `reacgan sample --spectral-norm fixed|iterate` reaches generation: 'fixed' (default) is the generator with its
// stored u, v; 'iterate' is StudioGAN's sampling (one power iteration per forward pass,
// models.evaluationApplyOptions(..., 'iterate'), whose parity with StudioGAN the models package tests).
let dir: string;
let checkpoint: string;
const N = 4;
const config = tinyConfig({ model: { applyGSn: true } });
const zDim = config.model.zDim;
const z = Float32Array.from({ length: N * zDim }, (_, i) => Math.sin(i * 1.3));
const y = Int32Array.of(0, 1, 2, 3);

const cli = async (args: string[]): Promise<string> => (await runCli([...args, '--backend', 'cpu'])).out;

async function sample(extra: string[], name: string): Promise<{ line: string; x: Float32Array }> {
  const out = join(dir, name);
  const line = await cli(['sample', '--checkpoint', checkpoint, '--latents', join(dir, 'z.npy'), '--labels', join(dir, 'y.npy'), '--format', 'npy', '--out', out, ...extra]);
  return { line, x: metrics.decodeNpy(await readFile(out)).data as Float32Array };
}

/** The loaded checkpoint's generator applied through the models API with `spectralNorm` (fresh load each time). */
async function expected(spectralNorm: models.SpectralNormSampling): Promise<Float32Array> {
  const loaded = await loadGenerator(checkpoint);
  const images = tf.tidy(() => loaded.generator.apply(tf.tensor2d(z, [N, zDim]), tf.tensor1d(y, 'int32'), models.evaluationApplyOptions('running', spectralNorm)));
  const values = images.dataSync() as Float32Array;
  images.dispose();
  disposeLoaded(loaded);
  return values;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-sample-sn-'));
  checkpoint = join(dir, 'run', 'checkpoints', 'last.safetensors');
  await writeTrainedCheckpoint(config, 2, checkpoint);
  await writeFile(join(dir, 'z.npy'), metrics.encodeNpy(z, [N, zDim]));
  await writeFile(join(dir, 'y.npy'), metrics.encodeNpy(y, [N]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('reacgan sample --spectral-norm', () => {
  it("defaults to 'fixed' (stored u, v) and 'iterate' samples as StudioGAN does (one power iteration per pass)", async () => {
    const byDefault = await sample([], 'default.npy');
    const fixed = await sample(['--spectral-norm', 'fixed'], 'fixed.npy');
    const iterate = await sample(['--spectral-norm', 'iterate'], 'iterate.npy');
    expect(byDefault.line).toMatch(/running BN statistics, spectral norm fixed/);
    expect(iterate.line).toMatch(/running BN statistics, spectral norm iterate/);
    expect(Array.from(byDefault.x)).toEqual(Array.from(await expected('fixed')));
    expect(Array.from(fixed.x)).toEqual(Array.from(byDefault.x));
    expect(Array.from(iterate.x)).toEqual(Array.from(await expected('iterate')));
    // The modes differ on this checkpoint (the EMA generator's u, v are EMA blends, not a power-iteration state).
    let diff = 0;
    for (let i = 0; i < iterate.x.length; i++) diff = Math.max(diff, Math.abs(iterate.x[i] - fixed.x[i]));
    expect(diff).toBeGreaterThan(1e-6);
  });

  it('refuses an unknown mode, naming the choices; evaluate has the same flag', async () => {
    const program = buildProgram().exitOverride();
    for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(program.parseAsync(['node', 'reacgan', 'sample', '--checkpoint', checkpoint, '--spectral-norm', 'twice'])).rejects.toThrow(/--spectral-norm.*'twice' is invalid.*fixed, iterate/);
    const evaluate = program.commands.find((c) => c.name() === 'evaluate')!;
    const option = evaluate.options.find((o) => o.long === '--spectral-norm')!;
    expect([option.defaultValue, option.argChoices]).toEqual(['fixed', ['fixed', 'iterate']]);
  });
});

/**
 * Generators at the real sizes of StudioGAN's released models, with random weights, exported the way a user
 * exports theirs (`exportWebGenerator` from a run checkpoint), into a temporary folder (never committed):
 * CIFAR-10 BigGAN 32 px (preset cifar10/reacgan = StudioGAN's CIFAR10/ReACGAN.yaml, 9,416,196 parameters,
 * 37.7 MB) and ImageNet BigGAN 128 px (imagenet/reacgan-256 = ImageNet/ReACGAN-256.yaml, 70,433,988 parameters,
 * 282 MB, the size of StudioGAN's released G_ema).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { exportWebGenerator, resolvePreset, saveCheckpoint, type ExportWebGeneratorResult } from 'reacgan/node';

export const LARGE_PRESETS = { 'cifar10-biggan-32': 'cifar10/reacgan', 'imagenet-biggan-128': 'imagenet/reacgan-256' } as const;

/**
 * A generator of `preset`'s architecture with random weights (N(0, 0.05), one seeded stream per tensor; orthogonal
 * init of 70M parameters would take minutes in JavaScript) whose spectral-norm vectors are brought close to the
 * top singular vectors by 5 power iterations, so the images are not saturated.
 */
export function randomGenerator(preset: string): { generator: models.Generator; config: ReturnType<typeof resolvePreset> } {
  const config = resolvePreset(preset);
  const generator = models.createGenerator(config.model, { imgSize: config.data.imgSize, imgChannels: config.data.imgChannels, numClasses: config.data.numClasses, initialize: false });
  let seed = 1;
  const spectral = new Set<tf.Variable>();
  const walk = (m: models.Module): void => {
    if (m instanceof models.WeightLayer && m.spectralNorm) spectral.add(m.u!).add(m.v!);
    for (const [, child] of m.namedChildren()) walk(child);
  };
  walk(generator);
  for (const [name, variable] of generator.stateDict()) {
    if (variable.dtype !== 'float32' || spectral.has(variable as tf.Variable) || /running_(mean|var)$/.test(name)) continue;
    tf.tidy(() => (variable as tf.Variable).assign(tf.randomNormal(variable.shape, 0, 0.05, 'float32', seed++)));
  }
  const iterate = (m: models.Module): void => {
    if (m instanceof models.WeightLayer && m.spectralNorm) for (let i = 0; i < 5; i++) models.powerIteration(m.weight, m.u!, m.v!, m.view, m.spectralNormEps);
    for (const [, child] of m.namedChildren()) iterate(child);
  };
  iterate(generator);
  return { generator, config };
}

/**
 * Writes `generator` as the EMA generator of a run checkpoint in `dir` and exports it with `exportWebGenerator`
 * (self-check on the active backend). Returns the export result (file path, size, descriptor).
 */
export async function exportRandom(preset: string, dir: string): Promise<ExportWebGeneratorResult & { parameters: number }> {
  const { generator, config } = randomGenerator(preset);
  try {
    const tensors = new Map([...generator.stateDict()].map(([name, v]) => [`G_ema.${name}`, v] as [string, tf.Tensor]));
    const file = join(dir, 'checkpoints', 'last.safetensors');
    await mkdir(join(dir, 'checkpoints'), { recursive: true });
    const meta = { format: 'reacgan-training-state', version: 1, step: 0, samplerRng: null, batches: null, fmBatches: null, optimizerSteps: { G: {}, D: {} }, config } as const;
    await saveCheckpoint(file, { tensors, meta: meta as never }, { reason: 'test', savedAt: new Date(0).toISOString() });
    const result = await exportWebGenerator({ checkpoint: file, out: join(dir, `${preset.replace('/', '-')}.web.safetensors`), now: new Date(0) });
    return { ...result, parameters: generator.numParameters() };
  } finally {
    generator.dispose();
  }
}

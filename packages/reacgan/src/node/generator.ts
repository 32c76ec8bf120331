import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as data from '@reacgan/data';
import * as dataNode from '@reacgan/data/node';
import * as metrics from '@reacgan/metrics';
import * as models from '@reacgan/models';
import type * as tf from '@tensorflow/tfjs-core';
import type { ReacganConfig } from '../config/resolve.js';
import { imagesFromNhwc, tileImages, type Uint8Image } from '../report/images.js';
import { applyStandingStatisticsInPlace, type GenerationStatistics, type GenerationStatisticsRequest, resolveGenerationStatistics } from '../train/standing.js';
import { generateImages } from '../train/generate.js';
import { type CheckpointInfo, loadCheckpoint } from './checkpoint.js';
import { writeFileAtomic } from './fs-atomic.js';
import { encodePng } from './png.js';
import { perClassLabels } from './run.js';

/** A generator restored from a training checkpoint. */
export interface LoadedGenerator {
  generator: models.Generator;
  config: ReacganConfig;
  /** Completed training steps of the checkpoint. */
  step: number;
  /** True when the EMA weights were loaded. */
  ema: boolean;
  info: CheckpointInfo;
  checkpoint: string;
  /**
   * The BN statistics generation uses, once {@link prepareLoadedGenerator} has run (`sampleLoaded` runs
   * it with the run configuration's settings when it has not); null before.
   */
  statistics: GenerationStatistics | null;
}

/** The checkpoint file of a run directory (`checkpoints/last.safetensors`) or the file itself. */
export function checkpointPath(run: string | undefined, checkpoint: string | undefined, which: 'last' | 'best' = 'last'): string {
  if (checkpoint) {
    if (which === 'best') throw new Error(`--best: selects the run's checkpoints/best.safetensors, so it cannot be combined with --checkpoint (received --checkpoint ${checkpoint})`);
    return checkpoint;
  }
  if (!run) throw new Error('expected --run <run directory> or --checkpoint <file>, received neither');
  const file = join(run, 'checkpoints', `${which}.safetensors`);
  if (!existsSync(file)) {
    if (!existsSync(run)) throw new Error(`--run: expected a run directory, received ${run}, which does not exist`);
    if (!statSync(run).isDirectory()) throw new Error(`--run: expected a run directory, received ${run}, which is a file (a checkpoint file goes to --checkpoint)`);
    if (which === 'best') {
      throw new Error(`--best: expected ${file} (the best checkpoint a run keeps when it evaluates during training, e.g. train --eval-extractor), received --run ${run}, which has none; drop --best to use its last checkpoint`);
    }
    throw new Error(`--run: expected a run directory holding checkpoints/last.safetensors, received ${run}, which has none`);
  }
  return file;
}

/**
 * Builds the generator of a checkpoint's configuration and loads its weights: the EMA generator (`G_ema.*`)
 * by default when the run kept one, else G (`G.*`).
 */
export async function loadGenerator(file: string, options: { ema?: boolean } = {}): Promise<LoadedGenerator> {
  const ckpt = await loadCheckpoint(file);
  const config = ckpt.meta.config;
  const generator = models.createGenerator(config.model, { imgSize: config.data.imgSize, imgChannels: config.data.imgChannels, numClasses: config.data.numClasses, initialize: false, seed: 0 });
  const hasEma = [...ckpt.tensors.keys()].some((k) => k.startsWith('G_ema.'));
  const useEma = (options.ema ?? true) && hasEma;
  const prefix = useEma ? 'G_ema.' : 'G.';
  if (![...ckpt.tensors.keys()].some((k) => k.startsWith(prefix))) {
    throw new Error(`checkpoint ${file}: no generator G.* in it${hasEma ? ' (it holds the EMA generator G_ema only, e.g. a StudioGAN import of the G_ema file): drop --no-ema' : ''}`);
  }
  const state = new Map<string, models.TensorData>();
  for (const [name, t] of ckpt.tensors) if (name.startsWith(prefix)) state.set(name.slice(prefix.length), t);
  generator.loadStateDict(state, { strict: true });
  return { generator, config, step: ckpt.meta.step, ema: useEma, info: ckpt.info, checkpoint: file, statistics: null };
}

/**
 * Sets up a loaded generator's BN statistics for generation from its run configuration (`run.batchStatistics`,
 * `run.standingStatistics`, `run.standingStep`, `run.standingMaxBatch`, `run.seed`) and `request` (the CLI
 * flags, which win). Standing statistics are estimated here, once, in place: the in-memory generator's
 * running statistics are reset and re-accumulated (see `train/standing.ts`); its weights and the checkpoint
 * file are not touched, and running the pass again gives the same statistics (it starts from the reset).
 * @returns the resolved mode (also stored as `loaded.statistics`).
 * @throws Error for contradictory or incomplete settings (see `resolveGenerationStatistics`).
 */
export function prepareLoadedGenerator(loaded: LoadedGenerator, request: GenerationStatisticsRequest = {}): GenerationStatistics {
  const statistics = resolveGenerationStatistics(loaded.config.run, request);
  if (statistics.standing) applyStandingStatisticsInPlace(loaded.generator, statistics.standing);
  loaded.statistics = statistics;
  return statistics;
}

export interface SampleOptions {
  seed?: number;
  truncation?: number | null;
  /**
   * Force running or batch statistics for this call. Default: the mode of `loaded.statistics` (prepared
   * from the run configuration on first use; 'standing' generates with the re-estimated running statistics).
   */
  batchNormStatistics?: 'running' | 'batch';
  /** The latents z, row-major [labels.length, zDim], instead of drawing them from `seed` (see {@link latentsFromNpy}). */
  latents?: Float32Array;
  /**
   * Spectral norm while generating: 'fixed' (default: stored u, v; sampling changes nothing) or 'iterate'
   * (StudioGAN's sampling: one power iteration per forward pass, updating the loaded generator's u, v).
   */
  spectralNorm?: 'iterate' | 'fixed';
}

/**
 * Generates `labels` with a loaded generator (NHWC float32 in [−1, 1]; dispose it). Runs
 * {@link prepareLoadedGenerator} with the run configuration first if it has not run yet, so a run trained
 * with `run.standingStatistics` samples with standing statistics.
 */
export function sampleLoaded(loaded: LoadedGenerator, labels: Int32Array, options: SampleOptions = {}): tf.Tensor4D {
  let batchNormStatistics = options.batchNormStatistics;
  if (batchNormStatistics === undefined) {
    const statistics = loaded.statistics ?? prepareLoadedGenerator(loaded);
    batchNormStatistics = statistics.mode === 'batch' ? 'batch' : 'running';
  }
  return generateImages(loaded.generator, loaded.config, labels, {
    rng: new data.Rng(options.seed ?? 0),
    truncation: options.truncation,
    batchNormStatistics,
    latents: options.latents,
    spectralNorm: options.spectralNorm,
  });
}

/** A grid with one row per class and `perClass` columns (images read asynchronously: GPU backends included). */
export async function classGrid(loaded: LoadedGenerator, perClass: number, options: SampleOptions = {}): Promise<Uint8Image> {
  const labels = perClassLabels(loaded.config.data.numClasses, perClass);
  const images = sampleLoaded(loaded, labels, options);
  const shape = images.shape;
  const values = await images.data();
  images.dispose();
  return tileImages(imagesFromNhwc(values, shape), perClass);
}

/**
 * A class's folder name: its name with path separators and control characters replaced by `_` (so
 * Fashion-MNIST's "T-shirt/top" becomes `T-shirt_top`); `''`, `.` and `..` become the class index.
 */
export function classFolderName(name: string, index: number): string {
  const safe = [...name].map((c) => (c === '/' || c === '\\' || c.charCodeAt(0) < 0x20 ? '_' : c)).join('');
  return safe === '' || safe === '.' || safe === '..' ? String(index) : safe;
}

/** Folder names of all classes (see {@link classFolderName}); names that would collide get `-<index>` appended. */
export function classFolderNames(classNames: readonly string[]): string[] {
  const names = classNames.map((n, k) => classFolderName(n, k));
  const seen = new Map<string, number>();
  for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
  return names.map((n, k) => ((seen.get(n) ?? 0) > 1 ? `${n}-${k}` : n));
}

/**
 * The class names of a loaded checkpoint's training set (stored with the checkpoint, else the run's
 * labels.json), or null for old checkpoints that have neither.
 */
export async function loadedClassNames(loaded: LoadedGenerator): Promise<string[] | null> {
  const numClasses = loaded.config.data.numClasses;
  if (loaded.info.classNames?.length === numClasses) return [...loaded.info.classNames];
  const labels = join(dirname(dirname(loaded.checkpoint)), 'labels.json');
  if (!existsSync(labels)) return null;
  const doc = await dataNode.loadClassIndex(labels).catch(() => null);
  return doc && doc.classNames.length === numClasses ? [...doc.classNames] : null;
}

/**
 * Writes `perClass` images of every class as `<dir>/<class name>/<n>.png` (8-bit PNG at the generator's native
 * size; grayscale for 1 channel), the class names of the training set (see {@link classFolderName}; class indices
 * for old checkpoints without names). Returns the number of files written and the folder of each class.
 */
export async function writePerClassImages(loaded: LoadedGenerator, dir: string, perClass: number, options: SampleOptions = {}): Promise<{ written: number; folders: string[]; byName: boolean }> {
  const numClasses = loaded.config.data.numClasses;
  const names = await loadedClassNames(loaded);
  const folders = names ? classFolderNames(names) : Array.from({ length: numClasses }, (_, k) => String(k));
  let written = 0;
  for (let k = 0; k < numClasses; k++) {
    await mkdir(join(dir, folders[k]), { recursive: true });
    const labels = new Int32Array(perClass).fill(k);
    // One stream per class, so class k's images do not depend on how many classes precede it.
    const images = sampleLoaded(loaded, labels, { ...options, seed: Number(data.deriveSeed(options.seed ?? 0, k) & 0x1fffffffffffffn) });
    const shape = images.shape;
    const values = await images.data();
    images.dispose();
    const list = imagesFromNhwc(values, shape);
    for (let n = 0; n < list.length; n++) {
      await writeFileAtomic(join(dir, folders[k], `${n}.png`), encodePng(list[n]));
      written++;
    }
  }
  return { written, folders, byName: names !== null };
}

/** Frees the generator. */
export function disposeLoaded(loaded: LoadedGenerator): void {
  loaded.generator.dispose();
}

/**
 * Latents from a `.npy` file for {@link sampleLoaded}: a [N, zDim] float32 or float64 array (float64 is rounded to
 * float32, as the generator computes in float32).
 * @throws Error naming the file, the expected shape / dtype and what it holds.
 */
export function latentsFromNpy(bytes: Uint8Array, file: string, zDim: number): { latents: Float32Array; count: number } {
  const array = metrics.decodeNpy(bytes, `--latents ${file}`);
  if (array.dtype !== 'f4' && array.dtype !== 'f8') {
    throw new Error(`--latents ${file}: expected float32 or float64 latents [N, ${zDim}], received dtype ${npyTypeName(array.dtype)}`);
  }
  if (array.shape.length !== 2 || array.shape[1] !== zDim || array.shape[0] < 1) {
    throw new Error(`--latents ${file}: expected shape [N, ${zDim}] (N ≥ 1; zDim ${zDim} of this generator), received [${array.shape.join(', ')}]`);
  }
  const latents = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data as Float64Array);
  for (let i = 0; i < latents.length; i++) {
    if (!Number.isFinite(latents[i])) throw new Error(`--latents ${file}: value ${latents[i]} at index ${i} is not finite`);
  }
  return { latents, count: array.shape[0] };
}

/**
 * Class labels from a `.npy` file: an integer array [N] (any of int8–int64, uint8–uint64) with values in
 * [0, numClasses).
 * @throws Error naming the file and the offending shape, dtype or value.
 */
export function labelsFromNpy(bytes: Uint8Array, file: string, numClasses: number): Int32Array {
  const array = metrics.decodeNpy(bytes, `--labels ${file}`);
  if (!/^[iu][1248]$/.test(array.dtype)) throw new Error(`--labels ${file}: expected integer labels [N], received dtype ${npyTypeName(array.dtype)}`);
  if (array.shape.length !== 1 || array.shape[0] < 1) throw new Error(`--labels ${file}: expected shape [N] (N ≥ 1), received [${array.shape.join(', ')}]`);
  const out = new Int32Array(array.shape[0]);
  for (let i = 0; i < out.length; i++) {
    const v = Number(array.data[i]);
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) throw new Error(`--labels ${file}: label ${String(array.data[i])} at index ${i} is outside [0, ${numClasses}) (data.numClasses of this run)`);
    out[i] = v;
  }
  return out;
}

function npyTypeName(code: string): string {
  const names: Record<string, string> = { f4: 'float32', f8: 'float64', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64', u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64', b1: 'bool' };
  return names[code] ?? code;
}

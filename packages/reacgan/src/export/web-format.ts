/**
 * The web generator file: what `reacgan export --web` writes (see `web-export.ts`) and what the browser demo
 * (`examples/web`) — or any tfjs program — reads. Browser-safe: only `@reacgan/models`, `@reacgan/data`'s
 * core and tfjs-core (no Node APIs).
 *
 * ## Format `reacgan-web-generator`, version 1
 * A safetensors file (https://github.com/huggingface/safetensors):
 * - tensors: the generator's state dict (parameters and buffers: BN running statistics, spectral-norm `u`
 *   vectors, `num_batches_tracked`) under the same StudioGAN-compatible names as `generator.stateDict()`
 *   (no `G_ema.` prefix). By default the EMA generator (`G_ema.*` of the checkpoint); the raw generator
 *   (`G.*`) only when asked for or when the run had no EMA (`model.applyGEma: false`). Float tensors are
 *   stored as float32 (F32), bit-exact to the checkpoint; integer buffers as int32 (I32).
 * - `__metadata__` (all values strings; JSON where noted):
 *   - `format`: `reacgan-web-generator`; `format_version`: `1`
 *   - `model_config` (JSON): the complete `ModelConfig` of @reacgan/models (StudioGAN MODEL keys, camelCase)
 *   - `data` (JSON): `{ name, imgSize, imgChannels, numClasses, classNames }`
 *   - `generation` (JSON): `{ zPrior, batchNormStatistics: 'running' | 'batch', truncation: number | null,
 *     standingStatistics? }`, the run's evaluation settings (`run.batchStatistics`; `run.truncationFactor`,
 *     −1 → null; with `run.standingStatistics` the exported running statistics are the standing ones)
 *   - `provenance` (JSON): `{ generator: 'G_ema' | 'G', step, checkpoint, checkpointSha256, seed, dataset,
 *     parameters, exportedAt, exportBackend, versions, reason? }`
 *   - `self_check` (JSON, optional): `{ z (n × zDim, row-major), labels, batchNormStatistics, indices,
 *     expected, mean, std, tolerance }`: the generator's output for fixed inputs, computed at export time
 *     (values at `indices` of the flattened NHWC output — 64 points, chosen among values tanh has not
 *     saturated when possible — and per-sample mean and standard deviation), so that a reader on another
 *     backend (WebGL, wasm) can verify it computes the same images.
 *
 * Read it with {@link decodeWebGenerator} (plain data) or {@link loadWebGenerator} (a ready generator).
 */
import * as data from '@reacgan/data';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';

export const WEB_GENERATOR_FORMAT = 'reacgan-web-generator';
export const WEB_GENERATOR_FORMAT_VERSION = 1;

/** Which generator of a checkpoint to export: 'ema' (G_ema), 'g' (the raw G), 'auto' (G_ema when the run has one). */
export type ExportedGeneratorChoice = 'auto' | 'ema' | 'g';

/** The `data` metadata entry. */
export interface WebGeneratorData {
  /** Dataset name in StudioGAN's spelling (e.g. 'MNIST'). */
  name: string;
  imgSize: number;
  imgChannels: number;
  numClasses: number;
  /** One name per class index. */
  classNames: string[];
}

/** The `generation` metadata entry: how the run evaluated its generator. */
export interface WebGeneratorGeneration {
  zPrior: 'gaussian' | 'uniform';
  /** 'running' (eval-mode BN: samples independent of each other) or 'batch' (StudioGAN `-batch_stat`). */
  batchNormStatistics: 'running' | 'batch';
  /** The run's truncation threshold (null = none). */
  truncation: number | null;
  /**
   * Present when the run evaluates with standing statistics (StudioGAN `-std_stat`): the exporter re-estimated
   * the BN running statistics from `steps` generated batches of up to `maxBatch` samples (seed `seed`), so the
   * file's running statistics already are the standing ones and readers use `batchNormStatistics: 'running'`.
   */
  standingStatistics?: { steps: number; maxBatch: number; seed: number };
}

/** The `provenance` metadata entry. */
export interface WebGeneratorProvenance {
  generator: 'G_ema' | 'G';
  /** Training steps completed when the checkpoint was written (null if unknown). */
  step: number | null;
  /** File name of the checkpoint. */
  checkpoint: string;
  /** SHA-256 (hex) of the checkpoint file. */
  checkpointSha256: string;
  /** The run's seed (`run.seed`). */
  seed: number | null;
  dataset: string;
  /** Generator parameter count (trainable weights; buffers excluded). */
  parameters: number;
  /** ISO 8601 time of the export. */
  exportedAt: string;
  /** tfjs backend that computed the self-check. */
  exportBackend: string;
  versions: Record<string, string>;
  /** Why the checkpoint was written (`interval`, `final`, `best`, …) when the checkpoint says. */
  reason?: string;
}

/** The `self_check` metadata entry. */
export interface WebGeneratorSelfCheck {
  /** Latents, row-major [labels.length, zDim]. */
  z: number[];
  labels: number[];
  batchNormStatistics: 'running' | 'batch';
  /** Indices into the flattened NHWC output [n·S·S·C]. */
  indices: number[];
  /** Output values at `indices`. */
  expected: number[];
  /** Per-sample mean and (population) standard deviation of the output. */
  mean: number[];
  std: number[];
  /** Largest absolute difference a reader should accept (GPU float32 arithmetic differs from the CPU's). */
  tolerance: number;
}

/** Everything in a web generator file except the weights. */
export interface WebGeneratorDescriptor {
  format: typeof WEB_GENERATOR_FORMAT;
  formatVersion: number;
  modelConfig: models.ModelConfig;
  data: WebGeneratorData;
  generation: WebGeneratorGeneration;
  provenance: WebGeneratorProvenance;
  selfCheck: WebGeneratorSelfCheck | null;
}

/** Default `self_check.tolerance` (outputs are in [−1, 1]). */
export const SELF_CHECK_TOLERANCE = 2e-3;
const SELF_CHECK_POINTS = 64;
const SELF_CHECK_SEED = 20211206;

function evaluate(generator: models.Generator, z: ArrayLike<number>, labels: number[], batchNormStatistics: 'running' | 'batch'): tf.Tensor4D {
  return tf.tidy(() =>
    generator.apply(tf.tensor2d(Float32Array.from(z), [labels.length, generator.zDim]), tf.tensor1d(labels, 'int32'), { training: false, batchNormStatistics }),
  );
}

/** Per-sample mean and population standard deviation of n equally sized samples. */
function sampleMoments(values: Float32Array, n: number): { mean: number[]; std: number[] } {
  const perSample = values.length / n;
  const mean: number[] = [];
  const std: number[] = [];
  for (let s = 0; s < n; s++) {
    let sum = 0;
    let sq = 0;
    for (let i = s * perSample; i < (s + 1) * perSample; i++) sum += values[i];
    const m = sum / perSample;
    for (let i = s * perSample; i < (s + 1) * perSample; i++) sq += (values[i] - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(sq / perSample));
  }
  return { mean, std };
}

/**
 * Where to compare: SELF_CHECK_POINTS indices spread evenly over the output, taken among the values tanh has
 * not saturated (|v| < 0.98) when there are enough of them — a saturated value (MNIST's background is −1)
 * hides an error in what comes before the tanh.
 */
export function selfCheckIndices(values: ArrayLike<number>, count = SELF_CHECK_POINTS): number[] {
  const unsaturated: number[] = [];
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) < 0.98) unsaturated.push(i);
  const pool = unsaturated.length >= count ? unsaturated : Array.from({ length: values.length }, (_, i) => i);
  const n = Math.min(count, pool.length);
  const step = pool.length / n;
  return Array.from({ length: n }, (_, i) => pool[Math.min(pool.length - 1, Math.floor(i * step + step / 2))]);
}

/**
 * Runs the generator on the self-check inputs (evaluation mode) and records what a reader must reproduce.
 * Default labels: the first and the last class; z: the generator's prior from a fixed seed. Reads the
 * output with `await data()` (any backend, GPU ones included).
 */
export async function computeSelfCheck(
  generator: models.Generator,
  batchNormStatistics: 'running' | 'batch',
  options: { labels?: number[]; seed?: number; tolerance?: number } = {},
): Promise<WebGeneratorSelfCheck> {
  const labels = options.labels ?? (generator.numClasses > 1 ? [0, generator.numClasses - 1] : [0, 0]);
  const z = data.sampleLatents(new data.Rng(options.seed ?? SELF_CHECK_SEED), labels.length, generator.zDim, { prior: generator.config.zPrior });
  const out = evaluate(generator, z, labels, batchNormStatistics);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  const indices = selfCheckIndices(values);
  return {
    z: Array.from(z),
    labels: [...labels],
    batchNormStatistics,
    indices,
    expected: indices.map((i) => values[i]),
    ...sampleMoments(values, labels.length),
    tolerance: options.tolerance ?? SELF_CHECK_TOLERANCE,
  };
}

/**
 * Evaluates a generator on a file's self-check inputs, on the active backend (reads the result with
 * `await data()`, so a WebGL page is not blocked), and compares with the recorded output.
 * @returns the largest absolute difference over the recorded values, means and standard deviations
 *   (compare it with `check.tolerance`).
 */
export async function runSelfCheck(generator: models.Generator, check: WebGeneratorSelfCheck): Promise<number> {
  const out = evaluate(generator, check.z, check.labels, check.batchNormStatistics);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  const { mean, std } = sampleMoments(values, check.labels.length);
  let worst = 0;
  check.indices.forEach((index, i) => (worst = Math.max(worst, Math.abs(values[index] - check.expected[i]))));
  mean.forEach((m, s) => (worst = Math.max(worst, Math.abs(m - check.mean[s]), Math.abs(std[s] - check.std[s]))));
  return worst;
}

/**
 * Encodes a generator and its descriptor as a web generator file (format version 1, see the module
 * comment). Reads the weights with `await data()` (any backend, GPU ones included).
 * @throws Error (the promise rejects) when `data` does not match the generator or `classNames` has the wrong length.
 */
export async function encodeWebGenerator(
  generator: models.Generator,
  descriptor: Pick<WebGeneratorDescriptor, 'data' | 'generation' | 'provenance' | 'selfCheck'>,
): Promise<Uint8Array> {
  const { data: d } = descriptor;
  if (d.imgSize !== generator.imgSize || d.imgChannels !== generator.imgChannels || d.numClasses !== generator.numClasses) {
    throw new Error(
      `encodeWebGenerator: data ${JSON.stringify({ imgSize: d.imgSize, imgChannels: d.imgChannels, numClasses: d.numClasses })} does not match the generator ` +
        `(imgSize ${generator.imgSize}, imgChannels ${generator.imgChannels}, numClasses ${generator.numClasses})`,
    );
  }
  if (!Array.isArray(d.classNames) || d.classNames.length !== d.numClasses) {
    throw new Error(`encodeWebGenerator: data.classNames must hold ${d.numClasses} names, received ${Array.isArray(d.classNames) ? d.classNames.length : String(d.classNames)}`);
  }
  const metadata: Record<string, string> = {
    format: WEB_GENERATOR_FORMAT,
    format_version: String(WEB_GENERATOR_FORMAT_VERSION),
    model_config: JSON.stringify(generator.config),
    data: JSON.stringify(d),
    generation: JSON.stringify(descriptor.generation),
    provenance: JSON.stringify(descriptor.provenance),
  };
  if (descriptor.selfCheck) metadata.self_check = JSON.stringify(descriptor.selfCheck);
  return models.encodeSafetensorsAsync(generator.stateDict(), metadata);
}

function parseJsonEntry<T>(metadata: Record<string, string>, key: string, required: boolean): T | null {
  const raw = metadata[key];
  if (raw === undefined) {
    if (required) throw new Error(`decodeWebGenerator: metadata '${key}' is missing`);
    return null;
  }
  try {
    return JSON.parse(raw) as T;
  } catch (error) {
    throw new Error(`decodeWebGenerator: metadata '${key}' is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Decodes a web generator file into its descriptor and the weights as plain data (no tf memory). The
 * model config is re-validated with `validateModelConfig`.
 * @throws Error when the bytes are not safetensors, not a `reacgan-web-generator` file (a training
 *   checkpoint gets a hint to export it), a newer format version, or a metadata entry is missing or
 *   malformed (the message names it).
 */
export function decodeWebGenerator(bytes: Uint8Array | ArrayBuffer): { descriptor: WebGeneratorDescriptor; tensors: Map<string, models.TensorData> } {
  const { tensors, metadata } = models.decodeSafetensors(bytes);
  if (metadata.format !== WEB_GENERATOR_FORMAT) {
    const hint = metadata.format === 'reacgan-checkpoint' ? ' (this is a training checkpoint: run `reacgan export --web` on it first)' : '';
    throw new Error(`decodeWebGenerator: expected metadata format '${WEB_GENERATOR_FORMAT}', received ${metadata.format === undefined ? 'none' : `'${metadata.format}'`}${hint}`);
  }
  const formatVersion = Number(metadata.format_version);
  if (!Number.isInteger(formatVersion) || formatVersion < 1 || formatVersion > WEB_GENERATOR_FORMAT_VERSION) {
    throw new Error(`decodeWebGenerator: format_version ${String(metadata.format_version)} is not supported (this reader knows 1..${WEB_GENERATOR_FORMAT_VERSION})`);
  }
  const modelConfig = models.validateModelConfig(parseJsonEntry<models.ModelConfigInput>(metadata, 'model_config', true)!);
  const d = parseJsonEntry<WebGeneratorData>(metadata, 'data', true)!;
  for (const key of ['imgSize', 'imgChannels', 'numClasses'] as const) {
    if (!Number.isInteger(d?.[key]) || d[key] < 1) throw new Error(`decodeWebGenerator: data.${key} must be a positive integer, received ${String(d?.[key])}`);
  }
  if (!Array.isArray(d.classNames) || d.classNames.length !== d.numClasses) {
    throw new Error(`decodeWebGenerator: data.classNames must list ${d.numClasses} names, received ${JSON.stringify(d.classNames)}`);
  }
  const generation = parseJsonEntry<WebGeneratorGeneration>(metadata, 'generation', true)!;
  if (generation?.batchNormStatistics !== 'running' && generation?.batchNormStatistics !== 'batch') {
    throw new Error(`decodeWebGenerator: generation.batchNormStatistics must be 'running' or 'batch', received ${String(generation?.batchNormStatistics)}`);
  }
  const provenance = parseJsonEntry<WebGeneratorProvenance>(metadata, 'provenance', true)!;
  const selfCheck = parseJsonEntry<WebGeneratorSelfCheck>(metadata, 'self_check', false);
  return {
    descriptor: { format: WEB_GENERATOR_FORMAT, formatVersion, modelConfig, data: d, generation, provenance, selfCheck },
    tensors,
  };
}

/**
 * Builds the generator stored in a web generator file (strict state-dict load: every name and shape must
 * match the config; weights are not randomly initialised first). The caller owns the generator (dispose it).
 */
export function loadWebGenerator(bytes: Uint8Array | ArrayBuffer): { generator: models.Generator; descriptor: WebGeneratorDescriptor } {
  const { descriptor, tensors } = decodeWebGenerator(bytes);
  const { imgSize, imgChannels, numClasses } = descriptor.data;
  const generator = models.createGenerator(descriptor.modelConfig, { imgSize, imgChannels, numClasses, initialize: false });
  try {
    generator.loadStateDict(tensors, { strict: true });
  } catch (error) {
    generator.dispose();
    throw error;
  }
  return { generator, descriptor };
}

/**
 * Which batch-norm statistics a generator uses when it generates for evaluation, sample grids and
 * exports — StudioGAN's three modes (`src/utils/misc.py` GeneratorController / `apply_standing_statistics`):
 *
 * - `'running'`: the running statistics accumulated during training (PyTorch eval mode; the default);
 * - `'batch'`: each batch's own statistics, nothing updated (`-batch_stat`, `run.batchStatistics`);
 * - `'standing'`: standing statistics (BigGAN's trick; `-std_stat -std_max M -std_step K`,
 *   `run.standingStatistics`, `run.standingMaxBatch`, `run.standingStep`): every BN's running mean and
 *   variance are reset to (0, 1) and re-accumulated with BN momentum 0.1 over K forward passes in training
 *   mode, each of a batch whose size is drawn uniformly from [1, M], with z from the prior (no truncation)
 *   and uniformly random labels; generation then uses these running statistics.
 *
 * Spectral-norm vectors and every weight stay as they were (StudioGAN's pass also advances the SN power
 * iteration because it runs in train mode; here the function the network computes stays fixed apart from
 * its BN statistics). Browser-safe.
 */
import * as models from '@reacgan/models';
import type { RunConfig } from '../config/schema.js';

/** BN momentum of StudioGAN's batch norms, used by its standing-statistics pass. */
export const STANDING_STATISTICS_MOMENTUM = 0.1;

/** The BN statistics mode of generation (see the module comment). */
export type BatchNormStatisticsMode = 'running' | 'batch' | 'standing';

/** A fully specified standing-statistics pass. */
export interface StandingStatisticsSettings {
  /** Forward passes K (StudioGAN `standing_step`, `-std_step`). */
  steps: number;
  /** Largest batch M: each pass uses a batch size drawn uniformly from [1, M] (StudioGAN `standing_max_batch`, `-std_max`). */
  maxBatch: number;
  /** Seed of the batch sizes, z and labels of the pass (default: `run.seed`). */
  seed: number;
}

/** A standing-statistics pass as recorded with results. */
export interface StandingStatisticsRecord extends StandingStatisticsSettings {
  momentum: number;
  randomBatchSize: true;
  resetFirst: true;
}

/**
 * What the caller asks for, on top of the run configuration (the CLI flags). Every field is optional:
 * unset fields come from `run.*`.
 */
export interface GenerationStatisticsRequest {
  /** Force a mode (`--batch-statistics` → 'batch', `--standing-statistics` → 'standing'); default from `run.*`. */
  mode?: BatchNormStatisticsMode;
  /** K (`--standing-step`; default `run.standingStep`). */
  standingStep?: number;
  /** M (`--standing-max-batch`; default `run.standingMaxBatch`). */
  standingMaxBatch?: number;
  /** Seed of the pass (default `run.seed`). */
  standingSeed?: number;
}

/** The resolved mode, and the standing pass when the mode is 'standing'. */
export interface GenerationStatistics {
  mode: BatchNormStatisticsMode;
  standing: StandingStatisticsSettings | null;
}

function checkPositiveInt(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new RangeError(`${name}: expected a positive integer, received ${String(value)}`);
}

/**
 * Resolves the BN statistics of generation from the run configuration and an optional request:
 * an explicit `request.mode` wins over the configuration; `run.batchStatistics` and `run.standingStatistics`
 * exclude each other (as StudioGAN's config check does).
 * @throws Error when the configuration turns on both batch and standing statistics, when standing statistics lack K or M
 *   (naming the config keys and flags), when K / M / seed are not positive integers, or when `standingStep`
 *   / `standingMaxBatch` are given without standing statistics being on.
 */
export function resolveGenerationStatistics(run: Pick<RunConfig, 'batchStatistics' | 'standingStatistics' | 'standingStep' | 'standingMaxBatch' | 'seed'>, request: GenerationStatisticsRequest = {}): GenerationStatistics {
  checkPositiveInt(request.standingStep, '--standing-step (standingStep)');
  checkPositiveInt(request.standingMaxBatch, '--standing-max-batch (standingMaxBatch)');
  if (request.standingSeed !== undefined && (!Number.isInteger(request.standingSeed) || request.standingSeed < 0)) {
    throw new RangeError(`standingSeed: expected a non-negative integer, received ${String(request.standingSeed)}`);
  }
  let mode: BatchNormStatisticsMode;
  if (request.mode !== undefined) {
    if (!['running', 'batch', 'standing'].includes(request.mode)) throw new Error(`BN statistics mode: expected 'running', 'batch' or 'standing', received ${String(request.mode)}`);
    mode = request.mode;
  } else {
    if (run.batchStatistics && run.standingStatistics) {
      throw new Error('run.batchStatistics and run.standingStatistics are both true; they exclude each other (as in StudioGAN): set one of them to false');
    }
    mode = run.standingStatistics ? 'standing' : run.batchStatistics ? 'batch' : 'running';
  }
  const overrides = request.standingStep !== undefined || request.standingMaxBatch !== undefined;
  if (mode !== 'standing') {
    if (overrides) throw new Error(`--standing-step / --standing-max-batch need standing statistics (--standing-statistics or run.standingStatistics), but generation uses ${mode} statistics`);
    return { mode, standing: null };
  }
  const steps = request.standingStep ?? run.standingStep ?? null;
  const maxBatch = request.standingMaxBatch ?? run.standingMaxBatch ?? null;
  if (steps === null || maxBatch === null) {
    const missing = [steps === null ? 'run.standingStep (--standing-step)' : null, maxBatch === null ? 'run.standingMaxBatch (--standing-max-batch)' : null].filter(Boolean).join(' and ');
    throw new Error(
      `run.standingStatistics is on but run.standingStep (${String(steps)}) and run.standingMaxBatch (${String(maxBatch)}) must both be set: ` +
        `give ${missing} (StudioGAN -std_step / -std_max; its ImageNet runs use 256/256 for batch 256 and 512/512 for batch 2048)`,
    );
  }
  return { mode, standing: { steps, maxBatch, seed: request.standingSeed ?? run.seed } };
}

/** The record of a standing pass (settings plus the fixed parts of StudioGAN's procedure). */
export function standingStatisticsRecord(settings: StandingStatisticsSettings): StandingStatisticsRecord {
  return { ...settings, momentum: STANDING_STATISTICS_MOMENTUM, randomBatchSize: true, resetFirst: true };
}

/**
 * Standing statistics in place (StudioGAN `apply_standing_statistics`): resets every BN's running
 * statistics of `generator` to (0, 1) and re-accumulates them with momentum 0.1 over `settings.steps`
 * passes of random-sized batches (sizes uniform in [1, maxBatch]; z from the generator's prior,
 * untruncated; uniform labels). Afterwards generate with running statistics. Weights and spectral-norm
 * vectors are unchanged; no tensor is left behind. Deterministic for a fixed seed and backend.
 * @throws RangeError for non-positive-integer steps / maxBatch.
 */
export function applyStandingStatisticsInPlace(generator: models.Generator, settings: StandingStatisticsSettings): void {
  models.applyStandingStatistics(generator, {
    steps: settings.steps,
    batchSize: settings.maxBatch,
    randomBatchSize: true,
    momentum: STANDING_STATISTICS_MOMENTUM,
    seed: settings.seed,
  });
}

/**
 * A copy of `generator` (same config, weights, SN vectors and BN state) whose running statistics were
 * re-estimated with {@link applyStandingStatisticsInPlace}; `generator` itself is not touched (the
 * trainer uses this so that its G / G_ema state, and so resume, stay exact). Dispose the copy.
 */
export function standingStatisticsCopy(generator: models.Generator, settings: StandingStatisticsSettings): models.Generator {
  const copy = models.createGenerator(generator.config, { ...generator.dataOptions, initialize: false });
  try {
    copy.loadStateDict(generator.stateDict(), { strict: true });
    applyStandingStatisticsInPlace(copy, settings);
    return copy;
  } catch (error) {
    copy.dispose();
    throw error;
  }
}

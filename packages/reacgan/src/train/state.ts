import type * as data from '@reacgan/data';
import type * as tf from '@tensorflow/tfjs-core';
import type { ReacganConfig } from '../config/resolve.js';
import type { StepRandom } from './step/random.js';
import type { RealBatch } from './step/update.js';

/** A source of real batches (a @reacgan/data BatchIterator, or anything with the same contract). */
export interface BatchSource {
  next(): Promise<IteratorResult<RealBatch, unknown>>;
  getState(): unknown;
  setState(state: never): void;
}

/** Serialisable training state (a checkpoint's content). */
export interface TrainingState {
  /**
   * Tensors by name: `G.*`, `D.*`, `G_ema.*` (state dicts), `optG.m.*`, `optG.v.*`, `optD.m.*`, `optD.v.*`,
   * and the loss terms' state `terms.<D|G>.<term>.<key>` (e.g. LeCam's moving averages).
   */
  tensors: Map<string, tf.Tensor>;
  /** Everything else, JSON-serialisable. */
  meta: TrainingStateMeta;
}

export interface TrainingStateMeta {
  format: 'reacgan-training-state';
  version: 1;
  /** Completed steps. */
  step: number;
  /**
   * The z/y sampler's stream; null (a run imported from StudioGAN, whose streams are not reproducible here):
   * the streams start afresh from `run.seed`.
   */
  samplerRng: data.RngState | null;
  /** The augmentations' and regularisers' stream (absent in checkpoints written before it existed). */
  auxiliaryRng?: data.RngState;
  /** The data iterator's position; null: the iterator starts at the beginning of its `run.seed` order. */
  batches: unknown | null;
  fmBatches: unknown | null;
  optimizerSteps: { G: Record<string, number>; D: Record<string, number> };
  config: ReacganConfig;
}

export interface TrainerOptions {
  /** The training set (uint8 HWC images); batches are drawn with a seeded, resumable iterator. */
  dataset?: data.Dataset;
  /** Or a ready batch source (tests, benchmarks); `fmBatches` for feature matching. */
  batches?: BatchSource;
  fmBatches?: BatchSource;
  /** The step's random draws (default: seeded from `run.seed`); tests replay recorded draws. */
  random?: StepRandom;
  /** Skip random initialisation of the networks (when a state will be loaded right away). */
  initialize?: boolean;
}

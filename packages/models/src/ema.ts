import * as tf from '@tensorflow/tfjs-core';
import { createGenerator } from './create.js';
import type { Generator } from './networks.js';

export interface GeneratorEmaOptions {
  /** EMA decay (StudioGAN `g_ema_decay`, 0.9999 in the ReACGAN configs). */
  decay: number;
  /** Step before which the decay is 0, i.e. the copy tracks G exactly (StudioGAN `g_ema_start`). */
  startStep: number;
}

/**
 * An exponential moving average of a generator (StudioGAN `src/utils/ema.py:Ema`).
 *
 * The copy starts equal to the source (parameters and buffers). `update(step)` then applies, with
 * d = 0 for 0 ≤ step < startStep and d = decay otherwise:
 *   p_ema ← p + d·(p_ema − p)            for every parameter,
 *   b_ema ← b + d·(b_ema − b)            for every buffer (BN running statistics, SN u and v),
 *   num_batches_tracked_ema ← num_batches_tracked   (copied).
 * Evaluate with `ema.generator` (an ordinary {@link Generator}).
 */
export class GeneratorEma {
  readonly source: Generator;
  readonly generator: Generator;
  readonly decay: number;
  readonly startStep: number;
  private readonly pairs: { ema: tf.Variable; source: tf.Variable; copy: boolean }[];

  constructor(source: Generator, options: GeneratorEmaOptions) {
    if (!options || typeof options.decay !== 'number' || !(options.decay >= 0 && options.decay <= 1)) {
      throw new RangeError(`GeneratorEma: decay must be a number in [0, 1], received ${String(options?.decay)}`);
    }
    if (!Number.isInteger(options.startStep) || options.startStep < 0) {
      throw new RangeError(`GeneratorEma: startStep must be a non-negative integer, received ${String(options.startStep)}`);
    }
    this.source = source;
    this.decay = options.decay;
    this.startStep = options.startStep;
    this.generator = createGenerator(source.config, { ...source.dataOptions, initialize: false });
    this.generator.loadStateDict(source.stateDict());
    const ema = this.generator.stateDict();
    this.pairs = [...source.stateDict()].map(([name, variable]) => ({
      ema: ema.get(name)!,
      source: variable,
      copy: name.endsWith('num_batches_tracked'),
    }));
  }

  /** The decay used at `step` (0 before `startStep`). */
  decayAt(step: number): number {
    return step >= 0 && step < this.startStep ? 0 : this.decay;
  }

  /** Moves the average towards the source; call after each generator update with the step number. */
  update(step: number): void {
    if (!Number.isFinite(step)) throw new TypeError(`GeneratorEma.update: step must be a number, received ${String(step)}`);
    const d = this.decayAt(step);
    tf.tidy(() => {
      for (const { ema, source, copy } of this.pairs) {
        if (copy || d === 0) ema.assign(tf.clone(source));
        else ema.assign(tf.add(source, tf.mul(tf.sub(ema, source), d)));
      }
    });
  }

  /** Disposes the EMA copy (not the source). */
  dispose(): void {
    this.generator.dispose();
  }
}

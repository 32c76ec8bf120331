import * as data from '@reacgan/data';

/** Serialisable state of a {@link SeededStepRandom} (part of a checkpoint). */
export interface StepRandomState {
  sampler: data.RngState;
  auxiliary: data.RngState;
}

/**
 * The host-side random draws of training steps, in the order the step consumes them. The trainer's default
 * is {@link SeededStepRandom}; tests replay another implementation's draws (e.g. StudioGAN's, recorded) to
 * compare whole steps.
 */
export interface StepRandom {
  /** The generator's inputs: z from the prior, [n·zDim] row-major, and y uniform in [0, numClasses), [n]. */
  latents(n: number): { z: Float32Array; y: Int32Array };
  /** z-space noise for zCR: [n·zDim] from the prior (N(0, 1), or U(−1, 1) for the 'uniform' prior). */
  latentNoise(n: number): Float32Array;
  /** Uniform floats in [0, 1). */
  uniform(n: number): Float32Array;
  /** Uniform integers in [low, high). */
  integers(n: number, low: number, high: number): Int32Array;
  getState(): StepRandomState | null;
  setState(state: StepRandomState | null): void;
}

const SAMPLER_KEY = 0x53414d50n; // "SAMP"
const AUXILIARY_KEY = 0x41555858n; // "AUXX"
const LARGEST_BELOW_ONE = 1 - 2 ** -24;

/**
 * Draws from two seeded streams derived from `run.seed`: the sampler (z and y, the same stream as before the
 * regularisers existed, so runs without them draw the same latents) and an auxiliary stream for everything
 * the regularisers and augmentations draw (DiffAugment, CR augmentations, GP interpolation, zCR noise).
 */
export class SeededStepRandom implements StepRandom {
  private readonly sampler: data.Rng;
  private readonly auxiliary: data.Rng;

  constructor(
    seed: number,
    private readonly zDim: number,
    private readonly numClasses: number,
    private readonly prior: 'gaussian' | 'uniform',
  ) {
    this.sampler = data.Rng.derive(seed, SAMPLER_KEY);
    this.auxiliary = data.Rng.derive(seed, AUXILIARY_KEY);
  }

  latents(n: number): { z: Float32Array; y: Int32Array } {
    const z = data.sampleLatents(this.sampler, n, this.zDim, { prior: this.prior });
    const y = data.sampleClassLabels(this.sampler, n, this.numClasses);
    return { z, y };
  }

  latentNoise(n: number): Float32Array {
    return data.sampleLatents(this.auxiliary, n, this.zDim, { prior: this.prior });
  }

  uniform(n: number): Float32Array {
    const out = new Float32Array(n);
    // Rounded to float32, a draw just below 1 would become 1: keep the interval half-open.
    for (let i = 0; i < n; i++) out[i] = Math.min(Math.fround(this.auxiliary.next()), LARGEST_BELOW_ONE);
    return out;
  }

  integers(n: number, low: number, high: number): Int32Array {
    if (!(Number.isInteger(low) && Number.isInteger(high) && high > low)) throw new Error(`StepRandom.integers: expected integers low < high, received ${low}, ${high}`);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = low + this.auxiliary.nextInt(high - low);
    return out;
  }

  getState(): StepRandomState {
    return { sampler: this.sampler.getState(), auxiliary: this.auxiliary.getState() };
  }

  setState(state: StepRandomState | null): void {
    if (!state) return;
    this.sampler.setState(state.sampler);
    this.auxiliary.setState(state.auxiliary);
  }
}

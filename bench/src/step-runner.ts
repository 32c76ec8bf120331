import * as data from '@reacgan/data';
import type { BenchPreset } from './presets.js';

/** One implementation of "a training step" (the trainer's, or the bench-local mirror of it). */
export interface StepRunner {
  readonly parameterCounts: { G: number; D: number };
  /** One D update + one G update (+ EMA). Scalars stay on the device until {@link flush}. */
  step(): Promise<unknown>;
  /** Reads the pending steps' losses ([dLoss, gLoss] per step). */
  flush(): Promise<number[][]>;
  dispose(): void;
}

type Batch = { images: Float32Array; labels: Int32Array; shape: [number, number, number, number] };

/**
 * Synthetic real batches: four pre-made NHWC float32 batches in [−1, 1] with uniform labels, cycled
 * (data loading is not part of the measured step on either side). Has the trainer's BatchSource
 * contract (next / getState / setState).
 */
export class SyntheticBatches {
  private readonly batches: Batch[] = [];
  private index = 0;
  private readonly rng: data.Rng;

  constructor(
    private readonly preset: BenchPreset,
    readonly batchSize: number,
    seed: number,
  ) {
    const { imgSize, imgChannels, numClasses } = preset.data;
    const rng = new data.Rng(seed + 1);
    for (let b = 0; b < 4; b++) {
      const images = new Float32Array(batchSize * imgSize * imgSize * imgChannels);
      for (let i = 0; i < images.length; i++) images[i] = rng.uniform(-1, 1);
      this.batches.push({ images, labels: data.sampleClassLabels(rng, batchSize, numClasses), shape: [batchSize, imgSize, imgSize, imgChannels] });
    }
    this.rng = new data.Rng(seed + 2);
  }

  async next(): Promise<IteratorResult<Batch, unknown>> {
    const value = this.batches[this.index % this.batches.length];
    this.index += 1;
    return { done: false, value };
  }

  getState(): unknown {
    return { index: this.index };
  }

  setState(state: never): void {
    this.index = (state as { index: number }).index;
  }

  /** z ~ N(0, I), y ~ U{0..C−1}, drawn as the trainer draws them. */
  sampleFake(zDim: number): { z: Float32Array; y: Int32Array } {
    const z = data.sampleLatents(this.rng, this.batchSize, zDim, { prior: 'gaussian' });
    const y = data.sampleClassLabels(this.rng, this.batchSize, this.preset.data.numClasses);
    return { z, y };
  }
}

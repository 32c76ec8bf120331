import * as data from '@reacgan/data';

/** A training step as the benchmark drives it (the trainer's: bench/src/trainer-step.ts). */
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

  constructor(
    private readonly shape: { imgSize: number; imgChannels: number; numClasses: number },
    readonly batchSize: number,
    seed: number,
  ) {
    const { imgSize, imgChannels, numClasses } = shape;
    const rng = new data.Rng(seed + 1);
    for (let b = 0; b < 4; b++) {
      const images = new Float32Array(batchSize * imgSize * imgSize * imgChannels);
      for (let i = 0; i < images.length; i++) images[i] = rng.uniform(-1, 1);
      this.batches.push({ images, labels: data.sampleClassLabels(rng, batchSize, numClasses), shape: [batchSize, imgSize, imgSize, imgChannels] });
    }
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

}

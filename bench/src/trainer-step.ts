/**
 * The real trainer's step: `reacgan`'s Trainer, configured from its preset (`preset.trainerPreset`) with the
 * benchmark's model, batch size, one D update per step, EMA active from step 0, real and fake D passes
 * separate (StudioGAN), fed by synthetic batches.
 */
import type * as reacgan from 'reacgan';
import { EMA_DECAY, OPTIM, type BenchPreset } from './presets.js';
import { SyntheticBatches, type StepRunner } from './step-runner.js';

export class TrainerStep implements StepRunner {
  private constructor(private readonly trainer: reacgan.Trainer) {}

  static async create(preset: BenchPreset, batchSize: number, seed = 0): Promise<TrainerStep> {
    const r = await import('reacgan');
    if (typeof r.Trainer?.create !== 'function') throw new Error('reacgan does not export Trainer');
    const config = r.resolvePreset(preset.trainerPreset, {
      model: { ...preset.model, applyGEma: true, gEmaDecay: EMA_DECAY, gEmaStart: 0 },
      optimization: {
        batchSize,
        dUpdatesPerStep: 1,
        gUpdatesPerStep: 1,
        acmlSteps: 1,
        gLr: OPTIM.learningRate,
        dLr: OPTIM.learningRate,
        beta1: OPTIM.beta1,
        beta2: OPTIM.beta2,
        fuseRealFake: false,
      },
      run: { seed },
    } as reacgan.ConfigInput);
    if (config.optimization.epsilon !== OPTIM.epsilon) throw new Error(`trainer Adam epsilon ${config.optimization.epsilon}, expected ${OPTIM.epsilon}`);
    const batches = new SyntheticBatches(preset, batchSize, seed);
    return new TrainerStep(r.Trainer.create(config, { batches }));
  }

  get parameterCounts(): { G: number; D: number } {
    return { G: this.trainer.generator.numParameters(), D: this.trainer.discriminator.numParameters() };
  }

  async step(): Promise<void> {
    await this.trainer.trainStep();
  }

  async flush(): Promise<number[][]> {
    const records = await this.trainer.flush();
    return records.map((r) => [r.values['d/loss'], r.values['g/loss']]);
  }

  dispose(): void {
    this.trainer.dispose();
  }
}

/**
 * The real trainer's step: `reacgan`'s Trainer configured from the preset's StudioGAN YAML file (read from the
 * same StudioGAN checkout the PyTorch side runs) with the same overrides, fed by synthetic batches. One step =
 * `Trainer.trainStep()`: one D update (real and fake D passes separate, as StudioGAN), one G update, the EMA.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as reacgan from 'reacgan';
import { presetOverrides, type BenchPreset } from './presets.js';
import { SyntheticBatches, type StepRunner } from './step-runner.js';

/**
 * Our configuration for a preset: StudioGAN's YAML text from `checkout` + the overrides (StudioGAN keys) + our
 * extra keys. Without a checkout (`null`: e.g. the GPU bundle, which carries no StudioGAN), reacgan's own preset
 * equal to that file (`preset.reacganPreset`) stands in for the YAML.
 * @throws Error when `checkout` is null and the preset names no reacgan preset.
 */
export async function oursConfig(preset: BenchPreset, checkout: string | null, batchSize: number, seed = 0): Promise<reacgan.ReacganConfig> {
  const r = await import('reacgan');
  const overrides = r.parseConfigText(JSON.stringify(presetOverrides(preset, batchSize)), 'bench overrides').input;
  const extra = r.mergeConfigInputs(overrides, preset.ours, { run: { seed } } as reacgan.ConfigInput);
  if (checkout === null) {
    if (!preset.reacganPreset) throw new Error(`bench preset ${preset.name}: expected a StudioGAN checkout (--studiogan) to read ${preset.studiogan.config} from, received none`);
    return r.resolvePreset(preset.reacganPreset, extra);
  }
  const file = join(checkout, 'src', 'configs', preset.studiogan.config);
  const yaml = r.parseConfigText(readFileSync(file, 'utf8'), file).input;
  return r.resolveConfig(r.mergeConfigInputs(yaml, extra), { source: `${file} + bench overrides` });
}

export class TrainerStep implements StepRunner {
  private constructor(private readonly trainer: reacgan.Trainer) {}

  static async create(preset: BenchPreset, checkout: string | null, batchSize: number, seed = 0): Promise<TrainerStep> {
    const r = await import('reacgan');
    const config = await oursConfig(preset, checkout, batchSize, seed);
    const batches = new SyntheticBatches(config.data, batchSize, seed);
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

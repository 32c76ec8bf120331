import { type Command, Option } from 'commander';
import type { GenerationStatisticsRequest } from '../train/standing.js';
import { positiveIntArg } from './config-options.js';

/** CLI flags choosing the generator's BN statistics (`sample`, `evaluate`). */
export interface GenerationStatisticsCliOptions {
  batchStatistics?: boolean;
  standingStatistics?: boolean;
  standingStep?: number;
  standingMaxBatch?: number;
  spectralNorm?: 'iterate' | 'fixed';
}

/**
 * Adds `--batch-statistics`, `--standing-statistics`, `--standing-step <K>` and `--standing-max-batch <M>`
 * (StudioGAN `-batch_stat`, `-std_stat`, `-std_step`, `-std_max`). Without them the run configuration's
 * `run.batchStatistics` / `run.standingStatistics` (+ `run.standingStep`, `run.standingMaxBatch`) decide.
 * And `--spectral-norm fixed|iterate` (default fixed; iterate = StudioGAN's sampling, see docs/parity.md).
 */
export function addGenerationStatisticsOptions(command: Command): Command {
  return command
    .option('--batch-statistics', 'generate with batch statistics (StudioGAN -batch_stat) instead of the run\'s mode')
    .option(
      '--standing-statistics',
      'generate with standing statistics (StudioGAN -std_stat): reset the BN running statistics and re-accumulate them (momentum 0.1) over K passes of random-sized batches (1…M), then generate with them',
    )
    .option('--standing-step <K>', 'standing statistics: forward passes K (StudioGAN -std_step; default run.standingStep)', positiveIntArg('--standing-step'))
    .option('--standing-max-batch <M>', 'standing statistics: largest batch M (StudioGAN -std_max; default run.standingMaxBatch)', positiveIntArg('--standing-max-batch'))
    .addOption(
      new Option(
        '--spectral-norm <mode>',
        "spectral norm while generating: 'fixed' (the stored u, v; sampling changes nothing, the same images every time) or 'iterate' (StudioGAN's sampling: one power iteration per forward pass, as GeneratorController.prepare_generator leaves it; reproduces StudioGAN's images)",
      )
        .choices(['fixed', 'iterate'])
        .default('fixed'),
    );
}

/** The request for `prepareLoadedGenerator` / `evaluateGenerator`. @throws Error for both --batch-statistics and --standing-statistics. */
export function generationStatisticsRequest(options: GenerationStatisticsCliOptions): GenerationStatisticsRequest {
  if (options.batchStatistics && options.standingStatistics) {
    throw new Error('--batch-statistics and --standing-statistics exclude each other (StudioGAN: "You can\'t turn on batch_statistics and standing_statistics simultaneously"); choose one');
  }
  return {
    ...(options.batchStatistics ? { mode: 'batch' as const } : options.standingStatistics ? { mode: 'standing' as const } : {}),
    ...(options.standingStep !== undefined ? { standingStep: options.standingStep } : {}),
    ...(options.standingMaxBatch !== undefined ? { standingMaxBatch: options.standingMaxBatch } : {}),
  };
}

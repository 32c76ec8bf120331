import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { initBackend } from '../backend.js';
import { writeFileAtomic } from '../node/fs-atomic.js';
import { checkpointPath, classGrid, disposeLoaded, loadGenerator, prepareLoadedGenerator, writePerClassImages } from '../node/generator.js';
import { encodePng } from '../node/png.js';
import { backendOption } from './backend-command.js';
import { intArg, numberArg, positiveIntArg } from './config-options.js';
import { cliAction } from './messages.js';
import { addGenerationStatisticsOptions, generationStatisticsRequest, type GenerationStatisticsCliOptions } from './statistics-options.js';

interface SampleOptions extends GenerationStatisticsCliOptions {
  run?: string;
  checkpoint?: string;
  best?: boolean;
  perClass?: number;
  out?: string;
  seed: number;
  truncation?: number;
  ema: boolean;
  columns: number;
  backend?: string;
}

/**
 * `reacgan sample`: class-conditional samples from a checkpoint with the EMA generator by default — a PNG
 * grid with one row per class, or with --per-class N, N images per class as <out>/<class name>/<n>.png.
 */
export function registerSampleCommand(program: Command): void {
  const command = program
    .command('sample')
    .description('generate class-conditional samples from a run (EMA generator by default): a grid, or <out>/<class>/<n>.png with --per-class')
    .option('--run <dir>', 'run directory (uses checkpoints/last.safetensors)')
    .option('--checkpoint <file>', 'a checkpoint file instead of the run\'s last')
    .option('--best', 'use the run\'s checkpoints/best.safetensors')
    .option('--per-class <n>', 'write n images per class as <out>/<class name>/<n>.png (8-bit PNG, native size)', positiveIntArg('--per-class'))
    .option('--out <path>', 'grid: a .png file (default <run>/samples/sample-seed<seed>.png); --per-class: a folder (required)')
    .option('--columns <n>', 'grid columns (samples per class)', positiveIntArg('--columns'), 10)
    .option('--seed <n>', 'seed of z', intArg('--seed'), 0)
    .option('--truncation <t>', 'truncated-normal z with threshold t (StudioGAN truncation_factor; -1 = none)', numberArg('--truncation'))
    .option('--no-ema', 'use G instead of the EMA generator')
    .addOption(backendOption());
  addGenerationStatisticsOptions(command).action(
    cliAction(async (options: SampleOptions) => {
      const request = generationStatisticsRequest(options);
      await initBackend({ backend: options.backend });
      const file = checkpointPath(options.run, options.checkpoint, options.best ? 'best' : 'last');
      const loaded = await loadGenerator(file, { ema: options.ema });
      const sampleOptions = { seed: options.seed, truncation: options.truncation ?? null };
      try {
        const statistics = prepareLoadedGenerator(loaded, request);
        if (statistics.standing) console.error(`standing statistics: ${statistics.standing.steps} passes of batches up to ${statistics.standing.maxBatch} (seed ${statistics.standing.seed})`);
        if (options.perClass !== undefined) {
          if (!options.out) throw new Error('--per-class needs --out <folder>');
          const { written, folders, byName } = await writePerClassImages(loaded, options.out, options.perClass, sampleOptions);
          const shown = folders.length <= 12 ? folders.join(', ') : `${folders.slice(0, 10).join(', ')}, …`;
          console.log(
            `wrote ${written} images (${options.perClass} per class, ${loaded.config.data.imgSize}×${loaded.config.data.imgSize}) to ${options.out}/<class>/<n>.png, class folders ${shown}${byName ? '' : ' (class indices: the checkpoint records no class names)'} from ${file} (step ${loaded.step}, ${loaded.ema ? 'EMA generator' : 'G'}, ${statistics.mode} BN statistics)`,
          );
        } else {
          if (options.out && !options.out.toLowerCase().endsWith('.png')) throw new Error(`--out: expected a .png file for the grid (PNG is the only format written), received ${options.out}`);
          const out = options.out ?? join(options.run ?? dirname(dirname(file)), 'samples', `sample-seed${options.seed}.png`);
          await mkdir(dirname(out), { recursive: true });
          await writeFileAtomic(out, encodePng(classGrid(loaded, options.columns, sampleOptions)));
          console.log(`wrote ${out}: ${loaded.config.data.numClasses} rows (classes) × ${options.columns} from ${file} (step ${loaded.step}, ${loaded.ema ? 'EMA generator' : 'G'}, ${statistics.mode} BN statistics)`);
        }
      } finally {
        disposeLoaded(loaded);
      }
    }),
  );
}

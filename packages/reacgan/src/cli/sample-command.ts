import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as metrics from '@reacgan/metrics';
import { type Command, Option } from 'commander';
import { initBackend } from '../backend.js';
import { assertNewOrEmptyFolder, writeFileAtomic } from '../node/fs-atomic.js';
import { checkpointPath, classGrid, disposeLoaded, labelsFromNpy, latentsFromNpy, loadGenerator, prepareLoadedGenerator, sampleLoaded, writePerClassImages } from '../node/generator.js';
import { perClassLabels } from '../node/run.js';
import { imagesFromNhwc, tileImages } from '../report/images.js';
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
  latents?: string;
  labels?: string;
  format: 'png' | 'npy';
}

/**
 * `reacgan sample`: class-conditional samples from a checkpoint with the EMA generator by default — a PNG
 * grid with one row per class, or with --per-class N, N images per class as <out>/<class name>/<n>.png. For interop
 * (e.g. comparing with StudioGAN on the same inputs): `--latents z.npy` ([N, zDim] float32/float64) and
 * `--labels y.npy` (integers [N]) give the inputs, `--format npy` writes the images as one float32 NHWC array
 * in [−1, 1].
 */
export function registerSampleCommand(program: Command): void {
  const command = program
    .command('sample')
    .description('generate class-conditional samples from a run (EMA generator by default): a grid, or <out>/<class>/<n>.png with --per-class')
    .option('--run <dir>', 'run directory (uses checkpoints/last.safetensors)')
    .option('--checkpoint <file>', 'a checkpoint file instead of the run\'s last')
    .option('--best', 'use the run\'s checkpoints/best.safetensors')
    .option('--per-class <n>', 'write n images per class as <out>/<class name>/<n>.png (8-bit PNG, native size)', positiveIntArg('--per-class'))
    .option('--out <path>', 'grid: a .png file (default <run>/samples/sample-seed<seed>.png); --per-class: a new or empty folder (required)')
    .option('--columns <n>', 'grid columns (samples per class)', positiveIntArg('--columns'), 10)
    .option('--seed <n>', 'seed of z', intArg('--seed'), 0)
    .option('--truncation <t>', 'truncated-normal z with threshold t (StudioGAN truncation_factor; -1 = none)', numberArg('--truncation'))
    .option('--no-ema', 'use G instead of the EMA generator')
    .option('--latents <file.npy>', 'the latents z: a .npy array [N, zDim], float32 or float64 (instead of drawing them from --seed)')
    .option('--labels <file.npy>', 'the class labels: a .npy integer array [N] (default without --latents: one row per class)')
    .addOption(new Option('--format <format>', "'png': a grid image; 'npy': the images as a float32 NHWC array in [-1, 1]").choices(['png', 'npy']).default('png'))
    .addOption(backendOption());
  addGenerationStatisticsOptions(command).action(
    cliAction(async (options: SampleOptions) => {
      const request = generationStatisticsRequest(options);
      // --per-class fills a folder: refuse one that holds earlier images before anything is loaded or written.
      if (options.perClass !== undefined && options.out && !(options.latents || options.labels || options.format === 'npy')) await assertNewOrEmptyFolder(options.out, '--out');
      await initBackend({ backend: options.backend });
      const file = checkpointPath(options.run, options.checkpoint, options.best ? 'best' : 'last');
      const loaded = await loadGenerator(file, { ema: options.ema });
      const sampleOptions = { seed: options.seed, truncation: options.truncation ?? null, spectralNorm: options.spectralNorm };
      try {
        const statistics = prepareLoadedGenerator(loaded, request);
        if (statistics.standing) console.error(`standing statistics: ${statistics.standing.steps} passes of batches up to ${statistics.standing.maxBatch} (seed ${statistics.standing.seed})`);
        if (options.latents || options.labels || options.format === 'npy') {
          if (options.perClass !== undefined) throw new Error('--per-class writes PNG folders; drop it with --latents / --labels / --format npy');
          const { zDim } = loaded.config.model;
          const { numClasses } = loaded.config.data;
          const latents = options.latents ? latentsFromNpy(await readInput(options.latents, '--latents'), options.latents, zDim) : null;
          let labels: Int32Array;
          if (options.labels) labels = labelsFromNpy(await readInput(options.labels, '--labels'), options.labels, numClasses);
          else if (latents && numClasses === 1) labels = new Int32Array(latents.count);
          else if (latents) throw new Error(`--latents: needs --labels <file.npy> (the class of each of the ${latents.count} latents; this run has ${numClasses} classes)`);
          else labels = perClassLabels(numClasses, options.columns);
          if (latents && latents.count !== labels.length) {
            throw new Error(`--latents ${options.latents} holds ${latents.count} latents but --labels ${options.labels} holds ${labels.length} labels; expected the same N`);
          }
          const extension = `.${options.format}`;
          if (options.out && !options.out.toLowerCase().endsWith(extension)) throw new Error(`--out: expected a ${extension} file for --format ${options.format}, received ${options.out}`);
          const out = options.out ?? join(options.run ?? dirname(dirname(file)), 'samples', `sample-seed${options.seed}${extension}`);
          const images = sampleLoaded(loaded, labels, { ...sampleOptions, latents: latents?.latents });
          const values = (await images.data()) as Float32Array;
          const shape = images.shape;
          images.dispose();
          await mkdir(dirname(out), { recursive: true });
          const source = `${latents ? `latents ${options.latents}` : `seed ${options.seed}`}, ${options.labels ? `labels ${options.labels}` : `${numClasses} classes × ${options.columns}`}`;
          if (options.format === 'npy') {
            await writeFileAtomic(out, metrics.encodeNpy(values, shape));
            console.log(`wrote ${out}: float32 [${shape.join(', ')}] (NHWC, in [-1, 1]) from ${file} (step ${loaded.step}, ${loaded.ema ? 'EMA generator' : 'G'}, ${statistics.mode} BN statistics, spectral norm ${options.spectralNorm ?? 'fixed'}; ${source})`);
          } else {
            await writeFileAtomic(out, encodePng(tileImages(imagesFromNhwc(values, shape), options.columns)));
            console.log(`wrote ${out}: ${labels.length} images, ${options.columns} per row, from ${file} (step ${loaded.step}, ${loaded.ema ? 'EMA generator' : 'G'}, ${statistics.mode} BN statistics, spectral norm ${options.spectralNorm ?? 'fixed'}; ${source})`);
          }
        } else if (options.perClass !== undefined) {
          if (!options.out) throw new Error('--per-class needs --out <folder>');
          const { written, folders, byName } = await writePerClassImages(loaded, options.out, options.perClass, sampleOptions);
          const shown = folders.length <= 12 ? folders.join(', ') : `${folders.slice(0, 10).join(', ')}, …`;
          console.log(
            `wrote ${written} images (${options.perClass} per class, ${loaded.config.data.imgSize}×${loaded.config.data.imgSize}) to ${options.out}/<class>/<n>.png, class folders ${shown}${byName ? '' : ' (class indices: the checkpoint records no class names)'} from ${file} (step ${loaded.step}, ${loaded.ema ? 'EMA generator' : 'G'}, ${statistics.mode} BN statistics, spectral norm ${options.spectralNorm ?? 'fixed'})`,
          );
        } else {
          if (options.out && !options.out.toLowerCase().endsWith('.png')) throw new Error(`--out: expected a .png file for the grid (PNG is the only format written), received ${options.out}`);
          const out = options.out ?? join(options.run ?? dirname(dirname(file)), 'samples', `sample-seed${options.seed}.png`);
          await mkdir(dirname(out), { recursive: true });
          await writeFileAtomic(out, encodePng(await classGrid(loaded, options.columns, sampleOptions)));
          console.log(`wrote ${out}: ${loaded.config.data.numClasses} rows (classes) × ${options.columns} from ${file} (step ${loaded.step}, ${loaded.ema ? 'EMA generator' : 'G'}, ${statistics.mode} BN statistics, spectral norm ${options.spectralNorm ?? 'fixed'})`);
        }
      } finally {
        disposeLoaded(loaded);
      }
    }),
  );
}

async function readInput(path: string, option: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`${option} ${path}: cannot read (${(error as Error).message})`);
  }
}

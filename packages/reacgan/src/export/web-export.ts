/**
 * `reacgan export --web`: turns a training checkpoint into one small, self-contained file that the browser
 * demo (`examples/web`) — or any tfjs program — loads with nothing but `@reacgan/models` (format: see
 * `web-format.ts`, which also holds the browser-safe reader). Node only (reads the checkpoint from disk).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as data from '@reacgan/data';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES } from '@reacgan/data/node';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../node/checkpoint.js';
import { writeFileAtomic } from '../node/fs-atomic.js';
import { applyStandingStatisticsInPlace, resolveGenerationStatistics } from '../train/standing.js';
import { version as reacganVersion } from '../version.js';
import {
  computeSelfCheck,
  encodeWebGenerator,
  type ExportedGeneratorChoice,
  WEB_GENERATOR_FORMAT,
  WEB_GENERATOR_FORMAT_VERSION,
  type WebGeneratorDescriptor,
  type WebGeneratorGeneration,
} from './web-format.js';

export * from './web-format.js';

/** Names of the classes of the datasets this project knows by name (others: 'class 0', 'class 1', …). */
export function defaultClassNames(datasetName: string, numClasses: number): string[] {
  const key = datasetName.toLowerCase().replace(/[-_\s]/g, '');
  const known: Record<string, readonly string[]> = {
    mnist: MNIST_CLASSES,
    fashionmnist: FASHION_MNIST_CLASSES,
    cifar10: data.CIFAR10_CLASSES,
    cifar100: data.CIFAR100_FINE_CLASSES,
  };
  const names = known[key];
  if (names && names.length === numClasses) return [...names];
  return Array.from({ length: numClasses }, (_, i) => `class ${i}`);
}

export interface ExportWebGeneratorOptions {
  /** A checkpoint file (`…/checkpoints/last.safetensors`), a run's `checkpoints/` folder or a run folder (best, else last). */
  checkpoint: string;
  /** Output file (default: next to the checkpoint, `<name>.web.safetensors`). */
  out?: string;
  /** Which generator (default 'auto': G_ema when the run has an EMA generator, else G). */
  generator?: ExportedGeneratorChoice;
  /** Class names (default: the checkpoint's, else the dataset's known names, else 'class i'). */
  classNames?: string[];
  /** Largest difference a reader's self-check accepts (default {@link SELF_CHECK_TOLERANCE}). */
  tolerance?: number;
  /** Export time to record (default now; tests fix it). */
  now?: Date;
}

export interface ExportWebGeneratorResult {
  /** Absolute path of the written file. */
  out: string;
  /** Its size in bytes. */
  bytes: number;
  /** The checkpoint file read. */
  checkpoint: string;
  descriptor: WebGeneratorDescriptor;
  /** Number of tensors written. */
  tensors: number;
}

/** Resolves a checkpoint argument (file, `checkpoints/` folder or run folder) to a checkpoint file. */
export async function resolveCheckpointPath(path: string): Promise<string> {
  const absolute = resolve(path);
  let info;
  try {
    info = await stat(absolute);
  } catch {
    throw new Error(`--web ${path}: expected a checkpoint file, a run's checkpoints/ folder or a run folder, received a path that does not exist`);
  }
  if (info.isFile()) return absolute;
  const candidates = [join(absolute, 'best.safetensors'), join(absolute, 'last.safetensors'), join(absolute, 'checkpoints', 'best.safetensors'), join(absolute, 'checkpoints', 'last.safetensors')];
  for (const candidate of candidates) {
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(`--web ${path}: expected a checkpoint file, a run's checkpoints/ folder or a run folder, received a folder without a checkpoint (looked for ${candidates.map((c) => c.slice(absolute.length + 1)).join(', ')})`);
}

/** Default output path: `…/last.safetensors` → `…/last.web.safetensors`. */
export function defaultWebExportPath(checkpointFile: string): string {
  return join(dirname(checkpointFile), `${basename(checkpointFile).replace(/\.safetensors$/, '')}.web.safetensors`);
}

/**
 * Reads a training checkpoint and writes its generator (EMA by default) as a web generator file (see the
 * module comment for the format). Uses the active tfjs backend for the self-check (the CLI uses 'cpu').
 * @throws Error naming the checkpoint when it cannot be read, has no generator under the chosen prefix, its
 *   tensors do not match its config, or `classNames` has the wrong length.
 */
export async function exportWebGenerator(options: ExportWebGeneratorOptions): Promise<ExportWebGeneratorResult> {
  const file = await resolveCheckpointPath(options.checkpoint);
  const bytes = await readFile(file);
  const { tensors, meta, info } = await loadCheckpoint(file, { flag: '--web' });
  const config = meta?.config;
  if (!config?.model || !config?.data) throw new Error(`checkpoint ${file}: its state has no resolved config (model and data sections)`);
  const choice = options.generator ?? 'auto';
  if (!['auto', 'ema', 'g'].includes(choice)) throw new Error(`exportWebGenerator: generator must be 'auto', 'ema' or 'g', received ${String(choice)}`);
  const networks = ['G_ema', 'G', 'D'].filter((n) => [...tensors.keys()].some((name) => name.startsWith(`${n}.`)));
  const holds = `${file} holds ${networks.length ? networks.map((n) => `${n}.*`).join(', ') : 'no network tensors'}`;
  const hasEma = networks.includes('G_ema');
  const hasG = networks.includes('G');
  if (choice === 'ema' && !hasEma) {
    throw new Error(`--generator ema: expected a checkpoint with the EMA generator (G_ema.* tensors), received one without (${holds}; model.applyGEma is ${String(config.model.applyGEma)})${hasG ? '; use --generator g' : ''}`);
  }
  if (choice === 'g' && !hasG) {
    const imported = info?.reason === 'import' ? ' (an import of StudioGAN\'s G_ema file: import-studiogan --which G or --which all brings G)' : '';
    throw new Error(`--generator g: expected a checkpoint with the raw generator (G.* tensors), received one without (${holds})${imported}${hasEma ? '; use --generator ema (or auto) for its EMA generator' : ''}`);
  }
  if (choice === 'auto' && !hasEma && hasG && config.model.applyGEma) {
    throw new Error(`--web ${file}: model.applyGEma is true but the checkpoint has no EMA generator (${holds}); pass --generator g to export the raw generator`);
  }
  if (!hasEma && !hasG) throw new Error(`--web ${file}: expected a checkpoint with a generator (G_ema.* or G.* tensors), received one without (${holds})`);
  const prefix = choice === 'g' || !hasEma ? 'G.' : 'G_ema.';
  const picked = new Map<string, models.TensorData>();
  for (const [name, t] of tensors) if (name.startsWith(prefix)) picked.set(name.slice(prefix.length), t);

  const out = resolve(options.out ?? defaultWebExportPath(file));
  if ((await stat(out).catch(() => null))?.isDirectory()) throw new Error(`--out ${options.out ?? out}: expected the path of the web generator file to write, received an existing folder (e.g. ${join(options.out ?? out, basename(defaultWebExportPath(file)))})`);
  const { name: datasetName, imgSize, imgChannels, numClasses } = config.data;
  const classNames = options.classNames ?? info?.classNames ?? defaultClassNames(datasetName, numClasses);
  if (classNames.length !== numClasses) {
    throw new Error(`--class-names (classNames): expected ${numClasses} names (the checkpoint's data.numClasses), received ${classNames.length} (${classNames.join(', ')})`);
  }
  const repeated = [...new Set(classNames.filter((n, k) => classNames.indexOf(n) !== k))];
  const empty = classNames.some((n) => n === '');
  if (repeated.length || empty) {
    throw new Error(`--class-names (classNames): expected ${numClasses} distinct, non-empty names (the page picks a class by its name), received ${classNames.map((n) => JSON.stringify(n)).join(', ')} (${[...repeated.map((n) => `${JSON.stringify(n)} more than once`), ...(empty ? ['an empty name'] : [])].join(', ')})`);
  }
  const generator = models.createGenerator(config.model, { imgSize, imgChannels, numClasses, initialize: false });
  try {
    try {
      generator.loadStateDict(picked, { strict: true });
    } catch (error) {
      throw new Error(`checkpoint ${file}: the ${prefix}* tensors do not fit the config's generator: ${(error as Error).message}`);
    }
    // The run's evaluation mode (train/standing.ts, shared with `sample`, `evaluate` and the trainer):
    // standing statistics (StudioGAN -std_stat) are baked into the exported running statistics.
    let resolved;
    try {
      const run = config.run;
      resolved = resolveGenerationStatistics({
        batchStatistics: run?.batchStatistics ?? false,
        standingStatistics: run?.standingStatistics ?? false,
        standingStep: run?.standingStep ?? null,
        standingMaxBatch: run?.standingMaxBatch ?? null,
        seed: run?.seed ?? 0,
      });
    } catch (error) {
      throw new Error(`checkpoint ${file}: ${(error as Error).message}`);
    }
    const batchNormStatistics = resolved.mode === 'batch' ? 'batch' : 'running';
    const truncationFactor = config.run?.truncationFactor ?? -1;
    let standingStatistics: WebGeneratorGeneration['standingStatistics'];
    if (resolved.standing) {
      applyStandingStatisticsInPlace(generator, resolved.standing);
      const { steps, maxBatch, seed } = resolved.standing;
      standingStatistics = { steps, maxBatch, seed };
    }
    const descriptor: Omit<WebGeneratorDescriptor, 'format' | 'formatVersion' | 'modelConfig'> = {
      data: { name: datasetName, imgSize, imgChannels, numClasses, classNames: [...classNames] },
      generation: {
        zPrior: config.model.zPrior,
        batchNormStatistics,
        truncation: truncationFactor === -1 || truncationFactor <= 0 ? null : truncationFactor,
        ...(standingStatistics ? { standingStatistics } : {}),
      },
      provenance: {
        generator: prefix === 'G_ema.' ? 'G_ema' : 'G',
        step: Number.isInteger(meta.step) ? meta.step : null,
        checkpoint: basename(file),
        checkpointSha256: createHash('sha256').update(bytes).digest('hex'),
        seed: config.run?.seed ?? null,
        dataset: datasetName,
        parameters: generator.numParameters(),
        exportedAt: (options.now ?? new Date()).toISOString(),
        exportBackend: tf.getBackend(),
        versions: { reacgan: reacganVersion, '@reacgan/models': models.version, '@tensorflow/tfjs-core': tf.version_core },
        ...(info?.reason ? { reason: info.reason } : {}),
      },
      selfCheck: await computeSelfCheck(generator, batchNormStatistics, { tolerance: options.tolerance }),
    };
    const encoded = await encodeWebGenerator(generator, descriptor);
    await mkdir(dirname(out), { recursive: true });
    await writeFileAtomic(out, encoded);
    return {
      out,
      bytes: encoded.length,
      checkpoint: file,
      descriptor: { format: WEB_GENERATOR_FORMAT, formatVersion: WEB_GENERATOR_FORMAT_VERSION, modelConfig: generator.config, ...descriptor },
      tensors: picked.size,
    };
  } finally {
    generator.dispose();
  }
}

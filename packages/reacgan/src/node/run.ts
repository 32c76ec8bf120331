/**
 * A training run on disk: the loop around {@link Trainer} that writes the run directory
 *
 *   <out>/config.json            resolved configuration, backend report, package versions, dataset, command
 *   <out>/labels.json            class names ↔ label indices of the training set
 *   <out>/metrics.jsonl          one JSON line per step (losses, diagnostics, lr, ms/step) and per evaluation
 *   <out>/events.out.tfevents.*  TensorBoard scalars (native backend only)
 *   <out>/samples/step-<k>.png   class-conditional grids (one row per class) every run.sampleEvery steps
 *   <out>/checkpoints/{last,best}.safetensors (+ .json)   atomic; best = lowest judge FID (MNIST) else last
 *   <out>/diagnostics.svg        losses, ‖h‖, conditioning-head gradient norm, ms/step, evaluation curves
 *   <out>/grid.png, report.json, report.md   final per-class grid and evaluation report
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as dataNode from '@reacgan/data/node';
import type * as metrics from '@reacgan/metrics';
import type * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendReport } from '../backend.js';
import type { ReacganConfig } from '../config/resolve.js';
import { judgeGenerator, type JudgeResult } from '../eval/judge.js';
import type { MnistClassifier } from '../eval/mnist-classifier.js';
import { type EvalLine, diagnosticsSvg, type TrainLine } from '../report/diagnostics.js';
import { imagesFromNhwc, tileImages, type Uint8Image } from '../report/images.js';
import { renderReportMarkdown, type RunReport } from '../report/report.js';
import { resolveGenerationStatistics, standingStatisticsCopy, standingStatisticsRecord } from '../train/standing.js';
import type { GenerateOptions } from '../train/generate.js';
import { NonFiniteLossError, type StepRecord } from '../train/records.js';
import { Trainer } from '../train/trainer.js';
import { versions } from '../versions.js';
import { type ClassifierCacheInfo, loadOrTrainMnistClassifier, referenceStatistics } from './cache.js';
import { type CheckpointInfo, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { writeFileAtomic } from './fs-atomic.js';
import { encodePng } from './png.js';
import { TrainingProgress } from './progress.js';
import { openTensorBoard } from './tensorboard.js';

/** StudioGAN dataset names ↔ @reacgan/data loader names. */
const KIND_BY_NAME: Record<string, dataNode.DatasetName> = {
  MNIST: 'mnist',
  FASHION_MNIST: 'fashion-mnist',
  CIFAR10: 'cifar10',
  CIFAR100: 'cifar100',
  TINY_IMAGENET: 'tiny-imagenet',
};
const NAME_BY_KIND: Record<string, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion_MNIST', cifar10: 'CIFAR10', cifar100: 'CIFAR100', 'tiny-imagenet': 'Tiny_ImageNet' };

/** The loader for a StudioGAN dataset name (`CIFAR10` → cifar10; unknown names are image folders). */
export function datasetKind(name: string): dataNode.DatasetName {
  return KIND_BY_NAME[name.toUpperCase().replace(/-/g, '_')] ?? 'folder';
}

/** StudioGAN's spelling of a loader name (`cifar10` → `CIFAR10`), for `--dataset`. */
export function studioGanDatasetName(kind: string): string {
  return NAME_BY_KIND[kind] ?? kind;
}

/** The evaluation split of a dataset kind: `test` for MNIST / Fashion-MNIST / CIFAR, `valid` otherwise. */
export function evaluationSplit(kind: dataNode.DatasetName): dataNode.SplitName {
  return kind === 'mnist' || kind === 'fashion-mnist' || kind === 'cifar10' || kind === 'cifar100' ? 'test' : 'valid';
}

/** Opens the configured dataset split with @reacgan/data (`data.root` or the loader's default location). */
export async function openConfiguredDataset(config: ReacganConfig, split: dataNode.SplitName): Promise<dataNode.Dataset> {
  const kind = datasetKind(config.data.name);
  return dataNode.openDataset({ dataset: kind, split, ...(config.data.root ? { root: config.data.root } : {}) });
}

export interface TrainRunOptions {
  config: ReacganConfig;
  /** Where the configuration came from ('preset mnist/reacgan', a file path). */
  configSource: string;
  /** The run directory. */
  out: string;
  backend: BackendReport;
  /** Resume from this checkpoint file or run directory (its checkpoints/last.safetensors). */
  resume?: string;
  /** Show the progress bar (default true). */
  progress?: boolean;
  /** Status lines (default: stderr). */
  log?: (line: string) => void;
  /** Aborting writes a checkpoint and returns (Ctrl-C). */
  signal?: AbortSignal;
  /** The command line, recorded in config.json. */
  command?: string[];
  /** Judge with the MNIST classifier (default: when the dataset is MNIST). */
  judge?: boolean;
  /** Cache folder for the judge classifier (default REACGAN_CACHE_DIR or ~/.cache/reacgan). */
  cacheDir?: string;
  /** Called after every training step (instrumentation, tests). */
  onStep?: (trainer: Trainer) => void | Promise<void>;
}

export interface TrainRunResult {
  out: string;
  /** 'completed', 'time-limit' (run.maxTrainSeconds reached), 'interrupted' (Ctrl-C) or 'non-finite'. */
  status: 'completed' | 'time-limit' | 'interrupted' | 'non-finite';
  step: number;
  report?: RunReport;
  error?: string;
}

interface Judge {
  classifier: MnistClassifier;
  reference: metrics.FeatureStatistics;
  info: ClassifierCacheInfo;
  seconds: number;
}

/** Runs (or resumes) training and writes the run directory; see the file header for its content. */
export async function trainRun(options: TrainRunOptions): Promise<TrainRunResult> {
  const t0 = performance.now();
  const { config } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  const out = resolve(options.out);
  // BN statistics of grids and evaluations (run.batchStatistics / run.standingStatistics): checked first,
  // so a contradictory or incomplete setting fails before any work.
  const generation = resolveGenerationStatistics(config.run);

  // ---- data (opened before the run directory is created: a wrong --root leaves no empty run behind)
  const kind = datasetKind(config.data.name);
  const train = await openConfiguredDataset(config, 'train');
  log(`dataset: ${train.name} (${train.count} images, ${train.numClasses} classes, ${train.imageShape.join('×')})`);
  await mkdir(join(out, 'checkpoints'), { recursive: true });
  await mkdir(join(out, 'samples'), { recursive: true });
  await dataNode.saveClassIndex(join(out, 'labels.json'), train);

  // ---- judge (MNIST): the independent classifier and the test-set reference statistics
  let judge: Judge | null = null;
  if ((options.judge ?? kind === 'mnist') && kind === 'mnist') {
    const tj = performance.now();
    const test = await openConfiguredDataset(config, 'test');
    const { classifier, info } = await loadOrTrainMnistClassifier(async () => train as dataNode.InMemoryDataset, test as dataNode.InMemoryDataset, {
      dir: options.cacheDir,
      log,
    });
    const reference = await referenceStatistics(classifier, test as dataNode.InMemoryDataset);
    judge = { classifier, reference, info, seconds: (performance.now() - tj) / 1000 };
  }

  // ---- trainer (fresh or resumed)
  const trainer = Trainer.create(config, { dataset: train, initialize: !options.resume });
  let resumedFrom: string | null = null;
  let best: CheckpointInfo['best'] = null;
  if (options.resume) {
    const file = options.resume.endsWith('.safetensors') ? options.resume : join(options.resume, 'checkpoints', 'last.safetensors');
    const ckpt = await loadCheckpoint(file);
    trainer.loadState({ tensors: ckpt.tensors, meta: ckpt.meta });
    best = ckpt.info.best ?? null;
    resumedFrom = file;
    log(`resumed from ${file} at step ${trainer.step}`);
  }
  const params = { generator: trainer.generator.numParameters(), discriminator: trainer.discriminator.numParameters() };
  const runInfo = {
    config,
    configSource: options.configSource,
    backend: options.backend,
    versions,
    dataset: { kind, name: train.name, count: train.count, numClasses: train.numClasses, imageShape: train.imageShape, source: train.source ?? null },
    parameters: params,
    command: options.command ?? process.argv.slice(1),
    startedAt: new Date().toISOString(),
    resumedFrom,
    judge: judge ? { hash: judge.info.hash, testAccuracy: judge.info.testAccuracy, cached: !judge.info.trained, path: judge.info.path } : null,
  };
  await writeFileAtomic(join(out, 'config.json'), JSON.stringify(runInfo, null, 2) + '\n');

  const tb = config.run.tensorboard ? await openTensorBoard(out) : null;
  const metricsFile = join(out, 'metrics.jsonl');
  if (!resumedFrom) await writeFile(metricsFile, '');
  const trainLines: TrainLine[] = [];
  const evalLines: EvalLine[] = [];
  if (resumedFrom) {
    for (const line of (await readFile(metricsFile, 'utf8').catch(() => '')).split('\n')) {
      if (!line.trim()) continue;
      const parsed = JSON.parse(line) as (TrainLine | EvalLine) & { step: number };
      if (parsed.step > trainer.step) continue;
      if (parsed.kind === 'train') trainLines.push(parsed);
      else if (parsed.kind === 'eval') evalLines.push(parsed);
    }
    // Drop lines written after the checkpoint (they will be recomputed identically).
    await writeFile(metricsFile, [...trainLines, ...evalLines].sort((a, b) => a.step - b.step).map((l) => JSON.stringify(l) + '\n').join(''));
  }

  const total = config.optimization.totalSteps;
  const progress = new TrainingProgress(total, { enabled: options.progress !== false });
  const write = async (records: StepRecord[]) => {
    if (!records.length) return;
    const lines = records.map((r) => ({ kind: 'train' as const, step: r.step, ms: r.ms, gLr: r.gLr, dLr: r.dLr, values: r.values }));
    trainLines.push(...lines);
    await appendFile(metricsFile, lines.map((l) => JSON.stringify(l) + '\n').join(''));
    if (tb) {
      for (const r of records) {
        for (const [k, v] of Object.entries(r.values)) tb.scalar(k, v, r.step);
        tb.scalar('time/msPerStep', r.ms, r.step);
      }
      tb.flush();
    }
    const last = records[records.length - 1];
    progress.update(last.step, { d: last.values['d/loss'], g: last.values['g/loss'], cond: last.values['d/cond'] });
  };
  const flush = async (): Promise<void> => write(await trainer.flush());
  const checkpointInfo = (reason: string): CheckpointInfo => ({ reason, savedAt: new Date().toISOString(), best, backend: options.backend, versions, classNames: [...train.classNames] });
  const save = async (name: 'last' | 'best', reason: string) => {
    const state = trainer.getState();
    try {
      await saveCheckpoint(join(out, 'checkpoints', `${name}.safetensors`), state, checkpointInfo(reason));
    } finally {
      tf.dispose([...state.tensors.values()]);
    }
  };
  // Generation for grids and evaluations. With standing statistics (StudioGAN -std_stat) they are
  // re-estimated on a copy of the evaluation generator (G_ema, else G), once per step at which something is
  // generated, so the trainer's own G / G_ema state (and therefore resume) is untouched.
  let standingCopy: { step: number; generator: models.Generator } | null = null;
  const releaseStandingCopy = () => {
    standingCopy?.generator.dispose();
    standingCopy = null;
  };
  const evalTrainer = {
    generate: (labels: Int32Array, o: GenerateOptions = {}): tf.Tensor4D => {
      if (!generation.standing) return trainer.generate(labels, o);
      if (standingCopy?.step !== trainer.step) {
        releaseStandingCopy();
        standingCopy = { step: trainer.step, generator: standingStatisticsCopy(trainer.evaluationGenerator(), generation.standing) };
      }
      return trainer.generate(labels, { ...o, generator: standingCopy.generator, batchNormStatistics: 'running' });
    },
  };
  const gridLabels = perClassLabels(config.data.numClasses, 10);
  const writeGrid = async (file: string) => {
    const image = sampleGrid(evalTrainer, gridLabels, 10);
    await writeFileAtomic(file, encodePng(image));
  };
  const evaluate = async (perClass: number): Promise<JudgeResult | null> => {
    if (!judge) return null;
    const result = await judgeGenerator((labels) => evalTrainer.generate(labels, { seedKey: 1 }), judge.classifier, judge.reference, { perClass, numClasses: config.data.numClasses });
    return result;
  };
  const statisticsFields = { batchNormStatistics: generation.mode, ...(generation.standing ? { standingStatistics: standingStatisticsRecord(generation.standing) } : {}) };

  let status: TrainRunResult['status'] = 'completed';
  let error: string | undefined;
  const trainStart = performance.now();
  const startStep = trainer.step;
  progress.start(trainer.step);
  try {
    while (trainer.step < total) {
      await trainer.trainStep();
      await options.onStep?.(trainer);
      const step = trainer.step;
      progress.update(step);
      const at = (interval: number) => interval > 0 && step % interval === 0;
      if (at(config.run.printEvery) || step === total) await flush();
      if (at(config.run.sampleEvery)) await writeGrid(join(out, 'samples', `step-${step}.png`));
      if (at(config.run.evalEvery) && judge) {
        await flush();
        const r = await evaluate(Math.max(1, Math.round(config.run.evalNumSamples / config.data.numClasses)));
        if (r) {
          const line: EvalLine & Record<string, unknown> = { kind: 'eval', step, classAccuracy: r.classAccuracy, fid: r.fid, numSamples: r.numSamples, meanConfidence: r.meanConfidence, ...statisticsFields };
          evalLines.push(line);
          await appendFile(metricsFile, JSON.stringify(line) + '\n');
          tb?.scalar('eval/classAccuracy', r.classAccuracy, step);
          tb?.scalar('eval/fid', r.fid, step);
          progress.update(step, { note: `acc ${(r.classAccuracy * 100).toFixed(1)}% FID ${r.fid.toFixed(2)}` });
          if (!best || r.fid < best.value) {
            best = { metric: 'judgeFid', value: r.fid, step };
            await save('best', 'best');
          }
        }
      }
      if (at(config.run.saveEvery)) {
        await flush();
        await save('last', 'interval');
      }
      if (options.signal?.aborted) {
        status = 'interrupted';
        break;
      }
      const limit = config.run.maxTrainSeconds;
      if (limit !== null && (performance.now() - trainStart) / 1000 > limit && step < total) {
        status = 'time-limit';
        break;
      }
    }
    await flush();
    await save('last', status === 'completed' ? 'final' : status === 'interrupted' ? 'interrupt' : 'time-limit');
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      await write(e.records);
      status = 'non-finite';
      error = `${e.message}; training stopped, the last good checkpoint is ${join(out, 'checkpoints', 'last.safetensors')}`;
      log(error);
    } else {
      progress.stop();
      releaseStandingCopy();
      trainer.dispose();
      judge?.classifier.dispose();
      throw e;
    }
  } finally {
    progress.stop();
  }
  const trainSeconds = (performance.now() - trainStart) / 1000;
  if (status === 'interrupted') log(`interrupted at step ${trainer.step}: checkpoint written to ${join(out, 'checkpoints', 'last.safetensors')}`);
  if (status === 'time-limit') log(`stopped at step ${trainer.step} of ${total}: run.maxTrainSeconds (${config.run.maxTrainSeconds} s) reached`);

  // ---- final outputs
  let report: RunReport | undefined;
  if (status !== 'non-finite') {
    await writeGrid(join(out, 'samples', `step-${trainer.step}.png`));
    await writeGrid(join(out, 'grid.png'));
    const te = performance.now();
    const final = status === 'interrupted' ? null : await evaluate(100);
    const evalSeconds = (performance.now() - te) / 1000;
    if (final) {
      const line: EvalLine & Record<string, unknown> = { kind: 'eval', step: trainer.step, classAccuracy: final.classAccuracy, fid: final.fid, numSamples: final.numSamples, meanConfidence: final.meanConfidence, ...statisticsFields, final: true };
      if (!evalLines.some((l) => l.step === trainer.step)) evalLines.push(line);
      await appendFile(metricsFile, JSON.stringify(line) + '\n');
    }
    const stepsRun = trainer.step - startStep;
    const msPerStep = trainLines.filter((l) => l.step > startStep).map((l) => l.ms);
    report = {
      title: `${options.configSource} on ${train.name}`,
      status,
      configSource: options.configSource,
      method: config.model.dCondMtd,
      steps: trainer.step,
      totalSteps: total,
      seed: config.run.seed,
      batchSize: config.optimization.batchSize,
      backend: { backend: options.backend.backend, threads: options.backend.threads, tensorflowVersion: options.backend.tensorflowVersion ?? null },
      parameters: params,
      timing: {
        wallSeconds: performance.now() / 1000,
        runSeconds: (performance.now() - t0) / 1000,
        judgeSetupSeconds: judge?.seconds ?? 0,
        judgeTrainedThisRun: judge ? judge.info.trained : false,
        judgeTrainSeconds: judge?.info.trainSeconds ?? 0,
        trainSeconds,
        evalSeconds,
        stepsThisRun: stepsRun,
        msPerStepMedian: median(msPerStep),
        msPerStepMean: msPerStep.length ? msPerStep.reduce((a, b) => a + b, 0) / msPerStep.length : null,
      },
      evaluation: final,
      best: best ?? null,
      judge: judge ? { testAccuracy: judge.info.testAccuracy, hash: judge.info.hash, cachePath: judge.info.path } : null,
      versions,
      files: { grid: 'grid.png', diagnostics: 'diagnostics.svg', metrics: 'metrics.jsonl', config: 'config.json', checkpoints: ['checkpoints/last.safetensors', ...(best ? ['checkpoints/best.safetensors'] : [])] },
    };
    await writeFileAtomic(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    await writeFileAtomic(join(out, 'report.md'), renderReportMarkdown(report));
  }
  await writeFileAtomic(join(out, 'diagnostics.svg'), diagnosticsSvg(trainLines, evalLines, `${options.configSource}: training diagnostics (${train.name})`));
  tb?.flush();
  releaseStandingCopy();
  trainer.dispose();
  judge?.classifier.dispose();
  return { out, status, step: trainer.step, report, error };
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Labels for a grid with one row per class: class k repeated `perClass` times, class-major. */
export function perClassLabels(numClasses: number, perClass: number): Int32Array {
  const labels = new Int32Array(numClasses * perClass);
  for (let k = 0; k < numClasses; k++) labels.fill(k, k * perClass, (k + 1) * perClass);
  return labels;
}

/** A class-conditional grid from the trainer's (EMA) generator: one row per class, `perClass` columns. */
export function sampleGrid(trainer: Pick<Trainer, 'generate'>, labels: Int32Array, perClass: number): Uint8Image {
  const images = trainer.generate(labels, { seedKey: 0 });
  const values = images.dataSync();
  const shape = images.shape;
  images.dispose();
  return tileImages(imagesFromNhwc(values, shape), perClass);
}

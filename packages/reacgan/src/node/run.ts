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
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as dataNode from '@reacgan/data/node';
import * as metrics from '@reacgan/metrics';
import type * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendReport } from '../backend.js';
import { type ReacganConfig, unsupportedFeatures } from '../config/resolve.js';
import { judgeGenerator, type JudgeResult } from '../eval/judge.js';
import { judgeDefinitionHash } from '../eval/judge-classifier.js';
import { type EvalLine, diagnosticsSvg, type TrainLine } from '../report/diagnostics.js';
import { imagesFromNhwc, tileImages, type Uint8Image } from '../report/images.js';
import { type FidEvaluation, renderReportMarkdown, type RunReport } from '../report/report.js';
import { resolveGenerationStatistics, standingStatisticsCopy, standingStatisticsRecord } from '../train/standing.js';
import type { GenerateOptions } from '../train/generate.js';
import { NonFiniteLossError, type StepRecord } from '../train/records.js';
import { CONDITIONING_METHODS } from '../train/step/methods.js';
import { Trainer } from '../train/trainer.js';
import { versions } from '../versions.js';
import { assertResumable, type CheckpointInfo, loadCheckpoint, resumeCheckpointPath, saveCheckpoint } from './checkpoint.js';
import { assertJudgeDataUsed, datasetFingerprint, type Evaluator, type ExtractorName, JUDGE_EXTRACTORS, judgeDataOptions, openEvaluator, referenceFeatures, referenceSet } from './evaluator.js';
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

/**
 * Opens the configured dataset split with @reacgan/data (`data.root` or the loader's default location). Image
 * files are read with `data.imgChannels` channels (1: luma, as PIL's convert('L')).
 */
export async function openConfiguredDataset(
  config: ReacganConfig,
  split: dataNode.SplitName,
  options: { onBadFile?: 'error' | 'skip'; verify?: 'decode' | 'header'; log?: (line: string) => void } = {},
): Promise<dataNode.Dataset> {
  const kind = datasetKind(config.data.name);
  const files = kind === 'folder' || kind === 'tiny-imagenet';
  return dataNode.openDataset({
    dataset: kind,
    split,
    ...(config.data.root ? { root: config.data.root } : {}),
    ...(files ? { channels: config.data.imgChannels, ...(options.verify ? { verify: options.verify } : {}), ...(options.onBadFile ? { onBadFile: options.onBadFile } : {}), ...(options.log ? { onWarning: options.log } : {}) } : {}),
  });
}

/**
 * The reference split of a dataset when none is chosen: the dataset's evaluation split (test for MNIST / CIFAR, valid
 * for Tiny-ImageNet); for an image folder with split subfolders (`root/train/` + `valid/`, `val/` or `test/`) its
 * held-out split, valid (or val) before test, as the loader names them; for an image folder without split subfolders
 * the folder itself ('train', StudioGAN's default reference split, its `ref_dataset` flag).
 */
export async function referenceSplit(kind: dataNode.DatasetName, root: string | null): Promise<dataNode.SplitName> {
  if (kind !== 'folder') return evaluationSplit(kind);
  const top = root ? await readdir(root).catch(() => [] as string[]) : [];
  if (!top.includes('train')) return 'train';
  return !top.includes('valid') && !top.includes('val') && top.includes('test') ? 'test' : 'valid';
}

/** The split evaluations during training compare with: `split` when given, else {@link referenceSplit} of the run's data. */
export async function trainingReferenceSplit(config: ReacganConfig, split?: dataNode.SplitName | null): Promise<dataNode.SplitName> {
  return split ?? referenceSplit(datasetKind(config.data.name), config.data.root);
}

/** Evaluations during training: with which extractor, against which split (recorded in checkpoints, reused by --resume). */
export interface TrainEvaluationSettings {
  /** 'none': no evaluations (and no checkpoints/best). */
  extractor: ExtractorName | 'none';
  /** pytorch-fid's weights file for inception-v3-fid (default: the cache folder's copy). */
  inceptionWeights: string | null;
  allowUnverifiedWeights: boolean;
  /** Reference split (null: see {@link trainingReferenceSplit}). */
  split: dataNode.SplitName | null;
  /**
   * CIFAR-10 for the cifar10-judge (absolute), read only when the judge is not cached yet, to train it (null: the
   * run's data.root when the run is on CIFAR-10, else @reacgan/data's dataset cache). CLI: --judge-data.
   */
  judgeData: string | null;
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
  /** The training split, when the caller already opened it (image folders: the command line inspects it first). */
  dataset?: dataNode.Dataset;
  /** Unreadable image files: 'error' (default) lists them and stops before training; 'skip' leaves them out. */
  onBadFile?: 'error' | 'skip';
  /** Show the progress bar (default true). */
  progress?: boolean;
  /** Status lines (default: stderr). */
  log?: (line: string) => void;
  /** Aborting writes a checkpoint and returns (Ctrl-C). */
  signal?: AbortSignal;
  /** The command line, recorded in config.json. */
  command?: string[];
  /** false: no evaluations during training whatever `evaluation` says (CLI --no-judge). */
  judge?: boolean;
  /**
   * Evaluations during training (every run.evalEvery steps, run.evalNumSamples generated images; the lowest FID
   * is kept as checkpoints/best.safetensors). Default: the MNIST judge for MNIST, none otherwise; with --resume,
   * the resumed run's settings.
   */
  evaluation?: Partial<TrainEvaluationSettings>;
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

/** Evaluations during training: the extractor, the reference statistics (cached), and how long that took. */
interface TrainingEvaluator {
  evaluator: Evaluator;
  settings: TrainEvaluationSettings & { split: dataNode.SplitName };
  reference: metrics.FeatureStatistics;
  referenceName: string;
  referenceCache: string;
  /** A judge classifier whose classes are the dataset's: class accuracy and the confusion matrix come with FID. */
  judgesClasses: boolean;
  seconds: number;
}

/** One evaluation during training (or the final one). */
export type TrainingEvaluation = JudgeResult | FidEvaluation;

/** Runs (or resumes) training and writes the run directory; see the file header for its content. */
export async function trainRun(options: TrainRunOptions): Promise<TrainRunResult> {
  const t0 = performance.now();
  const { config } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  const out = resolve(options.out);
  const kind = datasetKind(config.data.name);

  // ---- everything that can refuse the run, before anything is written (a refused run leaves no folder behind)
  const problems = unsupportedFeatures(config);
  if (problems.length) throw new Error(`not implemented by this trainer: ${problems.join(', ')}; switch them off in the configuration (reacgan info lists them)`);
  // BN statistics of grids and evaluations (run.batchStatistics / run.standingStatistics).
  const generation = resolveGenerationStatistics(config.run);
  const { batchSize } = config.optimization;
  const contrastive = CONDITIONING_METHODS[config.model.dCondMtd]?.batchContrastive;
  if (batchSize === 1 && contrastive) {
    log(
      `warning: optimization.batchSize 1 with model.dCondMtd '${config.model.dCondMtd}': the ${contrastive} loss contrasts each sample with the other samples of its batch, ` +
        'and with none it is exactly 0, so the conditioning term does nothing; use a batch size of 2 or more',
    );
  }
  const train = options.dataset ?? (await openConfiguredDataset(config, 'train', { onBadFile: options.onBadFile, log }));
  // A stop signal during setup (before the first step) stops at the next stage, before anything is written.
  const stoppedInSetup = (step: number): TrainRunResult => {
    log(`interrupted during setup, before training started: nothing was written to ${out}`);
    return { out, status: 'interrupted', step };
  };
  if (options.signal?.aborted) return stoppedInSetup(0);
  log(`dataset: ${train.name} (${train.count} images, ${train.numClasses} classes, ${train.uniformShape ? train.imageShape.join('×') : `mixed sizes, resized to ${config.data.imgSize}×${config.data.imgSize}`})`);
  if (batchSize * config.optimization.acmlSteps > train.count) {
    throw new Error(`--batch-size (optimization.batchSize): expected at most the ${train.count} images of ${train.name} per step (batches never repeat an image), received ${batchSize}${config.optimization.acmlSteps > 1 ? ` × ${config.optimization.acmlSteps} accumulation steps` : ''}`);
  }
  let checkpoint: Awaited<ReturnType<typeof loadCheckpoint>> | null = null;
  let resumedFrom: string | null = null;
  if (options.resume) {
    resumedFrom = resolve(resumeCheckpointPath(options.resume));
    checkpoint = await loadCheckpoint(resumedFrom);
    assertResumable(resumedFrom, checkpoint);
  }
  const trainingData = { fingerprint: await datasetFingerprint(train, false) };
  if (checkpoint) await checkSameTrainingData(checkpoint, train, join(out, 'labels.json'), trainingData.fingerprint, log);
  const settings = trainingEvaluationSettings(options, kind, checkpoint?.info.evaluation ?? null);
  const trainer = Trainer.create(config, { dataset: train, initialize: !checkpoint });
  let evaluation: TrainingEvaluator | null = null;
  let best: CheckpointInfo['best'] = null;
  try {
    if (checkpoint) {
      trainer.loadState({ tensors: checkpoint.tensors, meta: checkpoint.meta });
      best = checkpoint.info.best ?? null;
      log(`resumed from ${resumedFrom} at step ${trainer.step}`);
    }
    evaluation = await openTrainingEvaluator(config, settings, kind, train, { cacheDir: options.cacheDir, onBadFile: options.onBadFile, log });
    if (options.signal?.aborted) {
      trainer.dispose();
      evaluation?.evaluator.dispose();
      return stoppedInSetup(trainer.step);
    }
    // ---- the run directory
    await mkdir(join(out, 'checkpoints'), { recursive: true });
    await mkdir(join(out, 'samples'), { recursive: true });
    if (!checkpoint) await dataNode.saveClassIndex(join(out, 'labels.json'), train);
  } catch (error) {
    trainer.dispose();
    evaluation?.evaluator.dispose();
    throw error;
  }
  const params = { generator: trainer.generator.numParameters(), discriminator: trainer.discriminator.numParameters() };
  const runInfo = {
    config,
    configSource: options.configSource,
    backend: options.backend,
    versions,
    dataset: { kind, name: train.name, count: train.count, numClasses: train.numClasses, classNames: train.classNames, imageShape: train.imageShape, uniformShape: train.uniformShape, source: train.source ?? null },
    parameters: params,
    command: options.command ?? process.argv.slice(1),
    startedAt: new Date().toISOString(),
    resumedFrom,
    evaluation: evaluation ? evaluationRecord(evaluation) : null,
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
  const evaluationInfo = evaluation ? { extractor: evaluation.settings.extractor, inceptionWeights: evaluation.settings.inceptionWeights, allowUnverifiedWeights: evaluation.settings.allowUnverifiedWeights, split: evaluation.settings.split } : { ...settings };
  const checkpointInfo = (reason: string, extra: Partial<CheckpointInfo> = {}): CheckpointInfo => ({
    reason,
    savedAt: new Date().toISOString(),
    best,
    backend: options.backend,
    versions,
    classNames: [...train.classNames],
    trainingData,
    evaluation: evaluationInfo,
    ...extra,
  });
  const save = async (name: 'last' | 'best', reason: string, extra?: Partial<CheckpointInfo>) => {
    const state = trainer.getState();
    try {
      await saveCheckpoint(join(out, 'checkpoints', `${name}.safetensors`), state, checkpointInfo(reason, extra));
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
    const image = await sampleGrid(evalTrainer, gridLabels, 10);
    await writeFileAtomic(file, encodePng(image));
  };
  const evaluate = async (perClass: number): Promise<TrainingEvaluation | null> => {
    if (!evaluation) return null;
    const generate = (labels: Int32Array) => evalTrainer.generate(labels, { seedKey: 1 });
    if (evaluation.judgesClasses) {
      return judgeGenerator(generate, evaluation.evaluator.classifier!, evaluation.reference, { perClass, numClasses: config.data.numClasses, referenceName: kind === 'mnist' || kind === 'cifar10' ? undefined : `images of ${evaluation.referenceName}` });
    }
    return fidOfGenerator(generate, evaluation, perClass, config.data.numClasses, log);
  };
  const statisticsFields = { batchNormStatistics: generation.mode, ...(generation.standing ? { standingStatistics: standingStatisticsRecord(generation.standing) } : {}) };
  const evalLine = (step: number, r: TrainingEvaluation, final = false): EvalLine & Record<string, unknown> => ({
    kind: 'eval',
    step,
    fid: r.fid,
    numSamples: r.numSamples,
    extractor: evaluation!.evaluator.extractor.name,
    ...('classAccuracy' in r ? { classAccuracy: r.classAccuracy, meanConfidence: r.meanConfidence } : {}),
    ...statisticsFields,
    ...(final ? { final: true } : {}),
  });

  let status: TrainRunResult['status'] = 'completed';
  let error: string | undefined;
  const trainStart = performance.now();
  const startStep = trainer.step;
  progress.start(trainer.step);
  try {
    while (trainer.step < total) {
      if (options.signal?.aborted) {
        status = 'interrupted';
        break;
      }
      await trainer.trainStep();
      await options.onStep?.(trainer);
      const step = trainer.step;
      progress.update(step);
      const at = (interval: number) => interval > 0 && step % interval === 0;
      if (at(config.run.printEvery) || step === total) await flush();
      if (at(config.run.sampleEvery)) await writeGrid(join(out, 'samples', `step-${step}.png`));
      if (at(config.run.evalEvery) && evaluation) {
        await flush();
        const r = await evaluate(Math.max(1, Math.round(config.run.evalNumSamples / config.data.numClasses)));
        if (r) {
          const line = evalLine(step, r);
          evalLines.push(line);
          await appendFile(metricsFile, JSON.stringify(line) + '\n');
          if ('classAccuracy' in r) tb?.scalar('eval/classAccuracy', r.classAccuracy, step);
          tb?.scalar('eval/fid', r.fid, step);
          progress.update(step, { note: `${'classAccuracy' in r ? `acc ${(r.classAccuracy * 100).toFixed(1)}% ` : ''}FID ${r.fid.toFixed(2)}` });
          if (!best || r.fid < best.value) {
            best = { metric: evaluation.judgesClasses ? 'judgeFid' : `fid:${evaluation.evaluator.extractor.name}`, value: r.fid, step };
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
      error = `${e.message}; training stopped. ${await lastGoodCheckpoint(out, config.run.saveEvery)}`;
      log(error);
    } else {
      progress.stop();
      // Any other failure mid-run (an image that fails to decode, a full disk, a bug): keep what was trained.
      const note = await saveOnError(e, trainer, save, out);
      if (e instanceof Error) e.message += `\n${note}`;
      log(note);
      releaseStandingCopy();
      trainer.dispose();
      evaluation?.evaluator.dispose();
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
      const line = evalLine(trainer.step, final, true);
      if (!evalLines.some((l) => l.step === trainer.step)) evalLines.push(line);
      await appendFile(metricsFile, JSON.stringify(line) + '\n');
    }
    const stepsRun = trainer.step - startStep;
    const msPerStep = trainLines.filter((l) => l.step > startStep).map((l) => l.ms);
    const judge = evaluation?.evaluator.classifier ? evaluation : null;
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
        judgeSetupSeconds: evaluation?.seconds ?? 0,
        judgeTrainedThisRun: judge?.evaluator.judge?.trained ?? false,
        judgeTrainSeconds: judge?.evaluator.judge?.trainSeconds ?? 0,
        trainSeconds,
        evalSeconds,
        stepsThisRun: stepsRun,
        msPerStepMedian: median(msPerStep),
        msPerStepMean: msPerStep.length ? msPerStep.reduce((a, b) => a + b, 0) / msPerStep.length : null,
      },
      evaluation: final,
      best: best ?? null,
      judge: judge?.evaluator.judge ? { testAccuracy: judge.evaluator.judge.testAccuracy, hash: judgeDefinitionHash(judge.evaluator.classifier!.definition), cachePath: judge.evaluator.judge.path } : null,
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
  evaluation?.evaluator.dispose();
  return { out, status, step: trainer.step, report, error };
}

/**
 * --resume continues with the very batches the run would have drawn, so the data must be the run's: the same classes
 * (labels.json, else the checkpoint's class names) and the same number of images (the checkpoint's data iterator).
 * Other images of the same count and classes (their `fingerprint` differs from the recorded one) are warned about.
 * @throws Error naming --root and --resume, what the run recorded and what was given.
 */
async function checkSameTrainingData(
  checkpoint: Awaited<ReturnType<typeof loadCheckpoint>>,
  train: dataNode.Dataset,
  labelsFile: string,
  fingerprint: string,
  log: (line: string) => void,
): Promise<void> {
  const recordedRoot = checkpoint.meta.config.data.root;
  const recorded = `the run was trained on data.root ${recordedRoot ?? `(the ${checkpoint.meta.config.data.name} loader's default location)`}`;
  const remedy = 'if the data moved, pass its new location with --root <dir>; to train on other data, start a new run without --resume';
  const classNames = existsSync(labelsFile) ? (await dataNode.loadClassIndex(labelsFile)).classNames : checkpoint.info.classNames;
  if (classNames) {
    try {
      dataNode.assertSameClassIndex(dataNode.classIndexDocument({ name: 'the run', classNames }), train);
    } catch (error) {
      throw new Error(`--root / --resume: ${(error as Error).message} (${recorded}, ${classNames.length} classes); ${remedy}`);
    }
  }
  const count = (checkpoint.meta.batches as { count?: unknown } | undefined)?.count;
  if (typeof count === 'number' && count !== train.count) {
    throw new Error(`--root / --resume: expected the ${count} images ${recorded.replace('the run was ', '')}, received ${train.count} images in ${train.name}; resuming draws the run's next batches by image index, so it needs the same images; ${remedy}`);
  }
  const recordedFingerprint = checkpoint.info.trainingData?.fingerprint;
  if (recordedFingerprint && recordedFingerprint !== fingerprint) {
    log(
      `warning: --root / --resume: the images given differ from the run's (same ${train.count} images and classes, other file names or sizes); ` +
        `training continues on them, and evaluations from here on (and best.safetensors) compare with this data, not the run's`,
    );
  }
}

/** The evaluation settings of a run: the caller's, else a resumed run's, else the MNIST judge for MNIST and none otherwise. */
function trainingEvaluationSettings(options: TrainRunOptions, kind: dataNode.DatasetName, resumed: Partial<TrainEvaluationSettings> | null): TrainEvaluationSettings {
  const given = options.evaluation ?? {};
  const extractor = options.judge === false ? 'none' : (given.extractor ?? resumed?.extractor ?? JUDGE_EXTRACTORS[kind] ?? 'none');
  const from = options.judge === false ? '--no-judge' : given.extractor ? '--eval-extractor' : resumed?.extractor ? "the resumed run's" : `the default for ${kind}`;
  assertJudgeDataUsed(given.judgeData, extractor, from);
  return {
    extractor,
    inceptionWeights: given.inceptionWeights ?? resumed?.inceptionWeights ?? null,
    allowUnverifiedWeights: given.allowUnverifiedWeights ?? resumed?.allowUnverifiedWeights ?? false,
    split: given.split ?? resumed?.split ?? null,
    judgeData: given.judgeData ?? resumed?.judgeData ?? null,
  };
}

/** Opens the extractor and the reference statistics of evaluations during training (null when there are none). */
async function openTrainingEvaluator(
  config: ReacganConfig,
  settings: TrainEvaluationSettings,
  kind: dataNode.DatasetName,
  train: dataNode.Dataset,
  options: { cacheDir?: string; onBadFile?: 'error' | 'skip'; log: (line: string) => void },
): Promise<TrainingEvaluator | null> {
  if (settings.extractor === 'none') {
    if (!JUDGE_EXTRACTORS[kind]) {
      options.log('no evaluation during training (and no checkpoints/best): pass --eval-extractor inception-v3-fid (with pytorch-fid\'s weights), mnist-judge (greyscale digits) or cifar10-judge (CIFAR-10\'s classes) to evaluate every run.evalEvery steps');
    }
    return null;
  }
  const t0 = performance.now();
  const split = await trainingReferenceSplit(config, settings.split);
  // The reference's images are read once, for its statistics (which the cache then keeps): headers suffice up front.
  const dataset = split === 'train' ? train : await openConfiguredDataset(config, split, { onBadFile: options.onBadFile, verify: 'header', log: options.log });
  if (dataset.numClasses !== config.data.numClasses) throw new Error(`--eval-split ${split}: expected ${config.data.numClasses} classes like the training split, received ${dataset.numClasses} in ${dataset.name}`);
  const evaluator = await openEvaluator(settings.extractor, {
    inceptionWeights: settings.inceptionWeights ?? undefined,
    allowUnverifiedWeights: settings.allowUnverifiedWeights,
    cacheDir: options.cacheDir,
    log: options.log,
    ...judgeDataOptions(settings.judgeData, kind, config.data.root, "the run's data.root (--root)"),
  });
  try {
    const reference = await referenceFeatures(evaluator, referenceSet(dataset, kind, split, config, config.data.root ?? null), { log: options.log });
    options.log(`evaluation during training: ${evaluator.extractor.name} against ${dataset.name} (${dataset.count} images; reference statistics ${reference.cache})`);
    if (config.run.evalEvery === 0) options.log(`run.evalEvery 0: no evaluations during training (and no checkpoints/best.safetensors); only the final evaluation with ${evaluator.extractor.name}`);
    return {
      evaluator,
      settings: { ...settings, split },
      reference: reference.statistics,
      referenceName: dataset.name,
      referenceCache: reference.cache,
      // A judge's outputs are its dataset's classes: class accuracy wherever the classes are those (MNIST, a folder 0/ … 9/, CIFAR-10).
      judgesClasses: evaluator.classNames !== null && dataset.classNames.length === evaluator.classNames.length && dataset.classNames.every((n, k) => n === evaluator.classNames![k]),
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (error) {
    evaluator.dispose();
    throw error;
  }
}

function evaluationRecord(e: TrainingEvaluator): Record<string, unknown> {
  return { ...e.settings, extractor: e.evaluator.extractor.name, weights: e.evaluator.weights, reference: e.referenceName, referenceCount: e.reference.count, referenceCache: e.referenceCache };
}

/** FID of `perClass` generated images of every class against the reference statistics, in the extractor's feature space. */
async function fidOfGenerator(generate: (labels: Int32Array) => tf.Tensor4D, evaluation: TrainingEvaluator, perClass: number, numClasses: number, log: (line: string) => void): Promise<FidEvaluation> {
  const labels = perClassLabels(numClasses, perClass);
  const accumulator = new metrics.StatisticsAccumulator({ name: 'generated features' });
  const batch = 100;
  for (let start = 0; start < labels.length; start += batch) {
    const images = generate(labels.slice(start, start + batch));
    try {
      accumulator.add(await evaluation.evaluator.extractor.extract(images, { range: [-1, 1] }));
    } finally {
      images.dispose();
    }
  }
  const fid = metrics.frechetInceptionDistance(accumulator.statistics(), evaluation.reference, { onWarning: (m) => log(`warning: @reacgan/metrics: ${m}`) });
  const name = evaluation.evaluator.extractor.name;
  return {
    extractor: name,
    numSamples: labels.length,
    fid,
    referenceCount: evaluation.reference.count,
    fidDescription: `FID with ${name} (weights SHA-256 ${evaluation.evaluator.weights.sha256.slice(0, 16)}…${evaluation.evaluator.weights.verified ? '' : ', unverified'}), ${labels.length} generated vs ${evaluation.reference.count} images of ${evaluation.referenceName}`,
    weightsSha256: evaluation.evaluator.weights.sha256,
  };
}

/**
 * What the non-finite stop can point to: `last.safetensors` only when it exists and loads (a checkpoint written
 * before the failure), with its step.
 */
async function lastGoodCheckpoint(out: string, saveEvery: number): Promise<string> {
  const file = join(out, 'checkpoints', 'last.safetensors');
  if (!existsSync(file)) return `No checkpoint was written before it (checkpoints are written every run.saveEvery = ${saveEvery} steps), so there is nothing to resume from.`;
  try {
    const { meta } = await loadCheckpoint(file);
    return `The last good checkpoint is ${file} (step ${meta.step}); resume from it with reacgan train --resume ${out} after changing what diverged (e.g. --set on run.* keys, or a new run with a lower learning rate).`;
  } catch (error) {
    return `${file} does not load (${(error as Error).message}), so there is no good checkpoint to resume from.`;
  }
}

/** On an error mid-run: flush and write checkpoints/last.safetensors (reason 'error'); returns the line that says what happened. */
async function saveOnError(error: unknown, trainer: Trainer, save: (name: 'last', reason: string, extra?: Partial<CheckpointInfo>) => Promise<void>, out: string): Promise<string> {
  const file = join(out, 'checkpoints', 'last.safetensors');
  try {
    await trainer.flush();
    await save('last', 'error', { error: (error as Error)?.message ?? String(error) });
    return `training failed at step ${trainer.step + 1}; the state after step ${trainer.step} is saved in ${file} (reason 'error'): fix the cause, then continue with reacgan train --resume ${out}`;
  } catch (saveError) {
    return `training failed at step ${trainer.step + 1}, and no checkpoint could be written (${(saveError as Error)?.message ?? String(saveError)})`;
  }
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

/** A class-conditional grid from the trainer's (EMA) generator: one row per class, `perClass` columns (read asynchronously). */
export async function sampleGrid(trainer: Pick<Trainer, 'generate'>, labels: Int32Array, perClass: number): Promise<Uint8Image> {
  const images = trainer.generate(labels, { seedKey: 0 });
  const shape = images.shape;
  const values = await images.data();
  images.dispose();
  return tileImages(imagesFromNhwc(values, shape), perClass);
}

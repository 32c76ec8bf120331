// The workflows a practitioner runs, each through the CLI on real files (issue 19): training on your own image
// folder in one command (classes named 1, 2, 10; mixed sizes), resuming after the folder moved, evaluating a
// folder of PNGs against MNIST twice (the second time from the statistics cache), intra-class FID; and the
// messages around them. Tiny step counts and images: these tests exercise the wiring, not the training.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as dataNode from '@reacgan/data/node';
import { loadNativeBackend, nativeInstalled } from '@reacgan/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { create as tarCreate } from 'tar';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './cli.js';
import { MNIST_JUDGE } from '../src/eval/judge-classifier.js';
import { loadOrTrainJudgeClassifier } from '../src/node/cache.js';
import { loadCheckpoint, saveCheckpoint } from '../src/node/checkpoint.js';
import { loadGenerator, sampleLoaded } from '../src/node/generator.js';
import { encodePng } from '../src/node/png.js';
import { imagesFromNhwc } from '../src/report/images.js';
import { NonFiniteLossError } from '../src/train/records.js';
import { Trainer } from '../src/train/trainer.js';
import * as data from '@reacgan/data';

const backend = nativeInstalled() ? 'tensorflow' : 'cpu';
let dir: string;
const savedCacheEnv = process.env.REACGAN_CACHE_DIR;

const cli = runCli;

/** A PNG of size h×w: class k is a bright block at a class-dependent place on noise (RGB unless grey). */
function picture(k: number, h: number, w: number, seed: number, grey = false): Buffer {
  const rng = new data.Rng(seed);
  const channels = grey ? 1 : 3;
  const pixels = new Uint8Array(h * w * channels);
  const top = Math.floor(((k * 7) % 3) * (h / 4));
  const left = Math.floor(((k * 5) % 3) * (w / 4));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = y >= top && y < top + h / 3 && x >= left && x < left + w / 3;
      for (let c = 0; c < channels; c++) pixels[(y * w + x) * channels + c] = inside ? 180 + rng.nextInt(70) + (grey ? 0 : c * 2) : rng.nextInt(40);
    }
  }
  return encodePng({ width: w, height: h, channels, data: pixels });
}

/** root/<class>/<n>.png for classes '1', '2', '10' (torchvision order: '1', '10', '2'); sizes 32×32 and 40×40 (and one 24×36). */
async function makeFolder(root: string, options: { perClass?: number; grey?: boolean } = {}): Promise<void> {
  const perClass = options.perClass ?? 6;
  for (const [k, name] of ['1', '2', '10'].entries()) {
    await mkdir(join(root, name), { recursive: true });
    for (let n = 0; n < perClass; n++) {
      const [h, w] = n === 0 && k === 2 ? [24, 36] : n % 2 ? [40, 40] : [32, 32];
      await writeFile(join(root, name, `${n}.png`), picture(k, h, w, 100 * k + n, options.grey));
    }
  }
}

const small = ['--set', 'model.gConvDim=2', 'model.dConvDim=2', 'run.printEvery=1', 'run.sampleEvery=0', 'run.saveEvery=2', 'run.evalNumSamples=12', 'run.evalEvery=2'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reacgan-workflows-'));
  process.env.REACGAN_CACHE_DIR = join(dir, 'cache');
  if (backend === 'tensorflow') await loadNativeBackend();
  // A judge trained briefly (1,024 images, 1 epoch) into the temporary cache (the pipeline is the real one).
  const test = await dataNode.loadMnist({ split: 'test' });
  const { classifier } = await loadOrTrainJudgeClassifier(MNIST_JUDGE, () => dataNode.loadMnist({ split: 'train' }), test, { dir: join(dir, 'cache'), trainOptions: { epochs: 1, limit: 1024 } });
  classifier.dispose();
  await makeFolder(join(dir, 'shapes'));
});
afterAll(async () => {
  if (savedCacheEnv === undefined) delete process.env.REACGAN_CACHE_DIR;
  else process.env.REACGAN_CACHE_DIR = savedCacheEnv;
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe(`your own image folder in one command [${backend}]`, () => {
  const run = () => join(dir, 'run-shapes');

  it('train --dataset folder --root DIR infers classes, channels and size, resizes mixed sizes, evaluates with a chosen extractor and keeps the best checkpoint', async () => {
    const cwd = process.cwd();
    process.chdir(dir); // a relative --root is stored as an absolute path
    let err: string;
    try {
      ({ err } = await cli(['train', '--dataset', 'folder', '--root', 'shapes', '--steps', '2', '--batch-size', '4', '--out', run(), '--no-progress', '--backend', backend, '--eval-extractor', 'mnist-judge', ...small]));
    } finally {
      process.chdir(cwd);
    }
    // What was inferred, said once, before training.
    expect(err).toContain(`folder ${join(dir, 'shapes')}: 18 images, 3 classes ("1", "10", "2"), colour, sizes 40×40 (9), 32×32 (8), 24×36 (1)`);
    expect(err).toContain('training at 32×32×3: sizes differ: every image is cropped to a square on its long edge (random in training, centred in evaluation) and resized to 32×32');
    expect(err).toMatch(/preset folder\/reacgan: mnist\/reacgan's CPU-sized ReACGAN recipe at 32 px \(deep_conv backbone\), 3 channel\(s\), 3 classes/);
    const config = JSON.parse(await readFile(join(run(), 'config.json'), 'utf8'));
    expect(config.config.data).toMatchObject({ name: 'folder', numClasses: 3, imgChannels: 3, imgSize: 32, root: join(dir, 'shapes') });
    expect(config.dataset).toMatchObject({ kind: 'folder', count: 18, classNames: ['1', '10', '2'], uniformShape: false });
    expect(JSON.parse(await readFile(join(run(), 'labels.json'), 'utf8')).classNames).toEqual(['1', '10', '2']);
    // Evaluation during training with the chosen extractor, and the best checkpoint, on a non-MNIST dataset.
    const lines = (await readFile(join(run(), 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const evals = lines.filter((l) => l.kind === 'eval');
    expect(evals.length).toBeGreaterThanOrEqual(1);
    for (const e of evals) {
      expect(e.extractor).toMatch(/reacgan-mnist-judge/);
      expect(Number.isFinite(e.fid)).toBe(true);
      expect(e.classAccuracy).toBeUndefined(); // the judge's classes are MNIST's, not these
    }
    expect(config.evaluation).toMatchObject({ extractor: 'reacgan-mnist-judge-' + config.evaluation.extractor.split('-').pop(), split: 'train', reference: `folder:${join(dir, 'shapes')}`, referenceCount: 18 });
    const best = await loadCheckpoint(join(run(), 'checkpoints', 'best.safetensors'));
    expect(best.info.best).toMatchObject({ metric: expect.stringMatching(/^fid:reacgan-mnist-judge/), step: 2 });
    const report = JSON.parse(await readFile(join(run(), 'report.json'), 'utf8'));
    expect(report.evaluation).toMatchObject({ numSamples: 300, referenceCount: 18 });
    expect(Number.isFinite(report.evaluation.fid)).toBe(true);
  });

  it("evaluate --run without --extractor measures with the run's evaluation extractor (mnist-judge here, not inception-v3-fid); --out's folder is created", async () => {
    const file = join(dir, 'evaluations', 'shapes', 'fid.json');
    const { out, err } = await cli(['evaluate', '--run', run(), '--num-samples', '12', '--metrics', 'fid', '--out', file, '--backend', backend]);
    expect(err).toMatch(/extractor mnist-judge: the run's evaluation extractor \(recorded in .*last\.safetensors\); pass --extractor to choose another/);
    const result = JSON.parse(out);
    expect(result.protocol.extractor).toMatch(/reacgan-mnist-judge/);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(result);
  });

  it('info shows what a folder of greyscale images becomes (1 channel), and --img-size 64 picks the resnet backbone', async () => {
    const grey = join(dir, 'grey');
    await makeFolder(grey, { perClass: 2, grey: true });
    const { out, err } = await cli(['info', '--dataset', 'folder', '--root', grey, '--json']);
    expect(JSON.parse(out).config.data).toMatchObject({ imgChannels: 1, numClasses: 3, imgSize: 32 });
    expect(err).toContain('greyscale (R = G = B everywhere)');
    const big = JSON.parse((await cli(['info', '--dataset', 'folder', '--root', grey, '--img-size', '64', '--json'])).out);
    expect(big.config.data.imgSize).toBe(64);
    expect(big.config.model.backbone).toBe('resnet');
    await expect(cli(['info', '--dataset', 'folder', '--root', grey, '--img-size', '48'])).rejects.toThrow(/--img-size: expected one of 32, 64, 128, 256, 512/);
    // A config file that disagrees with the folder: every mismatch at once, in the file's spelling.
    const file = join(dir, 'mine.yaml');
    await writeFile(file, 'DATA:\n  name: "mine"\n  num_classes: 5\n');
    await expect(cli(['info', '--config', file, '--root', grey])).rejects.toThrow(/data\.numClasses \(DATA\.num_classes\): expected 3 \(the class folders of .*grey: 1, 10, 2\), received 5/);
  });

  it('one colour image among greyscale ones: the folder trains in colour, and a warning names the file and how to train greyscale', async () => {
    const stray = join(dir, 'grey-stray');
    await makeFolder(stray, { grey: true });
    await writeFile(join(stray, '2', 'stray.png'), picture(1, 32, 32, 999));
    const { out, err } = await cli(['info', '--dataset', 'folder', '--root', stray, '--json']);
    expect(JSON.parse(out).config.data.imgChannels).toBe(3);
    expect(err).toContain(
      `warning: 1 of the 19 images of ${stray} is colour (2/stray.png), the other 18 greyscale: the folder trains in colour (3 channels), as its colour images need; if they do not belong, remove them, or pass --set data.imgChannels=1 to train greyscale (colour images converted to luma)`,
    );
    // Chosen explicitly: no warning, and the note says the colour image is converted.
    const grey = await cli(['info', '--dataset', 'folder', '--root', stray, '--set', 'data.imgChannels=1', '--json']);
    expect(JSON.parse(grey.out).config.data.imgChannels).toBe(1);
    expect(grey.err).not.toContain('warning:');
    // A colour folder is not warned about.
    expect((await cli(['info', '--dataset', 'folder', '--root', join(dir, 'shapes'), '--json'])).err).not.toContain('warning:');
  });

  it('a greyscale folder trains with 1 channel, and its run evaluates against the folder', async () => {
    const out = join(dir, 'run-grey');
    await cli(['train', '--dataset', 'folder', '--root', join(dir, 'grey'), '--steps', '1', '--batch-size', '4', '--out', out, '--no-progress', '--no-judge', '--backend', backend, ...small]);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.dataset.imageShape).toEqual([32, 32, 1]);
    const result = JSON.parse((await cli(['evaluate', '--run', out, '--extractor', 'mnist-judge', '--num-samples', '12', '--metrics', 'fid', '--backend', backend])).out);
    expect(result.protocol).toMatchObject({ referenceDataset: `folder:${join(dir, 'grey')}`, referenceSplit: 'train', referenceCount: 6, imageShape: [32, 32, 1] });
    expect(Number.isFinite(result.metrics.fid)).toBe(true);
  });

  it('a root with train/ + test/ trains on train/ and evaluates against test/ (recorded in the run); evaluate --run agrees', async () => {
    const root = join(dir, 'split-root');
    await makeFolder(join(root, 'train'));
    await makeFolder(join(root, 'test'), { perClass: 3 });
    const out = join(dir, 'run-split-root');
    const { err } = await cli(['train', '--dataset', 'folder', '--root', root, '--steps', '2', '--batch-size', '4', '--out', out, '--no-progress', '--backend', backend, '--eval-extractor', 'mnist-judge', ...small]);
    expect(err).toContain(`folder ${root} (training split train/): 18 images`);
    expect(err).toMatch(new RegExp(`evaluation during training: reacgan-mnist-judge-[0-9a-f]+ against folder:${join(root, 'test')} \\(9 images`));
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.config.data.root).toBe(root);
    expect(config.dataset).toMatchObject({ name: `folder:${join(root, 'train')}`, count: 18 });
    expect(config.evaluation).toMatchObject({ split: 'test', reference: `folder:${join(root, 'test')}`, referenceCount: 9 });
    const evaluated = await cli(['evaluate', '--run', out, '--num-samples', '12', '--metrics', 'fid', '--backend', backend]);
    expect(evaluated.err).toContain("reference split test: the split the run's evaluations used");
    expect(JSON.parse(evaluated.out).protocol).toMatchObject({ referenceDataset: `folder:${join(root, 'test')}`, referenceSplit: 'test', referenceCount: 9 });
  });

  it('the same train/ + test/ layout as a .tar.gz root: trains on train/, evaluates against test/', async () => {
    const root = join(dir, 'split-archive-src');
    await makeFolder(join(root, 'train'));
    await makeFolder(join(root, 'test'), { perClass: 3 });
    const archive = join(dir, 'split-root.tar.gz');
    await tarCreate({ gzip: true, file: archive, cwd: root, portable: true }, ['train', 'test']);
    const out = join(dir, 'run-split-archive');
    const { err } = await cli(['train', '--dataset', 'folder', '--root', archive, '--steps', '2', '--batch-size', '4', '--out', out, '--no-progress', '--backend', backend, '--eval-extractor', 'mnist-judge', ...small]);
    expect(err).toMatch(/evaluation during training: reacgan-mnist-judge-[0-9a-f]+ against folder:.*test \(9 images/);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.dataset).toMatchObject({ count: 18 });
    expect(config.evaluation).toMatchObject({ split: 'test', referenceCount: 9 });
  });

  it('sample --per-class names the folders by class name: 1/ holds class "1", 10/ class "10"', async () => {
    const per = join(dir, 'per-class');
    const { out } = await cli(['sample', '--run', run(), '--per-class', '2', '--out', per, '--backend', backend]);
    expect(out).toContain('class folders 1, 10, 2');
    expect((await readdir(per)).sort()).toEqual(['1', '10', '2']);
    // Folder "10" holds what the generator makes for label 1 (class "10"), with that class's own seed stream.
    const loaded = await loadGenerator(join(run(), 'checkpoints', 'last.safetensors'));
    try {
      for (const [name, label] of [['10', 1], ['2', 2], ['1', 0]] as const) {
        const images = sampleLoaded(loaded, new Int32Array(2).fill(label), { seed: Number(data.deriveSeed(0, label) & 0x1fffffffffffffn) });
        const [first] = imagesFromNhwc(images.dataSync(), images.shape);
        images.dispose();
        expect(Buffer.compare(await readFile(join(per, name, '0.png')), encodePng(first)), `folder ${name}`).toBe(0);
      }
    } finally {
      loaded.generator.dispose();
    }
  });

  it('--resume after the folder moved: without --root it says to pass the new location; with it, training continues', async () => {
    const moved = join(dir, 'moved-shapes');
    await rename(join(dir, 'shapes'), moved);
    try {
      await expect(cli(['train', '--resume', run(), '--steps', '3', '--no-progress', '--backend', backend])).rejects.toThrow(
        new RegExp(`data\\.root ${join(dir, 'shapes').replace(/[/\\]/g, '.')} \\(where the run's data was\\) does not exist any more; if the data moved, pass its new location with --root <dir>`),
      );
      // Flags that cannot change are refused by name, all at once; nothing is written.
      await expect(cli(['train', '--resume', run(), '--root', moved, '--steps', '3', '--batch-size', '8', '--seed', '3', '--set', 'loss.cond_lambda=2', '--no-progress'])).rejects.toThrow(
        /cannot change:\n {2}- --batch-size .*\n {2}- --seed .*\n {2}- --set loss\.cond_lambda .*\nstart a new run/,
      );
      // Another dataset under --root: named as such, with what the run recorded and what was given (not the data iterator's internals).
      const other = join(dir, 'other-shapes');
      await makeFolder(other, { perClass: 4 });
      await expect(cli(['train', '--resume', run(), '--root', other, '--steps', '3', '--no-progress', '--backend', backend])).rejects.toThrow(
        new RegExp(`^--root / --resume: expected the 18 images trained on data\\.root ${join(dir, 'shapes')}, received 12 images in folder:${other}; .*start a new run without --resume$`),
      );
      await rename(join(other, '10'), join(other, 'ten'));
      await expect(cli(['train', '--resume', run(), '--root', other, '--steps', '3', '--no-progress', '--backend', backend])).rejects.toThrow(
        new RegExp(`^--root / --resume: folder:${other}: its classes differ from the saved label map .*"10" vs "2".* \\(the run was trained on data\\.root ${join(dir, 'shapes')}, 3 classes\\); if the data moved`),
      );
      const relativeRoot = relative(process.cwd(), moved);
      const resumed = await cli(['train', '--resume', run(), '--root', relativeRoot, '--steps', '3', '--no-progress', '--backend', backend, '--set', 'run.print_every=1']);
      expect(resumed.err).not.toContain('the images given differ'); // moved, not changed
      const ckpt = await loadCheckpoint(join(run(), 'checkpoints', 'last.safetensors'));
      expect(ckpt.meta.step).toBe(3);
      expect(ckpt.meta.config.data.root).toBe(moved);
      expect(ckpt.info.evaluation).toMatchObject({ extractor: 'mnist-judge' }); // the run's evaluation settings carried over
      const lines = (await readFile(join(run(), 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.filter((l) => l.kind === 'train').map((l) => l.step)).toEqual([1, 2, 3]);
    } finally {
      await rename(moved, join(dir, 'shapes'));
    }
  });

  it('--resume --root on the same number of images and classes but other files: warns that the data differs, then continues', async () => {
    const first = join(dir, 'resume-data-a');
    await makeFolder(first, { perClass: 2 });
    const out = join(dir, 'run-resume-data');
    await cli(['train', '--dataset', 'folder', '--root', first, '--steps', '1', '--batch-size', '4', '--out', out, '--no-progress', '--no-judge', '--backend', backend, '--set', 'model.gConvDim=2', 'model.dConvDim=2', 'run.sampleEvery=0']);
    expect((await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'))).info.trainingData?.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    const second = join(dir, 'resume-data-b');
    await makeFolder(second, { perClass: 2 });
    await writeFile(join(second, '2', '1.png'), picture(1, 40, 40, 999)); // one image replaced by another
    const { err } = await cli(['train', '--resume', out, '--root', second, '--steps', '2', '--no-progress', '--backend', backend]);
    expect(err).toMatch(/warning: --root \/ --resume: the images given differ from the run's \(same 6 images and classes, other file names or sizes\)/);
    expect((await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'))).meta.step).toBe(2);
  });

  it('an error mid-run writes a checkpoint first, and --resume continues from it', async () => {
    const out = join(dir, 'run-error');
    const trainStep = Trainer.prototype.trainStep;
    const spy = vi.spyOn(Trainer.prototype, 'trainStep').mockImplementation(async function (this: Trainer) {
      if (this.step === 2) throw new Error('disk on fire');
      await trainStep.call(this);
    });
    try {
      await expect(cli(['train', '--dataset', 'folder', '--root', join(dir, 'shapes'), '--steps', '4', '--batch-size', '4', '--out', out, '--no-progress', '--backend', backend, ...small, 'run.saveEvery=0'])).rejects.toThrow(
        /disk on fire\ntraining failed at step 3; the state after step 2 is saved in .*checkpoints\/last\.safetensors \(reason 'error'\): fix the cause, then continue with reacgan train --resume/,
      );
    } finally {
      spy.mockRestore();
    }
    const ckpt = await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'));
    expect(ckpt.meta.step).toBe(2);
    expect(ckpt.info).toMatchObject({ reason: 'error', error: 'disk on fire' });
    await cli(['train', '--resume', out, '--no-progress', '--backend', backend]);
    expect((await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'))).meta.step).toBe(4);
  });
});

describe(`evaluate a folder of PNGs [${backend}]`, () => {
  const digits = () => join(dir, 'digits');

  beforeAll(async () => {
    // 20 real MNIST training digits per class as PNGs in <class name>/ folders (what a user's generator might write).
    const train = await dataNode.loadMnist({ split: 'train' });
    const taken = new Array<number>(10).fill(0);
    for (let i = 0; i < train.count && taken.some((n) => n < 20); i++) {
      const k = train.labels[i];
      if (taken[k] >= 20) continue;
      await mkdir(join(digits(), String(k)), { recursive: true });
      await writeFile(join(digits(), String(k), `${taken[k]++}.png`), encodePng({ width: 28, height: 28, channels: 1, data: train.getImage(i) }));
    }
  });

  it('against MNIST test twice: the second run takes the reference statistics from the cache (same FID); ifid per class', async () => {
    const args = ['evaluate', '--images', digits(), '--dataset', 'mnist', '--metrics', 'fid,ifid', '--backend', backend];
    const t1 = performance.now();
    const first = JSON.parse((await cli(args)).out);
    const s1 = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    const second = JSON.parse((await cli(args)).out);
    const s2 = (performance.now() - t2) / 1000;
    console.log(`evaluate --images (200 PNGs) vs MNIST test: first ${s1.toFixed(2)} s (reference ${first.protocol.referenceCache.seconds.toFixed(2)} s, ${first.protocol.referenceCache.state}), second ${s2.toFixed(2)} s (reference ${second.protocol.referenceCache.seconds.toFixed(3)} s, ${second.protocol.referenceCache.state})`);
    expect(first.protocol.referenceCache.state).toBe('miss');
    expect(second.protocol.referenceCache.state).toBe('hit');
    expect(second.metrics.fid).toBe(first.metrics.fid);
    expect(second.metrics.ifid).toEqual(first.metrics.ifid);
    // The key names every protocol choice.
    expect(first.protocol.referenceCache.key).toMatchObject({
      dataset: 'mnist',
      split: 'test',
      imageSize: [28, 28],
      count: 10000,
      quantize: 'none',
      resize: 'bilinear',
      extractor: expect.stringMatching(/reacgan-mnist-judge/),
      weightsHash: first.protocol.weights.sha256,
      extra: expect.objectContaining({ channels: 1, transforms: 'none', inputSize: '32x32' }),
    });
    expect(existsSync(first.protocol.referenceCache.file)).toBe(true);
    expect(first.generated).toMatchObject({ source: 'images', count: 200, labelled: true, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(first.protocol).toMatchObject({ referenceSplit: 'test', referenceCount: 10000, numGenerated: 200, imageShape: [28, 28, 1], metrics: ['fid', 'ifid'] });
    // Real digits: even this briefly trained judge (1,024 images, 1 epoch) recognises far more than chance (10 %).
    expect(first.metrics.classAccuracy).toBeGreaterThan(0.3);
    expect(first.metrics.ifid.perClass.map((p: { class: string }) => p.class)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    for (const p of first.metrics.ifid.perClass) {
      expect(p.fakeCount).toBe(20);
      expect(Number.isFinite(p.fid) && p.fid >= 0).toBe(true);
    }
    expect(first.metrics.ifid.mean).toBeCloseTo(first.metrics.ifid.perClass.reduce((a: number, p: { fid: number }) => a + p.fid, 0) / 10, 10);
    // --no-cache recomputes; the statistics are the same.
    const fresh = JSON.parse((await cli([...args, '--no-cache'])).out);
    expect(fresh.protocol.referenceCache.state).toBe('off');
    expect(fresh.metrics.fid).toBe(first.metrics.fid);
  });

  it("training on a folder of digits 0/ … 9/: the judge's evaluations come with class accuracy", async () => {
    const out = join(dir, 'run-digits');
    await cli(['train', '--dataset', 'folder', '--root', digits(), '--steps', '2', '--batch-size', '8', '--out', out, '--no-progress', '--backend', backend, '--eval-extractor', 'mnist-judge', ...small]);
    const evals = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.kind === 'eval');
    expect(evals.length).toBe(2); // step 2, and the final evaluation
    for (const e of evals) expect(e.classAccuracy).toBeGreaterThanOrEqual(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.evaluation).toMatchObject({ numSamples: 1000, referenceCount: 200 });
    expect(report.evaluation.fidDescription).toContain(`images of folder:${digits()}`);
  });

  it("--metrics all means every metric of the extractor (no IS for the judge) and the images' labels; unlabelled images skip ifid", async () => {
    const all = JSON.parse((await cli(['evaluate', '--images', digits(), '--dataset', 'mnist', '--metrics', 'all', '--kid-subsets', '5', '--backend', backend])).out);
    expect(all.protocol.metrics).toEqual(['fid', 'kid', 'prdc', 'ifid']);
    expect(all.protocol.skipped.is).toMatch(/needs the inception-v3-fid extractor/);
    expect(all.protocol.referenceCache.state).toBe('bypassed'); // KID / PRDC need the features themselves
    expect(Number.isFinite(all.metrics.kid.mean)).toBe(true);
    const flat = join(dir, 'flat');
    await mkdir(flat, { recursive: true });
    for (const k of [0, 1, 2, 3, 4, 5, 6, 7]) await writeFile(join(flat, `${k}.png`), await readFile(join(digits(), String(k), '0.png')));
    const unlabelled = JSON.parse((await cli(['evaluate', '--images', flat, '--dataset', 'folder', '--root', digits(), '--metrics', 'all', '--kid-subsets', '2', '--extractor', 'mnist-judge', '--backend', backend])).out);
    expect(unlabelled.protocol.skipped.ifid).toMatch(/needs the class of every generated image/);
    expect(unlabelled.protocol).toMatchObject({ referenceDataset: `folder:${digits()}`, referenceSplit: 'train', referenceCount: 200 });
    await expect(cli(['evaluate', '--images', flat, '--dataset', 'mnist', '--metrics', 'ifid', '--backend', backend])).rejects.toThrow(/--metrics ifid: intra-class FID needs the class of every generated image/);
    await expect(cli(['evaluate', '--images', flat, '--backend', backend])).rejects.toThrow(/the generated images need a reference: --dataset <name>/);
    await expect(cli(['evaluate', '--images', flat, '--dataset', 'mnist', '--seed', '3'])).rejects.toThrow(/--images evaluates finished image files, so --seed .* cannot be combined with it/);
  });

  it('inception-v3-fid: the message says where the weights come from; other weights need --allow-unverified-weights', async () => {
    await expect(cli(['evaluate', '--images', digits(), '--dataset', 'mnist', '--extractor', 'inception-v3-fid', '--backend', backend])).rejects.toThrow(
      'download it from https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth and pass --inception-weights <file>',
    );
    const other = join(dir, 'other-weights.pth');
    await writeFile(other, 'not pytorch-fid');
    await expect(cli(['evaluate', '--images', digits(), '--dataset', 'mnist', '--extractor', 'inception-v3-fid', '--inception-weights', other, '--backend', backend])).rejects.toThrow(
      /SHA-256 [0-9a-f]{64} is not pytorch-fid's pt_inception-2015-12-05-6726825d\.pth .*Pass --allow-unverified-weights to use this file anyway/,
    );
  });

  it("evaluate --checkpoint reuses the Inception weights file the run's evaluations used; --inception-weights overrides it", async () => {
    // A run trained without evaluations, its checkpoint rewritten as if evaluated with inception-v3-fid and a weights
    // file of its own (no pytorch-fid weights here: the weights check names the file that was used, then stops).
    const folder = join(dir, 'weights-folder');
    await makeFolder(folder, { perClass: 2 });
    const out = join(dir, 'weights-run');
    await cli(['train', '--dataset', 'folder', '--root', folder, '--steps', '1', '--batch-size', '4', '--out', out, '--no-progress', '--no-judge', '--backend', backend, '--set', 'model.gConvDim=2', 'model.dConvDim=2', 'run.sampleEvery=0']);
    const recordedWeights = join(dir, 'run-weights.pth');
    await writeFile(recordedWeights, 'weights the run used');
    const source = await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'));
    const crafted = join(dir, 'weights-crafted', 'last.safetensors');
    await mkdir(join(dir, 'weights-crafted'), { recursive: true });
    await saveCheckpoint(crafted, source, { ...source.info, evaluation: { extractor: 'inception-v3-fid', inceptionWeights: recordedWeights, allowUnverifiedWeights: false, split: 'train' } });
    const evaluate = (extra: string[]) => cli(['evaluate', '--checkpoint', crafted, '--num-samples', '6', '--metrics', 'fid', '--backend', backend, ...extra]);
    await expect(evaluate([])).rejects.toThrow(/--inception-weights .*run-weights\.pth: SHA-256 [0-9a-f]{64} is not pytorch-fid's/);
    const other = join(dir, 'given-weights.pth');
    await writeFile(other, 'weights given on the command line');
    await expect(evaluate(['--inception-weights', other])).rejects.toThrow(/--inception-weights .*given-weights\.pth: SHA-256 [0-9a-f]{64} is not pytorch-fid's/);
  });
});

describe(`the CIFAR-10 judge on a run whose data is an image folder [${backend}]`, () => {
  /** CIFAR-10's layout with tiny contents: <root>/train/<class>/{0,1}.png, <root>/test/<class>/0.png (32×32 RGB). */
  async function tinyCifar10(root: string, splits: readonly ('train' | 'test')[] = ['train', 'test']): Promise<void> {
    for (const [k, name] of data.CIFAR10_CLASSES.entries()) {
      for (const split of splits) {
        await mkdir(join(root, split, name), { recursive: true });
        for (let n = 0; n < (split === 'train' ? 2 : 1); n++) await writeFile(join(root, split, name, `${n}.png`), picture(k % 3, 32, 32, 1000 + 10 * k + n));
      }
    }
  }
  const trainArgs = (out: string) => ['train', '--dataset', 'folder', '--root', join(dir, 'shapes'), '--steps', '2', '--batch-size', '4', '--out', out, '--no-progress', '--backend', backend, '--eval-extractor', 'cifar10-judge', ...small];

  it('needs CIFAR-10 only to train the judge: refused by --judge-data naming what is missing, then trained from --judge-data once, then used from the cache with no data', async () => {
    // Not cached, no --judge-data, the run's data is a folder, nothing in the dataset cache: refused, nothing written.
    const refused = join(dir, 'run-cifar-judge-refused');
    await expect(cli(trainArgs(refused))).rejects.toThrow(
      /^--judge-data: cifar10-judge is not in the cache yet \(.*cifar10-classifier-[0-9a-f]+\.safetensors\); it trains once .* so it needs CIFAR-10\. Expected CIFAR-10 in any form: .*; received none \(no --judge-data, no CIFAR-10 folder of the run or reference, and no archive in the dataset cache .*\)\n {2}- .*cifar-10-binary\.tar\.gz: missing/,
    );
    expect(existsSync(refused)).toBe(false);
    // --judge-data naming a half CIFAR-10 (test/ only): the message says which flag and exactly what is missing.
    const half = join(dir, 'cifar-half');
    await tinyCifar10(half, ['test']);
    await expect(cli([...trainArgs(refused), '--judge-data', half])).rejects.toThrow(new RegExp(`received ${half} \\(--judge-data\\)\\n  - ${join(half, 'train')}: not found$`));
    expect(existsSync(refused)).toBe(false);
    // evaluate --judge-data <CIFAR-10>: the judge trains on it once (here a tiny stand-in: the wiring, not the judge) and is cached.
    const cifar = join(dir, 'cifar-tiny');
    await tinyCifar10(cifar);
    const { out, err } = await cli(['evaluate', '--images', join(dir, 'shapes'), '--dataset', 'folder', '--root', join(dir, 'shapes'), '--extractor', 'cifar10-judge', '--judge-data', cifar, '--metrics', 'fid', '--backend', backend]);
    expect(err).toMatch(/judge classifier: training reacgan-cifar10-classifier on cifar10:train \(20 images/);
    expect(JSON.parse(out).protocol.extractor).toMatch(/^reacgan-cifar10-judge-/);
    // The bug this guards: train --eval-extractor cifar10-judge on a folder run, judge cached, no CIFAR-10 anywhere.
    const run = join(dir, 'run-cifar-judge');
    const trained = await cli(trainArgs(run));
    expect(trained.err).toMatch(/judge classifier: cached/);
    expect(trained.err).toMatch(/evaluation during training: reacgan-cifar10-judge-[0-9a-f]+ against folder:/);
    const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
    expect(config.evaluation).toMatchObject({ extractor: expect.stringMatching(/^reacgan-cifar10-judge-/), judgeData: null });
    // evaluate --run with the judge's extractor: no data either.
    const evaluated = JSON.parse((await cli(['evaluate', '--run', run, '--extractor', 'cifar10-judge', '--num-samples', '12', '--metrics', 'fid', '--backend', backend])).out);
    expect(Number.isFinite(evaluated.metrics.fid)).toBe(true);
  });
});

describe('refusals and messages', () => {
  it('a refused train leaves no run folder (ReACGAN-ADA.yaml, a config error); info warns about what train refuses', async () => {
    const ada = new URL('./__fixtures__/studiogan-v0.3.0/CIFAR10_ReACGAN-ADA.yaml', import.meta.url).pathname;
    const out = join(dir, 'refused');
    await expect(cli(['train', '--config', ada, '--dataset', 'mnist', '--out', out, '--no-progress', '--backend', backend])).rejects.toThrow(/not implemented by this trainer: aug\.applyAda/);
    expect(existsSync(out)).toBe(false);
    await expect(cli(['train', '--dataset', 'mnist', '--set', 'data.numClasses=5', '--steps', '1', '--out', out, '--no-progress', '--backend', backend])).rejects.toThrow(/data\.numClasses: expected 10/);
    expect(existsSync(out)).toBe(false);
    const { err } = await cli(['info', '--config', ada, '--json']);
    expect(err).toMatch(/warning: aug\.applyAda \(AUG\.apply_ada\): not implemented by this trainer; reacgan train refuses this configuration/);
  });

  it('a config file without a step budget or time cap gets a warning; --set takes StudioGAN spellings', async () => {
    const file = join(dir, 'budget.yaml');
    await writeFile(file, 'DATA:\n  name: "MNIST"\n  img_size: 32\n  num_classes: 10\n  img_channels: 1\n');
    const { out, err } = await cli(['info', '--config', file, '--set', 'LOSS.m_p=0.9', 'optimization.g_lr=0.5', '--json']);
    expect(err).toContain("sets neither a step budget (OPTIMIZATION.total_steps) nor a time cap (run.maxTrainSeconds): StudioGAN's default of 100,000 steps applies, with no time limit; pass --steps <n> or --max-seconds <s>");
    expect(JSON.parse(out).config.loss.mP).toBe(0.9);
    expect(JSON.parse(out).config.optimization.gLr).toBe(0.5);
    expect((await cli(['info', '--config', file, '--steps', '10', '--json'])).err).not.toContain('step budget');
    await expect(cli(['info', '--preset', 'mnist/reacgan', '--set', 'LOSS.m_p=2'])).rejects.toThrow(/loss\.mP \(--set LOSS\.m_p\): expected <= 1, received 2/);
  });

  it('train --config given a .pth checkpoint (a zip) or other binary file: the flag, a StudioGAN YAML expected, what the file is, no raw bytes', async () => {
    const pth = new URL('./__fixtures__/studiogan-pth/resnet-reacgan/model=G_ema-current-weights-step=1.pth', import.meta.url).pathname;
    const out = join(dir, 'pth-config');
    const error = await cli(['train', '--config', pth, '--dataset', 'mnist', '--out', out, '--no-progress', '--backend', backend]).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^--config .*step=1\.pth: expected a StudioGAN YAML config \(e\.g\. src\/configs\/CIFAR10\/ReACGAN\.yaml\), received a zip archive \(\d+ bytes; a PyTorch \.pth checkpoint is one\); to use a StudioGAN \.pth checkpoint, import it with `reacgan import-studiogan --checkpoint/,
    );
    expect((error as Error).message).not.toContain('PK\u0003\u0004');
    expect(existsSync(out)).toBe(false);
    const binary = join(dir, 'weights.bin');
    await writeFile(binary, Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x10]));
    await expect(cli(['info', '--config', binary])).rejects.toThrow(/^--config .*weights\.bin: expected a StudioGAN YAML config .*, received a 5-byte file starting with bytes 00 01 fe ff/);
  });

  it('contradictory options are refused by name before anything is written; run.evalEvery=0 says what it means', async () => {
    const out = join(dir, 'conflicts');
    const shapes = ['train', '--dataset', 'folder', '--root', join(dir, 'shapes'), '--steps', '1', '--batch-size', '4', '--out', out, '--no-progress', '--backend', backend];
    await expect(cli([...shapes, '--no-judge', '--eval-extractor', 'mnist-judge', '--eval-split', 'train'])).rejects.toThrow(
      /^--no-judge: no evaluations during training, so expected none of the evaluation flags, received --eval-extractor mnist-judge, --eval-split train; drop --no-judge/,
    );
    await expect(cli(['train', '--dataset', 'mnist', '--judge-data', join(dir, 'cifar'), '--steps', '1', '--out', out, '--no-progress', '--backend', backend])).rejects.toThrow(
      new RegExp(`^--judge-data: CIFAR-10 to train the cifar10-judge, so expected only with that extractor; received ${join(dir, 'cifar')} while the evaluation extractor is mnist-judge \\(the default for mnist\\)`),
    );
    await expect(cli([...shapes, '--eval-extractor', 'mnist-judge', '--judge-data', join(dir, 'cifar')])).rejects.toThrow(/while the evaluation extractor is mnist-judge \(--eval-extractor\)/);
    await expect(cli(['evaluate', '--images', join(dir, 'shapes'), '--dataset', 'folder', '--root', join(dir, 'shapes'), '--extractor', 'mnist-judge', '--judge-data', join(dir, 'cifar')])).rejects.toThrow(/^--judge-data: .*extractor is mnist-judge \(--extractor\)/);
    // train's flag is --eval-extractor, and its messages say so.
    await expect(cli([...shapes, '--eval-extractor', 'inception-v3-fid'])).rejects.toThrow(/^--eval-extractor inception-v3-fid needs pytorch-fid's weights file/);
    expect(existsSync(out)).toBe(false);
    // --num-samples: one message for every refused value.
    for (const value of ['-3', '0', '1', '2.5']) {
      await expect(cli(['evaluate', '--run', join(dir, 'none'), '--num-samples', value])).rejects.toThrow(`--num-samples: expected an integer ≥ 2, received '${value}'`);
    }
    const { err } = await cli([...shapes, '--eval-extractor', 'mnist-judge', '--set', 'run.evalEvery=0', 'run.evalNumSamples=12', 'model.gConvDim=2', 'model.dConvDim=2']);
    expect(err).toContain('run.evalEvery 0: no evaluations during training (and no checkpoints/best.safetensors); only the final evaluation with reacgan-mnist-judge-');
    expect(existsSync(join(out, 'checkpoints', 'best.safetensors'))).toBe(false);
  });

  it('train --backend wasm is refused up front, with the reason', async () => {
    const out = join(dir, 'wasm');
    await expect(cli(['train', '--backend', 'wasm', '--out', out])).rejects.toThrow(/--backend wasm: TensorFlow\.js's wasm backend cannot train convolutional GANs \(it has no Conv2DBackpropFilter kernel/);
    expect(existsSync(out)).toBe(false);
  });

  it('batch size 1 with D2D-CE warns: the term is exactly 0', async () => {
    const out = join(dir, 'batch1');
    const { err } = await cli(['train', '--dataset', 'folder', '--root', join(dir, 'shapes'), '--steps', '2', '--batch-size', '1', '--out', out, '--no-progress', '--no-judge', '--backend', backend, ...small]);
    expect(err).toContain("warning: optimization.batchSize 1 with model.dCondMtd 'D2DCE': the D2D-CE loss contrasts each sample with the other samples of its batch, and with none it is exactly 0");
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    for (const l of lines.filter((l) => l.kind === 'train')) {
      expect(l.values['d/cond']).toBe(0);
      expect(l.values['g/cond']).toBe(0);
    }
  });

  it('the non-finite stop names a checkpoint only when it exists and loads', async () => {
    const nanAt = (step: number) => {
      const flush = Trainer.prototype.flush;
      return vi.spyOn(Trainer.prototype, 'flush').mockImplementation(async function (this: Trainer) {
        const records = await flush.call(this);
        if (this.step === step) throw new NonFiniteLossError(step, 'd/adv', Number.NaN, records.slice(0, -1));
        return records;
      });
    };
    const args = (out: string, extra: string[] = []) => ['train', '--dataset', 'folder', '--root', join(dir, 'shapes'), '--steps', '4', '--batch-size', '4', '--out', out, '--no-progress', '--no-judge', '--backend', backend, ...small, ...extra];
    const messages: string[] = [];
    for (const [name, step, corrupt] of [['nan-early', 1, false], ['nan-good', 3, false], ['nan-corrupt', 3, true]] as const) {
      const out = join(dir, name);
      nanAt(step);
      if (corrupt) {
        // The checkpoint of step 2 gets damaged on disk before the failure at step 3.
        const trainStep = Trainer.prototype.trainStep;
        vi.spyOn(Trainer.prototype, 'trainStep').mockImplementation(async function (this: Trainer) {
          if (this.step === 2) await writeFile(join(out, 'checkpoints', 'last.safetensors'), 'truncated');
          await trainStep.call(this);
        });
      }
      try {
        messages.push((await cli(args(out))).err);
        expect(process.exitCode).toBe(2);
      } finally {
        vi.restoreAllMocks();
        process.exitCode = undefined;
      }
    }
    expect(messages[0]).toMatch(/step 1: discriminator loss term 'adv' is NaN; training stopped\. No checkpoint was written before it \(checkpoints are written every run\.saveEvery = 2 steps\), so there is nothing to resume from\./);
    expect(messages[1]).toMatch(/step 3: discriminator loss term 'adv' is NaN; training stopped\. The last good checkpoint is .*nan-good\/checkpoints\/last\.safetensors \(step 2\); resume from it with reacgan train --resume/);
    expect(messages[2]).toMatch(/nan-corrupt\/checkpoints\/last\.safetensors does not load \(.*\), so there is no good checkpoint to resume from\./);
  });
});

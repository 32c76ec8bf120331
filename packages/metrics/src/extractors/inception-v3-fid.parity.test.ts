// PyTorch parity of the inception-v3-fid extractor and the .pth reader on a full-size network.
// scripts/make_inception_parity.py builds the FID InceptionV3 in PyTorch from its published
// structure with seeded random weights, saves the state_dict with torch.save (zip format, ~95 MB, into
// the git-ignored packages/metrics/.cache/, regenerated only when the script or seed changes) and
// records pool features and logits; here the same file goes through our reader and tfjs network.
// Needs the Python reference environment (`pnpm test` creates it; REACGAN_SKIP_PYTHON_PARITY=1 skips).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadFixture, loadNativeBackend, nativeInstalled, repositoryRoot } from '@reacgan/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInceptionV3FidExtractor } from './inception-v3-fid.js';
import { quantizeTensor } from './preprocess.js';
import type { FeatureExtractor } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '../..');
const outDir = path.join(packageRoot, '.cache', 'inception-parity-seed0');
const python = process.env.REACGAN_PYTHON_REFERENCE ?? path.join(repositoryRoot, '.venv-reference', 'bin', 'python');
const skip = process.env.REACGAN_SKIP_PYTHON_PARITY === '1';

interface ParityFixture {
  cases: {
    name: string;
    shape: [number, number, number, number];
    /** First 8 values of image 0 from PyTorch's float64 evaluation (CPU-independent up to ~1e-12). */
    pool64_head: number[];
    logits64_head: number[];
    /** max |PyTorch float32 − float64| measured once when the fixture was made: this network's float32 floor. */
    torch32_vs_64_pool: number;
    torch32_vs_64_logits: number;
  }[];
}

// Error model. Weights and inputs are computed in float64 and rounded once to float32 by the script, so
// they are the same on any x86-64 machine; PyTorch's float64 evaluation of them differs between CPUs only
// by summation order (relative ~1e-13), so the regenerated float64 heads must equal the committed ones to
// DRIFT_ATOL (a changed seed, shape or layer moves them by ≥ 1e-2). Any float32 evaluation of this
// 94-layer network is off the float64 one by its accumulation error; the floor was measured once for
// PyTorch (torch32_vs_64_*, committed). Ours is another float32 evaluation with other kernels and
// summation orders, so we require |ours − torch64| ≤ FLOOR_FACTOR × floor + FLOOR_ATOL; a wrong pooling,
// padding or resize moves features by ≥ 1e-2. We never compare two machines' float32 results: PyTorch's
// own float32 output depends on the CPU's kernels (3–4e-5 between two machines of this project's kind).
const DRIFT_ATOL = 1e-6;
const FLOOR_FACTOR = 3;
const FLOOR_ATOL = 5e-5;
const fixture = loadFixture<ParityFixture>(import.meta.url, '__fixtures__/inception-parity-seed0.json');

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(path.join(outDir, file));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(skip)('inception-v3-fid: parity with a PyTorch build of the same architecture', () => {
  let extractor: FeatureExtractor;
  let backendBefore: string;

  beforeAll(async () => {
    if (!fs.existsSync(python) && !fs.existsSync(path.join(outDir, 'manifest.json'))) {
      throw new Error(`Python reference environment not found at ${python}: run scripts/setup-python-reference.sh (pnpm test does), or set REACGAN_SKIP_PYTHON_PARITY=1`);
    }
    const script = path.join(packageRoot, 'scripts', 'make_inception_parity.py');
    const scriptHash = createHash('sha256').update(fs.readFileSync(script)).digest('hex');
    const manifestFile = path.join(outDir, 'manifest.json');
    const upToDate =
      fs.existsSync(manifestFile) &&
      fs.existsSync(path.join(outDir, 'weights.pth')) &&
      (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { script_sha256?: string; seed?: number }).script_sha256 === scriptHash;
    // Regenerate (~30 s of PyTorch on a quiet machine; over 300 s was seen under a load average of 30) only when
    // the script changed or the cache is empty. The time limit only guards against a hang.
    if (!upToDate) execFileSync(python, [script, outDir, '--seed', '0'], { stdio: 'pipe', timeout: 1_200_000 });
    backendBefore = tf.getBackend();
    if (await loadNativeBackend()) await tf.setBackend('tensorflow');
    extractor = await createInceptionV3FidExtractor({ weights: fs.readFileSync(path.join(outDir, 'weights.pth')), verifyHash: false, batchSize: 2 });
  }, 1_500_000);

  afterAll(async () => {
    extractor?.dispose();
    await tf.setBackend(backendBefore ?? 'cpu');
  });

  // The full network on the pure-JS cpu backend is slow: without the native backend only one case runs.
  for (const c of nativeInstalled() ? fixture.cases : fixture.cases.slice(1, 2)) {
    it(`${c.name}: pool features and logits match PyTorch's float64 evaluation within the float32 error floor`, async () => {
      const [n, h, w, ch] = c.shape;
      const images = tf.tensor4d(readF32(`${c.name}.input.f32`), [n, h, w, ch]);
      const before = tf.memory().numTensors;
      const out = await extractor.extract(images, { range: [-1, 1] });
      expect(tf.memory().numTensors).toBe(before);
      images.dispose();
      const pool = readF32(`${c.name}.pool.f32`);
      const logits = readF32(`${c.name}.logits.f32`);
      expect(out.dim).toBe(2048);
      expect(out.logitsDim).toBe(1008);
      const pool64 = readF32(`${c.name}.pool64.f32`);
      const logits64 = readF32(`${c.name}.logits64.f32`);
      // The regenerated float64 reference is the committed one (the generator did not drift).
      expect(Array.from(pool64.slice(0, 8))).toBeAllclose(c.pool64_head, { atol: DRIFT_ATOL, rtol: 0 });
      expect(Array.from(logits64.slice(0, 8))).toBeAllclose(c.logits64_head, { atol: DRIFT_ATOL, rtol: 0 });
      const dPool = maxAbsDiff(out.features, pool);
      const dLogits = maxAbsDiff(out.logits!, logits);
      const dPool64 = maxAbsDiff(out.features, pool64);
      const dLogits64 = maxAbsDiff(out.logits!, logits64);
      console.log(
        `[parity ${c.name} on ${tf.getBackend()}] max |ours − torch64|: pool ${dPool64.toExponential(2)}, logits ${dLogits64.toExponential(2)} ` +
          `(bound ${(FLOOR_FACTOR * c.torch32_vs_64_pool + FLOOR_ATOL).toExponential(2)}, ${(FLOOR_FACTOR * c.torch32_vs_64_logits + FLOOR_ATOL).toExponential(2)}); ` +
          `max |ours − this machine's torch32| (not asserted): pool ${dPool.toExponential(2)}, logits ${dLogits.toExponential(2)}; ` +
          `max |torch32 − torch64| here: pool ${maxAbsDiff(pool, pool64).toExponential(2)} (committed floor ${c.torch32_vs_64_pool.toExponential(2)})`,
      );
      expect(dPool64).toBeLessThan(FLOOR_FACTOR * c.torch32_vs_64_pool + FLOOR_ATOL);
      expect(dLogits64).toBeLessThan(FLOOR_FACTOR * c.torch32_vs_64_logits + FLOOR_ATOL);
      if (c.name === 'up32') {
        // Sensitivity: the same images quantised to 8 bits (inputs move by ≤ 1/255) are far outside the
        // tolerance, so the comparison above would catch any real difference in the pipeline.
        const quantised = tf.tidy(() => quantizeTensor(tf.tensor4d(readF32(`${c.name}.input.f32`), [n, h, w, ch]))) as tf.Tensor4D;
        const q = await extractor.extract(quantised, { range: [0, 255] });
        quantised.dispose();
        const dq = maxAbsDiff(q.features, pool64);
        console.log(`[parity ${c.name}] sensitivity: 8-bit quantised input moves pool features by ${dq.toExponential(2)}`);
        expect(dq).toBeGreaterThan(10 * (FLOOR_FACTOR * c.torch32_vs_64_pool + FLOOR_ATOL));
      }
      expect(out.protocol).toMatchObject({ extractor: 'inception-v3-fid', inputSize: [299, 299], resize: 'bilinear', quantize: 'none', inputRange: [-1, 1] });
    });
  }
});

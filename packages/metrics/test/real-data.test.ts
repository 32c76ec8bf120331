// The metrics on real images: MNIST test digits against other MNIST digits and against
// Fashion-MNIST (the test sets in the shared data folder), in the feature space of a fixed random
// convolutional network. A sample of the same distribution must score far better than another dataset.
// The files are never committed: they come from $REACGAN_TEST_DATA_DIR or <repo>/../shared/data, and the
// suite is skipped, saying so in its title and on the console, where they are absent (a fresh clone).
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { sharedDataset } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import {
  featureExtractorFromModel,
  featuresToStatistics,
  frechetInceptionDistance,
  kernelInceptionDistance,
  precisionRecallDensityCoverage,
} from '../src/index.js';

const mnist = sharedDataset('mnist');
const fashion = sharedDataset('fashion-mnist');
const mnistFile = path.join(mnist.path, 't10k-images-idx3-ubyte.gz');
const fashionFile = path.join(fashion.path, 't10k-images-idx3-ubyte.gz');

/** `count` images from `start` of a gzipped IDX3 file as a [count, 28, 28, 1] tensor in [0, 255]. */
function readIdxImages(file: string, start: number, count: number): tf.Tensor4D {
  const bytes = gunzipSync(fs.readFileSync(file));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(view.getUint32(0)).toBe(0x00000803);
  const [rows, cols] = [view.getUint32(8), view.getUint32(12)];
  const offset = 16 + start * rows * cols;
  return tf.tensor4d(Float32Array.from(bytes.subarray(offset, offset + count * rows * cols)), [count, rows, cols, 1]);
}

describe.skipIf(!fs.existsSync(mnistFile) || !fs.existsSync(fashionFile))(`metrics on MNIST vs Fashion-MNIST (real images)${mnist.skipNote}${fashion.skipNote}`, () => {
  it('FID, KID and PRDC rank another MNIST sample far closer than Fashion-MNIST', async () => {
    const filter = tf.randomNormal([5, 5, 1, 16], 0, 0.3, 'float32', 42) as tf.Tensor4D;
    // 16 channels × 2×2 average-pooled regions = 64-d features.
    const net = (x: tf.Tensor4D) => tf.reshape(tf.avgPool(tf.relu(tf.conv2d(x, filter, 2, 'same')), 7, 7, 'valid'), [x.shape[0], -1]);
    const extractor = featureExtractorFromModel(net, { name: 'random-conv-64', inputSize: 28, inputRange: [-1, 1], batchSize: 250 });
    const a = readIdxImages(mnistFile, 0, 800);
    const b = readIdxImages(mnistFile, 5000, 800);
    const f = readIdxImages(fashionFile, 0, 800);
    const fa = await extractor.extract(a, { range: [0, 255] });
    const fb = await extractor.extract(b, { range: [0, 255] });
    const ff = await extractor.extract(f, { range: [0, 255] });
    tf.dispose([a, b, f, filter]);
    expect(fa.dim).toBe(64);
    const [sa, sb, sf] = [fa, fb, ff].map((x) => featuresToStatistics(x));
    const fidSame = frechetInceptionDistance(sa, sb);
    const fidOther = frechetInceptionDistance(sa, sf);
    expect(fidSame).toBeGreaterThan(0);
    expect(fidSame).toBeLessThan(0.1 * fidOther);
    const kidSame = kernelInceptionDistance(fa, fb, { subsets: 5, subsetSize: 400 });
    const kidOther = kernelInceptionDistance(fa, ff, { subsets: 5, subsetSize: 400 });
    expect(kidSame.mean).toBeLessThan(0.1 * kidOther.mean);
    const same = precisionRecallDensityCoverage(fa, fb);
    const other = precisionRecallDensityCoverage(fa, ff);
    expect(same.precision).toBeGreaterThan(0.6);
    expect(same.recall).toBeGreaterThan(0.6);
    expect(same.coverage).toBeGreaterThan(0.6);
    expect(other.precision).toBeLessThan(0.5 * same.precision);
    expect(other.coverage).toBeLessThan(0.5 * same.coverage);
    const fmt = (r: { precision: number; recall: number; density: number; coverage: number }) =>
      [r.precision, r.recall, r.density, r.coverage].map((v) => v.toFixed(3)).join('/');
    console.log(
      `[real data] FID same ${fidSame.toFixed(3)} vs fashion ${fidOther.toFixed(3)}; KID ${kidSame.mean.toExponential(2)} vs ${kidOther.mean.toExponential(2)}; ` +
        `P/R/D/C same ${fmt(same)} vs fashion ${fmt(other)}`,
    );
  });
});

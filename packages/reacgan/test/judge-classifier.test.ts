// The judge classifiers (one code path, a definition per dataset). The full trainings are one-time runs whose
// test accuracies are reported in the docs (MNIST: docs/results-mnist.md; CIFAR-10: docs/results-paper-claims.md);
// here: the definitions, the layer parser, the input conversion and the training pipeline on a tiny set.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CIFAR10_JUDGE, initJudgeWeights, JUDGES, JudgeClassifier, judgeBatchFromUint8, judgeDefinitionHash, judgeInput, type LabeledImages, MNIST_JUDGE, parseJudgeLayers, trainJudgeClassifier } from '../src/eval/judge-classifier.js';

/**
 * `count` 32×32 RGB images of two kinds (+ noise): class 0 with a bright top half, class 1 with a bright bottom half
 * (invariant under the judge's horizontal flips and ±4 px shifts, unlike left/right halves).
 */
function twoKinds(count: number, seed: number): LabeledImages {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 2);
  const all: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const img = new Uint8Array(32 * 32 * 3);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) img[(y * 32 + x) * 3 + c] = Math.min(255, ((y < 16) !== (labels[i] === 1) ? 200 : 40) + Math.floor(rand() * 40));
    all.push(img);
  }
  return { count, labels, imageShape: [32, 32, 3], getImage: (k) => all[k] };
}

describe('judge classifiers', () => {
  it("the MNIST judge's definition hash is the one before CIFAR-10 had a judge (cached MNIST judges stay valid)", () => {
    expect(judgeDefinitionHash(MNIST_JUDGE)).toBe('1a5e24eb0e3d2ac6');
    expect(judgeDefinitionHash()).toBe('1a5e24eb0e3d2ac6');
    expect(judgeDefinitionHash(CIFAR10_JUDGE)).not.toBe(judgeDefinitionHash(MNIST_JUDGE));
    expect(judgeDefinitionHash({ ...CIFAR10_JUDGE, epochs: CIFAR10_JUDGE.epochs + 1 })).not.toBe(judgeDefinitionHash(CIFAR10_JUDGE));
    expect(Object.keys(JUDGES).sort()).toEqual(['cifar10', 'mnist']);
  });

  it('parses the CIFAR-10 definition: six conv + bn layers, 128 features, 10 classes; refuses malformed layers by name', () => {
    const parsed = parseJudgeLayers(CIFAR10_JUDGE);
    expect(parsed.featureDim).toBe(128);
    expect(parsed.numClasses).toBe(10);
    expect(parsed.layers.filter((l) => l.kind === 'conv')).toHaveLength(6);
    expect(parsed.layers.filter((l) => l.kind === 'bn')).toHaveLength(6);
    expect(parsed.parameters.find((p) => p.name === 'dense1')?.shape).toEqual([4 * 4 * 64, 128]);
    expect(() => parseJudgeLayers({ ...CIFAR10_JUDGE, layers: ['conv3x5s1-8', 'dense-10'] })).toThrow(/conv3x5s1-8/);
  });

  it('input conversion: colour to the judge, 3 → 1 channel by the mean for MNIST, sizes checked', () => {
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1) as tf.Tensor4D;
    expect(judgeInput(CIFAR10_JUDGE, x).shape).toEqual([2, 32, 32, 3]);
    const grey = judgeInput(MNIST_JUDGE, x);
    expect(grey.shape).toEqual([2, 32, 32, 1]);
    expect(grey).toBeAllclose(tf.mean(x, 3, true), { atol: 1e-6 });
    expect(() => judgeInput(CIFAR10_JUDGE, tf.zeros([1, 16, 16, 3]) as tf.Tensor4D)).toThrow(/expected 28×28 or 32×32, received shape \[1,16,16,3\]/);
    // One image with a bright left half: flipped, the bright half is on the right; shifted 4 px right, −1 fill on the left.
    const left = new Uint8Array(32 * 32 * 3).map((_, i) => (Math.floor(i / 3) % 32 < 16 ? 255 : 0));
    const data: LabeledImages = { count: 1, labels: [0], imageShape: [32, 32, 3], getImage: () => left };
    const batch = judgeBatchFromUint8(CIFAR10_JUDGE, data, [0, 0], { shifts: Int8Array.from([0, 0, 0, 4]), flips: Uint8Array.from([1, 0]) });
    const v = batch.arraySync() as number[][][][];
    expect(v[0][5][0]).toEqual([-1, -1, -1]);
    expect(v[0][5][31]).toEqual([1, 1, 1]);
    expect(v[1][5][0]).toEqual([-1, -1, -1]);
    expect(v[1][5][4]).toEqual([1, 1, 1]);
    expect(v[1][5][20]).toEqual([-1, -1, -1]);
    expect(() => judgeBatchFromUint8(MNIST_JUDGE, data, [0])).toThrow(/expected 1 channel\(s\), received imageShape \[32,32,3\]/);
    tf.dispose([x, grey, batch]);
  });

  it('the CIFAR-10 judge maps images to features [N, 128] and logits [N, 10] without leaking tensors', () => {
    // Warm-up (the backend's first use of some kernels keeps constants), then the leak check.
    const warm = new JudgeClassifier(CIFAR10_JUDGE, initJudgeWeights(CIFAR10_JUDGE), 0);
    tf.dispose(Object.values(warm.apply(tf.zeros([1, 32, 32, 3]) as tf.Tensor4D)));
    warm.dispose();
    const before = tf.memory().numTensors;
    const classifier = new JudgeClassifier(CIFAR10_JUDGE, initJudgeWeights(CIFAR10_JUDGE), 0);
    const x = judgeBatchFromUint8(CIFAR10_JUDGE, twoKinds(4, 4), [0, 1, 2, 3]);
    const out = classifier.apply(x);
    expect(out.features.shape).toEqual([4, 128]);
    expect(out.logits.shape).toEqual([4, 10]);
    tf.dispose([x, out.features, out.logits]);
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the training pipeline (batch norm, colour augmentation, schedule) learns a two-kind colour set with a narrow definition of the same form', async () => {
    const tiny = { ...CIFAR10_JUDGE, name: 'reacgan-test-judge', layers: ['conv3x3s1-8', 'bn', 'relu', 'maxpool2', 'maxpool2', 'maxpool2', 'dense-16', 'relu', 'dense-10'], batchSize: 32, epochs: 5 };
    // Warm-up (first use of the gradient kernels keeps backend constants), then the leak check around a full training.
    (await trainJudgeClassifier(tiny, twoKinds(32, 5), twoKinds(8, 6), { epochs: 1 })).dispose();
    const before = tf.memory().numTensors;
    const classifier = await trainJudgeClassifier(tiny, twoKinds(128, 2), twoKinds(64, 3));
    expect(classifier.testAccuracy).toBeGreaterThan(0.9);
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});

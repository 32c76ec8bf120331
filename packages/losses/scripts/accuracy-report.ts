// Accuracy report: how closely the float32 TF.js losses match the float64 golden fixture (values and
// gradients), per loss family and temperature, on every test backend. Prints a markdown table.
// Run: pnpm --filter @reacgan/losses accuracy   (vitest, so that tfjs-core's ESM gradients load)
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackends } from '@reacgan/testkit';
import { it } from 'vitest';
import * as losses from '../src/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const golden = JSON.parse(fs.readFileSync(new URL('../src/__fixtures__/golden.json', import.meta.url), 'utf8')) as any;

interface Entry {
  n: number;
  valueAbs: number;
  valueRel: number;
  gradRel: number;
}

describeBackends('accuracy against the float64 golden values', (backend) => {
  it('prints the table', () => {
    const rows = new Map<string, Entry>();
    const record = (key: string, got: ArrayLike<number>, want: number[], gradGot?: number[], gradWant?: number[]): void => {
      const e = rows.get(key) ?? { n: 0, valueAbs: 0, valueRel: 0, gradRel: 0 };
      Array.from(got).forEach((x, i) => {
        const abs = Math.abs(x - want[i]);
        e.valueAbs = Math.max(e.valueAbs, abs);
        e.valueRel = Math.max(e.valueRel, abs / Math.max(Math.abs(want[i]), 1e-6));
      });
      if (gradGot && gradWant) {
        const scale = Math.max(1e-12, ...gradWant.map(Math.abs));
        gradGot.forEach((x, i) => (e.gradRel = Math.max(e.gradRel, Math.abs(x - gradWant[i]) / scale)));
      }
      e.n += 1;
      rows.set(key, e);
    };
    const flat = (ts: tf.Tensor[]): number[] => ts.flatMap((t) => Array.from(t.dataSync()));

    for (const r of golden.d2dce) {
      const embed = tf.tensor2d(r.embed);
      const proxy = tf.tensor2d(r.proxy);
      const o = { temperature: r.temperature, positiveMargin: r.positiveMargin, negativeMargin: r.negativeMargin, variant: r.variant };
      const per = losses.data2DataCrossEntropyLoss({ embed, proxy, labels: r.labels }, { ...o, reduction: 'none' });
      const g = tf.grads((e: tf.Tensor, p: tf.Tensor) =>
        losses.data2DataCrossEntropyLoss({ embed: e as tf.Tensor2D, proxy: p as tf.Tensor2D, labels: r.labels }, o),
      )([embed, proxy]);
      record(`D2D-CE ${r.variant} tau=${r.temperature}`, per.dataSync(), r.perSample, flat(g), [...r.gradEmbed.flat(), ...r.gradProxy.flat()]);
      tf.dispose([embed, proxy, per, ...g]);
    }
    for (const r of golden.contrastive) {
      const embed = tf.tensor2d(r.embed);
      const proxy = tf.tensor2d(r.proxy);
      const o = { temperature: r.temperature };
      const per = losses.conditionalContrastiveLoss({ embed, proxy, labels: r.labels }, { ...o, reduction: 'none' });
      const g = tf.grads((e: tf.Tensor, p: tf.Tensor) =>
        losses.conditionalContrastiveLoss({ embed: e as tf.Tensor2D, proxy: p as tf.Tensor2D, labels: r.labels }, o),
      )([embed, proxy]);
      const want = r.gradEmbed ? [...r.gradEmbed.flat(), ...r.gradProxy.flat()] : undefined;
      record(`2C tau=${r.temperature}`, per.dataSync(), r.perSample, want ? flat(g) : undefined, want);
      tf.dispose([embed, proxy, per, ...g]);
    }
    for (const [key, fn, list] of [
      ['cross-entropy', losses.crossEntropyLoss, golden.crossEntropy],
      ['multi-hinge', losses.crammerSingerLoss, golden.crammerSinger],
    ] as const) {
      for (const r of list) {
        const logits = tf.tensor2d(r.logits);
        const per = fn(logits, r.labels, { reduction: 'none' });
        const g = tf.grad((x: tf.Tensor) => fn(x as tf.Tensor2D, r.labels))(logits);
        record(key, per.dataSync(), r.perSample, flat([g]), r.gradLogits.flat());
        tf.dispose([logits, per, g]);
      }
    }
    for (const r of golden.adversarial) {
      const { discriminator, generator } = losses.adversarialLoss(r.loss);
      const real = tf.tensor1d(r.real);
      const fake = tf.tensor1d(r.fake);
      const d = discriminator(real, fake);
      const gl = generator(fake);
      const dg = tf.grads((a: tf.Tensor, b: tf.Tensor) => discriminator(a, b))([real, fake]);
      const gg = tf.grad((b: tf.Tensor) => generator(b))(fake);
      record(
        `adversarial ${r.loss}`,
        [d.dataSync()[0], gl.dataSync()[0]],
        [r.discriminator, r.generator],
        flat([...dg, gg]),
        [...r.gradDiscriminatorReal, ...r.gradDiscriminatorFake, ...r.gradGeneratorFake],
      );
      tf.dispose([real, fake, d, gl, ...dg, gg]);
    }

    const lines = [
      `backend: ${backend}`,
      '| loss | cases | max abs err (values) | max rel err (values, vs max(|v|, 1e-6)) | max |grad err| / max |grad| |',
      '|---|---|---|---|---|',
      ...[...rows].map(([k, e]) => `| ${k} | ${e.n} | ${e.valueAbs.toExponential(2)} | ${e.valueRel.toExponential(2)} | ${e.gradRel.toExponential(2)} |`),
    ];
    console.log(lines.join('\n'));
  });
});

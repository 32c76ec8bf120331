import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoTensorLeak } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import type { DiscriminatorConditioning, ModelConfigInput, ModelDataOptions } from './config.js';
import { createDiscriminator, createGenerator } from './create.js';
import { forwardContext } from './layers/context.js';
import type { Discriminator, Generator } from './networks.js';

/** Tiny configurations: 8–32 px, conv dims 4–8, 2–4 classes. */
function tiny(backbone: 'deep_conv' | 'resnet' | 'big_resnet', dCondMtd: DiscriminatorConditioning = 'D2DCE', extra: ModelConfigInput = {}): {
  config: ModelConfigInput;
  data: ModelDataOptions;
} {
  const embed = dCondMtd === '2C' || dCondMtd === 'D2DCE';
  return {
    config: {
      backbone,
      gCondMtd: 'cBN',
      dCondMtd,
      dEmbedDim: embed ? 8 : 'N/A',
      normalizeDEmbed: embed,
      zDim: 12,
      gSharedDim: backbone === 'big_resnet' ? 8 : 'N/A',
      gConvDim: backbone === 'deep_conv' ? 4 : 8,
      dConvDim: backbone === 'deep_conv' ? 4 : 8,
      applyGSn: true,
      applyDSn: true,
      ...extra,
    },
    data: { imgSize: backbone === 'deep_conv' ? 32 : 16, imgChannels: 3, numClasses: 3, seed: 7 },
  };
}

const HEADS: DiscriminatorConditioning[] = ['W/O', 'AC', 'PD', 'MH', 'MD', '2C', 'D2DCE'];

function inputs(n: number, zDim: number, numClasses: number, seed = 1) {
  const z = tf.randomNormal([n, zDim], 0, 1, 'float32', seed) as tf.Tensor2D;
  const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => i % numClasses), 'int32');
  return { z, labels };
}

function allState(module: Generator | Discriminator): number[][] {
  return [...module.stateDict().values()].map((v) => Array.from(v.dataSync()));
}

describe('networks: shapes, heads, ranges (cpu)', () => {
  for (const backbone of ['deep_conv', 'resnet', 'big_resnet'] as const) {
    it(`${backbone}: every head gives StudioGAN's outputs with the right shapes`, () => {
      for (const head of HEADS) {
        const { config, data } = tiny(backbone, head);
        const G = createGenerator(config, data);
        const D = createDiscriminator(config, data);
        const { z, labels } = inputs(4, 12, 3);
        const x = G.apply(z, labels, { training: false });
        const s = data.imgSize;
        expect(x.shape).toEqual([4, s, s, 3]);
        expect(x.dtype).toBe('float32');
        const values = x.dataSync();
        expect(values.every((v) => v >= -1 && v <= 1)).toBe(true);
        const out = D.apply(x, labels, { training: false });
        expect(out.h.shape).toEqual([4, D.featureDim]);
        if (head === 'MH') {
          expect(out.advOutput.shape).toEqual([4, 4]);
          expect(out.clsOutput).toBe(out.advOutput);
        } else {
          expect(out.advOutput.shape).toEqual([4]);
        }
        expect(out.clsOutput?.shape).toEqual(head === 'AC' ? [4, 3] : head === 'MH' ? [4, 4] : undefined);
        const embed = head === '2C' || head === 'D2DCE';
        expect(out.embed?.shape).toEqual(embed ? [4, 8] : undefined);
        expect(out.proxy?.shape).toEqual(embed ? [4, 8] : undefined);
        if (embed) {
          // normalizeDEmbed: unit rows.
          const norms = tf.tidy(() => tf.norm(out.embed!, 'euclidean', 1));
          expect(norms).toBeAllclose([1, 1, 1, 1], { atol: 1e-5 });
          norms.dispose();
        }
        const headVariables = D.conditioningHeadVariables();
        expect(headVariables.length).toBe(head === 'W/O' ? 0 : head === 'AC' ? 1 : head === 'PD' ? 1 : 2);
        tf.dispose([z, labels, x, out as unknown as tf.Tensor[]]);
        G.dispose();
        D.dispose();
      }
    });
  }

  it('resnet and big_resnet at 8 px, 1 image channel, unconditional G and W/O D', () => {
    for (const backbone of ['resnet', 'big_resnet'] as const) {
      const { config } = tiny(backbone, 'W/O', { gCondMtd: 'W/O', applyAttn: true, attnGLoc: [1], attnDLoc: [1], zDim: 8 });
      const data = { imgSize: 8, imgChannels: 1, numClasses: 2, seed: 3 };
      const G = createGenerator(config, data);
      const D = createDiscriminator(config, data);
      const { z, labels } = inputs(2, 8, 2);
      const x = G.apply(z, labels, { training: true });
      expect(x.shape).toEqual([2, 8, 8, 1]);
      const out = D.apply(x, labels, { training: true });
      expect(out.advOutput.shape).toEqual([2]);
      tf.dispose([z, labels, x, out as unknown as tf.Tensor[]]);
      G.dispose();
      D.dispose();
    }
  });

  it('the same seed gives the same weights; another seed other weights', () => {
    const { config, data } = tiny('big_resnet');
    const a = createGenerator(config, data);
    const b = createGenerator(config, data);
    const c = createGenerator(config, { ...data, seed: 8 });
    expect(allState(a)).toEqual(allState(b));
    expect(allState(a)).not.toEqual(allState(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('bad inputs fail with errors that name the argument', () => {
    const { config, data } = tiny('resnet');
    const G = createGenerator(config, data);
    const D = createDiscriminator(config, data);
    const z = tf.zeros([2, 5]) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1], 'int32');
    expect(() => G.apply(z, labels, { training: false })).toThrow(/z must have shape \[N, 12\], received \[2, 5\]/);
    const z12 = tf.zeros([2, 12]) as tf.Tensor2D;
    expect(() => G.apply(z12, tf.tensor1d([0, 1]), { training: false })).toThrow(/labels must be int32, received float32/);
    expect(() => G.apply(z12, tf.tensor1d([0], 'int32'), { training: false })).toThrow(/labels must have shape \[2\]/);
    expect(() => G.apply(z12, labels, {} as never)).toThrow(/options.training must be a boolean/);
    expect(() => D.apply(tf.zeros([2, 16, 16, 1]) as tf.Tensor4D, labels, { training: false })).toThrow(/x must be NHWC \[N, 16, 16, 3\], received \[2, 16, 16, 1\]/);
    expect(() => createGenerator({ ...config, backbone: 'big_resnet', gSharedDim: 8, zDim: 10 }, data)).toThrow(/zDim must be divisible by 3/);
    expect(() => createGenerator(config, { ...data, imgSize: 24 })).toThrow(/imgSize must be one of/);
    expect(() => createGenerator({ ...config, backbone: 'deep_conv' }, data)).toThrow(/deep_conv backbone supports imgSize 32 only/);
    tf.dispose([z, z12, labels]);
    G.dispose();
    D.dispose();
  });
});

describeBackends('networks: state changes and memory', () => {
  it('evaluation changes no state; training updates SN vectors; updateStatistics: false freezes BN only', () => {
    const { config, data } = tiny('big_resnet', 'D2DCE', { applyAttn: true, attnGLoc: [1], attnDLoc: [1] });
    const G = createGenerator(config, data);
    const { z, labels } = inputs(4, 12, 3);
    const before = allState(G);
    tf.dispose(G.apply(z, labels, { training: false }));
    tf.dispose(G.apply(z, labels, { training: false, batchNormStatistics: 'batch' }));
    expect(allState(G)).toEqual(before);
    const names = [...G.stateDict().keys()];
    const changed = (a: number[][], b: number[][]) => names.filter((_, i) => a[i].some((v, j) => v !== b[i][j]));
    tf.dispose(G.apply(z, labels, { training: true, updateStatistics: false }));
    const afterFrozen = allState(G);
    const frozen = changed(before, afterFrozen);
    expect(frozen.length).toBeGreaterThan(0);
    expect(frozen.every((n) => n.endsWith('weight_u') || n.endsWith('weight_v'))).toBe(true);
    tf.dispose(G.apply(z, labels, { training: true }));
    const trained = changed(afterFrozen, allState(G));
    expect(trained.some((n) => n.endsWith('running_mean'))).toBe(true);
    expect(trained.some((n) => n.endsWith('num_batches_tracked'))).toBe(true);
    expect(trained.some((n) => !/weight_[uv]|running_|num_batches/.test(n))).toBe(false);
    tf.dispose([z, labels]);
    G.dispose();
  });

  it('apply leaks nothing and disposing a model frees all its variables', async () => {
    const before = tf.memory().numTensors;
    const { config, data } = tiny('deep_conv', 'PD', { applyDSn: false, applyGSn: false, applyAttn: true, attnGLoc: [2], attnDLoc: [2] });
    const G = createGenerator(config, data);
    const D = createDiscriminator(config, data);
    const { z, labels } = inputs(2, 12, 3);
    await expectNoTensorLeak(() => G.apply(z, labels, { training: true }));
    await expectNoTensorLeak(() => G.apply(z, labels, { training: false }));
    const x = G.apply(z, labels, { training: false });
    await expectNoTensorLeak(() => D.apply(x, labels, { training: true }));
    await expectNoTensorLeak(() => D.apply(x, labels, { training: false }));
    x.dispose();
    tf.dispose([z, labels]);
    G.dispose();
    D.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeBackends('ADC and TAC heads: int32 labels for every head combination', () => {
  for (const head of ['AC', '2C', 'D2DCE'] as const) {
    it(`${head} + ADC: labels 2y (reals) and 2y + 1 (fakes) stay int32; proxies and class logits use them`, () => {
      const { config, data } = tiny('resnet', head, { auxClsType: 'ADC' });
      const D = createDiscriminator(config, data);
      const x = tf.randomUniform([4, 16, 16, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
      const y = tf.tensor1d([0, 1, 2, 1], 'int32');
      for (const adcFake of [false, true]) {
        const out = D.apply(x, y, { training: false, adcFake });
        expect(out.label!.dtype).toBe('int32');
        expect(Array.from(out.label!.dataSync())).toEqual([0, 1, 2, 1].map((v) => 2 * v + (adcFake ? 1 : 0)));
        if (head === 'AC') expect(out.clsOutput!.shape).toEqual([4, 6]);
        else {
          const rows = tf.tidy(() => D.embedding!.apply(out.label!, forwardContext({ training: false })));
          const norm = tf.tidy(() => tf.div(rows, tf.norm(rows, 'euclidean', 1, true)));
          expect(out.proxy!).toBeAllclose(norm, { atol: 1e-6 });
          tf.dispose([rows, norm]);
        }
        tf.dispose(out);
      }
      D.dispose();
      tf.dispose([x, y]);
    });

    it(`${head} + TAC: the twin head's outputs exist with the main head's shapes`, () => {
      const { config, data } = tiny('resnet', head, { auxClsType: 'TAC' });
      const D = createDiscriminator(config, data);
      const x = tf.randomUniform([4, 16, 16, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
      const y = tf.tensor1d([0, 1, 2, 1], 'int32');
      const out = D.apply(x, y, { training: true });
      if (head === 'AC') expect(out.miClsOutput!.shape).toEqual(out.clsOutput!.shape);
      else {
        expect(out.miEmbed!.shape).toEqual(out.embed!.shape);
        expect(out.miProxy!.shape).toEqual(out.proxy!.shape);
      }
      tf.dispose(out);
      D.dispose();
      tf.dispose([x, y]);
    });
  }
});

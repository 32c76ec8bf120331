import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackends } from '@reacgan/testkit';
import { expect, it } from 'vitest';
import type { ModelConfigInput, ModelDataOptions } from './config.js';
import { createDiscriminator, createGenerator } from './create.js';
import type { TensorData } from './module.js';
import { decodeSafetensors } from './safetensors.js';
import { fromStudioganStateDict, studioganKeyMap, toStudioganLayout } from './studiogan-map.js';

// Golden forward passes of tiny seeded models from the PyTorch transcription
// (scripts/studiogan_reference.py): weights in PyTorch layout, inputs, outputs in eval and
// train mode, and the buffers after the train-mode pass. They cover what StudioGAN's own code cannot
// produce or its fixtures do not (8 / 16 px, one image channel, the MH / MD / TAC / ADC heads, ELU /
// GELU / Leaky_ReLU, an unconditional G); the transcription itself is pinned to StudioGAN's code by
// transcription.test.ts, and StudioGAN's own fixtures are checked in studiogan-parity.test.ts.
const FIXTURES = [
  'deep_conv-d2dce',
  'deep_conv-pd-nosn',
  'resnet-ac-nosn',
  'resnet-md-unconditional-g',
  'resnet-ac-adc',
  'big_resnet-d2dce',
  'big_resnet-2c-tac-adc',
  'big_resnet-mh',
];

function load(name: string) {
  const bytes = fs.readFileSync(new URL(`./__fixtures__/parity-${name}.safetensors`, import.meta.url));
  const { tensors, metadata } = decodeSafetensors(bytes);
  const pick = (prefix: string) =>
    new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v] as [string, TensorData]));
  return {
    config: JSON.parse(metadata.config) as ModelConfigInput,
    data: JSON.parse(metadata.data) as ModelDataOptions,
    get: (key: string) => tensors.get(key)!,
    pick,
  };
}

const tensorOf = (t: TensorData) => tf.tensor(t.data, t.shape, t.dtype);

describeBackends('forward parity with the PyTorch transcription', (backend) => {
  for (const name of FIXTURES) {
    it(`${name}: eval and train outputs, SN vectors and BN statistics match PyTorch`, () => {
      const f = load(name);
      const G = createGenerator(f.config, { ...f.data, initialize: false });
      const D = createDiscriminator(f.config, { ...f.data, initialize: false });
      G.loadStateDict(fromStudioganStateDict(G, f.pick('G.')));
      D.loadStateDict(fromStudioganStateDict(D, f.pick('D.')));
      const z = tensorOf(f.get('input.z')) as tf.Tensor2D;
      const labels = tensorOf(f.get('input.labels')) as tf.Tensor1D;
      const x = tensorOf(f.get('input.x')) as tf.Tensor4D;
      const tol = { rtol: 2e-4, atol: backend === 'cpu' ? 2e-5 : 5e-5 };
      for (const mode of ['eval', 'train'] as const) {
        const training = mode === 'train';
        const images = G.apply(z, labels, { training });
        expect(images, `${mode} G`).toBeAllclose(f.get(`${mode}.G`).data, tol);
        const out = D.apply(x, labels, { training });
        for (const key of ['h', 'advOutput', 'embed', 'proxy', 'clsOutput', 'label', 'miEmbed', 'miProxy', 'miClsOutput'] as const) {
          const expected = f.pick(`${mode}.D.`).get(key);
          if (!expected) {
            expect(out[key], `${mode} D ${key} absent`).toBeUndefined();
            continue;
          }
          expect(out[key]!.shape, `${mode} D ${key} shape`).toEqual(expected.shape);
          expect(out[key], `${mode} D ${key}`).toBeAllclose(expected.data, tol);
        }
        tf.dispose([images, out as unknown as tf.Tensor[]]);
      }
      for (const [prefix, module] of [['after.G.', G], ['after.D.', D]] as const) {
        const expected = f.pick(prefix);
        const state = module.stateDict();
        for (const mapping of studioganKeyMap(module)) {
          const want = expected.get(mapping.studioganName);
          if (!want) continue;
          const ours = toStudioganLayout(mapping, state.get(mapping.name)!);
          expect(ours.data, `${prefix}${mapping.name}`).toBeAllclose(want.data, { rtol: 1e-4, atol: 1e-5 });
        }
      }
      tf.dispose([z, labels, x]);
      G.dispose();
      D.dispose();
    });
  }
});

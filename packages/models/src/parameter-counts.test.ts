import { loadFixture } from '@reacgan/testkit';
import { describe, expect, it } from 'vitest';
import type { ModelConfigInput, ModelDataOptions } from './config.js';
import { createDiscriminator, createGenerator } from './create.js';
import type { Module } from './module.js';
import { studioganKeyMap } from './studiogan-map.js';

interface PresetFixture {
  name: string;
  config: ModelConfigInput;
  data: ModelDataOptions;
  generator: number;
  discriminator: number;
  generatorStateDict: [string, number[]][];
  discriminatorStateDict: [string, number[]][];
}
interface GridFixture {
  backbone: string;
  dCondMtd: string;
  config: ModelConfigInput;
  data: ModelDataOptions;
  generator: number;
  discriminator: number;
}
const fixture = loadFixture<{ presets: PresetFixture[]; grid: GridFixture[] }>(import.meta.url, '__fixtures__/studiogan-parameters.json');

/**
 * Parameter counts printed by StudioGAN's own training logs (`logs/**` at tag v.0.3.0,
 * "Number of parameters: …", G then D). They were produced by StudioGAN's code of the time:
 * the G counts and the PD / 2C discriminators are comparable with v0.3.0.
 */
const OFFICIAL_LOGS: Record<string, { generator: number; discriminator?: number; log: string }> = {
  'CIFAR10/ReACGAN': { generator: 9416196, log: 'logs/CIFAR10/CCMGAN-train-2021_05_03_12_19_16.log' },
  'Tiny_ImageNet/ReACGAN': { generator: 17335204, log: 'logs/TINY_IMAGENET/CCMGAN-train-2021_05_03_15_36_29.log' },
  'ImageNet/ReACGAN-256': { generator: 70433988, log: 'logs/IMAGENET/CCMGAN256-train-2021_04_30_19_04_27.log' },
  'CIFAR10/ContraGAN': { generator: 9416196, discriminator: 2517186, log: 'logs/CIFAR10/ContraGAN-train-2020_10_04_21_50_14.log' },
  'CIFAR10/BigGAN-Mod': { generator: 9416196, discriminator: 2415170, log: 'logs/CIFAR10/BigGAN-train-2021_01_15_14_48_48.log' },
  'CIFAR10/DCGAN': { generator: 3812355, discriminator: 2931009, log: 'logs/CIFAR10/DCGAN-train-2020_09_15_13_23_51.log' },
  'CIFAR10/SNGAN': { generator: 4304387, discriminator: 1055105, log: 'logs/CIFAR10/SNGAN-train-2020_09_18_14_37_00.log' },
};

function expectTorchLayout(module: Module, expected: [string, number[]][]): void {
  const ours = studioganKeyMap(module).map((m) => [m.studioganName, m.torchShape]);
  expect(ours.map(([n]) => n)).toEqual(expected.map(([n]) => n));
  expect(ours).toEqual(expected);
}

describe('parameter counts and state_dict keys equal StudioGAN (PyTorch transcription)', () => {
  for (const preset of fixture.presets) {
    it(`${preset.name}: G ${preset.generator.toLocaleString('en')}, D ${preset.discriminator.toLocaleString('en')}`, () => {
      const G = createGenerator(preset.config, { ...preset.data, initialize: false });
      expect(G.numParameters()).toBe(preset.generator);
      expectTorchLayout(G, preset.generatorStateDict);
      G.dispose();
      const D = createDiscriminator(preset.config, { ...preset.data, initialize: false });
      expect(D.numParameters()).toBe(preset.discriminator);
      expectTorchLayout(D, preset.discriminatorStateDict);
      D.dispose();
      const official = OFFICIAL_LOGS[preset.name];
      if (official) {
        expect(preset.generator).toBe(official.generator);
        if (official.discriminator !== undefined) expect(preset.discriminator).toBe(official.discriminator);
      }
    });
  }

  it('the README grid (3 backbones × 7 heads at 32 px)', () => {
    for (const row of fixture.grid) {
      const G = createGenerator(row.config, { ...row.data, initialize: false });
      const D = createDiscriminator(row.config, { ...row.data, initialize: false });
      expect([row.backbone, row.dCondMtd, G.numParameters(), D.numParameters()]).toEqual([row.backbone, row.dCondMtd, row.generator, row.discriminator]);
      G.dispose();
      D.dispose();
    }
  });
});

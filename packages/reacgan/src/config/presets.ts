/**
 * Named presets `<dataset>/<method>`. The StudioGAN ones hold the values of StudioGAN v0.3.0's YAML files
 * exactly (tag `v.0.3.0`, `src/configs/...`); everything a YAML file leaves out takes `src/config.py`'s
 * default through {@link resolveConfig}. Run settings that StudioGAN passes as flags (evaluation BN mode)
 * follow the paper-run logs and README (see `source`).
 */
import { type ReacganConfig, resolveConfig, type ResolveConfigOptions } from './resolve.js';
import { type ConfigInput } from './schema.js';

export interface Preset {
  /** `<dataset>/<method>`, e.g. `cifar10/reacgan`. */
  name: string;
  /** One line for `reacgan info` and the README table. */
  description: string;
  /** Where the values come from. */
  source: string;
  /** The values (unresolved; defaults are filled by resolveConfig). */
  config: ConfigInput;
}

const bigGanCifar10Model = {
  backbone: 'big_resnet',
  gCondMtd: 'cBN',
  applyGSn: true,
  applyDSn: true,
  applyAttn: true,
  attnGLoc: [2],
  attnDLoc: [1],
  zDim: 80,
  gSharedDim: 128,
  gConvDim: 96,
  dConvDim: 96,
  applyGEma: true,
  gEmaDecay: 0.9999,
  gEmaStart: 1000,
} as const;

const cifar10Data = { name: 'CIFAR10', imgSize: 32, numClasses: 10 } as const;
/** CIFAR10/ReACGAN.yaml's MODEL, LOSS and OPTIMIZATION, shared by its -DiffAug, -CR, -ADC, -TAC and -LeCam variants. */
const reacganCifar10Model = { ...bigGanCifar10Model, dCondMtd: 'D2DCE', normalizeDEmbed: true, dEmbedDim: 512 } as const;
const reacganCifar10Loss = { advLoss: 'hinge', condLambda: 0.5, mP: 0.98, temperature: 0.5 } as const;
const reacganCifar10Optimization = { batchSize: 128, gLr: 0.00028284271, dLr: 0.00028284271 } as const;
/** Paper-era CIFAR-10 / Tiny-ImageNet runs evaluated with batch statistics (`-batch_stat`, logs `bn_stat_OnTheFly`). */
const batchStatRun = { batchStatistics: true } as const;

/**
 * The CPU-sized MNIST backbone shared by `mnist/reacgan` and `mnist/acgan`: StudioGAN's `deep_conv` (DCGAN)
 * architecture at 32 px with its widths scaled by `gConvDim`/`dConvDim` = 8 (StudioGAN fixes them at 64: G
 * 512→256→128→64 channels, D 64→128→256→512; here G 64→32→16→8, D 8→16→32→64), one input channel, MNIST
 * zero-padded 28 → 32. Chosen by measured runs on 2 CPU cores (docs/results-mnist.md): about 4× fewer
 * milliseconds per step than the narrow `resnet` backbone, and class-conditional samples within ~1,000 steps.
 */
const mnistModel = {
  backbone: 'deep_conv',
  gCondMtd: 'cBN',
  applyGSn: false,
  applyDSn: true,
  zDim: 64,
  gConvDim: 8,
  dConvDim: 8,
  applyGEma: true,
  gEmaDecay: 0.99,
  gEmaStart: 200,
} as const;
const mnistData = { name: 'MNIST', imgSize: 32, numClasses: 10, imgChannels: 1 } as const;
/** A short budget: larger steps than StudioGAN's (lr 1e-3, β1 0 as its Tiny-ImageNet/ImageNet configs, β2 0.99), batch 32. */
const mnistOptimization = {
  batchSize: 32,
  gLr: 0.001,
  dLr: 0.001,
  beta1: 0.0,
  beta2: 0.99,
  dUpdatesPerStep: 1,
  fuseRealFake: true,
  totalSteps: 1500,
} as const;
const mnistRun = { printEvery: 50, saveEvery: 500, sampleEvery: 250, evalEvery: 500, evalNumSamples: 500, maxTrainSeconds: 480 } as const;

export const PRESETS: Record<string, Preset> = {
  'cifar10/reacgan': {
    name: 'cifar10/reacgan',
    description: 'ReACGAN, BigGAN backbone, CIFAR-10 32 px (the paper run)',
    source: 'StudioGAN v0.3.0 src/configs/CIFAR10/ReACGAN.yaml; evaluation with batch statistics as in the paper log',
    config: {
      data: { ...cifar10Data },
      model: { ...reacganCifar10Model },
      loss: { ...reacganCifar10Loss },
      optimization: { ...reacganCifar10Optimization },
      run: { ...batchStatRun },
    },
  },
  'cifar10/reacgan-diffaug': {
    name: 'cifar10/reacgan-diffaug',
    description: 'ReACGAN + DiffAugment (color, translation, cutout), BigGAN, CIFAR-10, 200k steps (the paper\'s best CIFAR-10 FID)',
    source: 'StudioGAN v0.3.0 src/configs/CIFAR10/ReACGAN-DiffAug.yaml; evaluation with batch statistics as in the paper log',
    config: {
      data: { ...cifar10Data },
      model: { ...reacganCifar10Model },
      loss: { ...reacganCifar10Loss },
      optimization: { ...reacganCifar10Optimization, totalSteps: 200000 },
      aug: { applyDiffaug: true, diffaugType: 'diffaug' },
      run: { ...batchStatRun },
    },
  },
  'cifar10/reacgan-cr': {
    name: 'cifar10/reacgan-cr',
    description: 'ReACGAN + consistency regularisation (λ_CR 10, flip + translation), BigGAN, CIFAR-10',
    source: 'StudioGAN v0.3.0 src/configs/CIFAR10/ReACGAN-CR.yaml',
    config: {
      data: { ...cifar10Data },
      model: { ...reacganCifar10Model },
      loss: { ...reacganCifar10Loss, applyCr: true, crLambda: 10.0 },
      optimization: { ...reacganCifar10Optimization },
      aug: { crAugType: 'cr' },
      run: { ...batchStatRun },
    },
  },
  'cifar10/reacgan-adc': {
    name: 'cifar10/reacgan-adc',
    description: 'ReACGAN + ADC (auxiliary discriminative classifier: 2C classes, fakes as classes 2y + 1), BigGAN, CIFAR-10',
    source: 'StudioGAN v0.3.0 src/configs/CIFAR10/ReACGAN-ADC.yaml',
    config: {
      data: { ...cifar10Data },
      model: { ...reacganCifar10Model, auxClsType: 'ADC' },
      loss: { ...reacganCifar10Loss },
      optimization: { ...reacganCifar10Optimization },
      run: { ...batchStatRun },
    },
  },
  'cifar10/reacgan-tac': {
    name: 'cifar10/reacgan-tac',
    description: 'ReACGAN + TAC (twin auxiliary classifier on fakes, λ_tac 0.5), BigGAN, CIFAR-10',
    source: 'StudioGAN v0.3.0 src/configs/CIFAR10/ReACGAN-TAC.yaml (TAC as at v0.3.0; broken at master, reacgan-reference.md §8.2)',
    config: {
      data: { ...cifar10Data },
      model: { ...reacganCifar10Model, auxClsType: 'TAC' },
      loss: { ...reacganCifar10Loss, tacGenLambda: 0.5, tacDisLambda: 0.5 },
      optimization: { ...reacganCifar10Optimization },
      run: { ...batchStatRun },
    },
  },
  'cifar10/reacgan-lecam': {
    name: 'cifar10/reacgan-lecam',
    description: 'ReACGAN + LeCam regularisation (λ 0.3, EMA decay 0.99 from step 1000), BigGAN, CIFAR-10, 200k steps',
    source: 'StudioGAN master (947b35e) src/configs/CIFAR10/ReACGAN-LeCam.yaml (LeCam is not in v0.3.0)',
    config: {
      data: { ...cifar10Data },
      model: { ...reacganCifar10Model },
      loss: { ...reacganCifar10Loss, applyLecam: true, lecamLambda: 0.3, lecamEmaStartIter: 1000, lecamEmaDecay: 0.99 },
      optimization: { ...reacganCifar10Optimization, totalSteps: 200000 },
      run: { ...batchStatRun },
    },
  },
  'cifar10/acgan-mod': {
    name: 'cifar10/acgan-mod',
    description: 'ACGAN-Mod (CE on real images only in D, hinge), ResNet backbone, CIFAR-10',
    source: 'StudioGAN v0.3.0 src/configs/CIFAR10/ACGAN-Mod.yaml (resnet backbone and no SN by config.py defaults)',
    config: {
      data: { ...cifar10Data },
      model: { gCondMtd: 'cBN', dCondMtd: 'AC' },
      loss: { advLoss: 'hinge', condLambda: 1.0 },
      run: { ...batchStatRun },
    },
  },
  'cifar10/acgan-mod-big': {
    name: 'cifar10/acgan-mod-big',
    description: 'ACGAN-Mod with the BigGAN backbone, CIFAR-10',
    source: 'StudioGAN v0.3.0 src/configs/CIFAR10/ACGAN-Mod-Big.yaml',
    config: {
      data: { ...cifar10Data },
      model: { ...bigGanCifar10Model, dCondMtd: 'AC' },
      loss: { advLoss: 'hinge', condLambda: 1.0 },
      run: { ...batchStatRun },
    },
  },
  'cifar10/contragan': {
    name: 'cifar10/contragan',
    description: 'ContraGAN (2C loss), BigGAN backbone, CIFAR-10',
    source: 'StudioGAN v0.3.0 src/configs/CIFAR10/ContraGAN.yaml',
    config: {
      data: { ...cifar10Data },
      model: { ...bigGanCifar10Model, dCondMtd: '2C', normalizeDEmbed: true, dEmbedDim: 512 },
      loss: { advLoss: 'hinge', condLambda: 1.0, temperature: 1.0 },
      run: { ...batchStatRun },
    },
  },
  'cifar10/biggan-mod': {
    name: 'cifar10/biggan-mod',
    description: 'BigGAN-Mod (projection discriminator), CIFAR-10',
    source: 'StudioGAN v0.3.0 src/configs/CIFAR10/BigGAN-Mod.yaml',
    config: {
      data: { ...cifar10Data },
      model: { ...bigGanCifar10Model, dCondMtd: 'PD' },
      loss: { advLoss: 'hinge' },
      run: { ...batchStatRun },
    },
  },
  'tiny-imagenet/reacgan': {
    name: 'tiny-imagenet/reacgan',
    description: 'ReACGAN, BigGAN backbone, Tiny-ImageNet 64 px, 200 classes',
    source: 'StudioGAN v0.3.0 src/configs/Tiny_ImageNet/ReACGAN.yaml (m_p 1.0; the paper log records 0.98)',
    config: {
      data: { name: 'Tiny_ImageNet', imgSize: 64, numClasses: 200 },
      model: {
        backbone: 'big_resnet',
        gCondMtd: 'cBN',
        dCondMtd: 'D2DCE',
        normalizeDEmbed: true,
        dEmbedDim: 768,
        applyGSn: true,
        applyDSn: true,
        applyAttn: true,
        attnGLoc: [3],
        attnDLoc: [1],
        zDim: 100,
        gSharedDim: 128,
        gConvDim: 80,
        dConvDim: 80,
        applyGEma: true,
        gEmaDecay: 0.9999,
        gEmaStart: 20000,
      },
      loss: { advLoss: 'hinge', condLambda: 0.75, mP: 1.0, temperature: 0.75 },
      optimization: { batchSize: 1024, gLr: 0.0001, dLr: 0.0004, beta1: 0.0, beta2: 0.999, dUpdatesPerStep: 1 },
      run: { ...batchStatRun },
    },
  },
  'cub200/reacgan': {
    name: 'cub200/reacgan',
    description: 'ReACGAN, BigGAN backbone, CUB-200 128 px',
    source: 'StudioGAN v0.3.0 src/configs/CUB200/ReACGAN.yaml',
    config: {
      data: { name: 'CUB200', imgSize: 128, numClasses: 200 },
      model: {
        backbone: 'big_resnet',
        gCondMtd: 'cBN',
        dCondMtd: 'D2DCE',
        normalizeDEmbed: true,
        dEmbedDim: 1024,
        applyGSn: true,
        applyDSn: true,
        applyAttn: true,
        attnGLoc: [4],
        attnDLoc: [1],
        zDim: 120,
        gSharedDim: 128,
        gConvDim: 80,
        dConvDim: 80,
        applyGEma: true,
        gEmaDecay: 0.9999,
        gEmaStart: 4000,
      },
      loss: { advLoss: 'hinge', condLambda: 0.25, mP: 0.95, temperature: 0.25 },
      optimization: { batchSize: 256, gLr: 0.00005, dLr: 0.0002, beta1: 0.0, beta2: 0.999, dUpdatesPerStep: 2, totalSteps: 40000 },
    },
  },
  'imagenet/reacgan-256': {
    name: 'imagenet/reacgan-256',
    description: 'ReACGAN, BigGAN backbone, ImageNet 128 px, batch 256',
    source: 'StudioGAN v0.3.0 src/configs/ImageNet/ReACGAN-256.yaml; standing statistics 256/256 (StudioGAN #134)',
    config: {
      data: { name: 'ImageNet', imgSize: 128, numClasses: 1000 },
      model: {
        backbone: 'big_resnet',
        gCondMtd: 'cBN',
        dCondMtd: 'D2DCE',
        normalizeDEmbed: true,
        dEmbedDim: 2048,
        applyGSn: true,
        applyDSn: true,
        applyAttn: true,
        attnGLoc: [4],
        attnDLoc: [1],
        zDim: 120,
        gSharedDim: 128,
        gConvDim: 96,
        dConvDim: 96,
        applyGEma: true,
        gEmaDecay: 0.9999,
        gEmaStart: 20000,
      },
      loss: { advLoss: 'hinge', condLambda: 1.0, mP: 0.98, temperature: 0.5 },
      optimization: { batchSize: 256, acmlSteps: 1, gLr: 0.00005, dLr: 0.0002, beta1: 0.0, beta2: 0.999, dUpdatesPerStep: 2, totalSteps: 500000 },
      run: { standingStatistics: true, standingMaxBatch: 256, standingStep: 256 },
    },
  },
  'imagenet/reacgan-2048': {
    name: 'imagenet/reacgan-2048',
    description: 'ReACGAN, BigGAN backbone, ImageNet 128 px, batch 512 × 4 accumulation = 2048',
    source: 'StudioGAN v0.3.0 src/configs/ImageNet/ReACGAN-2048.yaml; standing statistics 512/512 (StudioGAN #134)',
    config: {
      data: { name: 'ImageNet', imgSize: 128, numClasses: 1000 },
      model: {
        backbone: 'big_resnet',
        gCondMtd: 'cBN',
        dCondMtd: 'D2DCE',
        normalizeDEmbed: true,
        dEmbedDim: 2048,
        applyGSn: true,
        applyDSn: true,
        applyAttn: true,
        attnGLoc: [4],
        attnDLoc: [1],
        zDim: 120,
        gSharedDim: 128,
        gConvDim: 96,
        dConvDim: 96,
        applyGEma: true,
        gEmaDecay: 0.9999,
        gEmaStart: 20000,
      },
      loss: { advLoss: 'hinge', condLambda: 0.5, mP: 0.9, temperature: 0.25 },
      optimization: { batchSize: 512, acmlSteps: 4, gLr: 0.00005, dLr: 0.0002, beta1: 0.0, beta2: 0.999, dUpdatesPerStep: 2, totalSteps: 200000 },
      run: { standingStatistics: true, standingMaxBatch: 512, standingStep: 512 },
    },
  },
  'mnist/reacgan': {
    name: 'mnist/reacgan',
    description: 'ReACGAN (D2D-CE) on MNIST, CPU-sized DCGAN (deep_conv) backbone at 32 px (the main job; about 4.5 min on 2 cores with the MNIST judge cached, plus about 30 s for its first training)',
    source: "this project's CPU-sized configuration (StudioGAN has no MNIST config); τ and m_p of CIFAR10/ReACGAN.yaml, λ 1.0 of ImageNet/ReACGAN-256.yaml",
    config: {
      data: { ...mnistData },
      model: { ...mnistModel, dCondMtd: 'D2DCE', normalizeDEmbed: true, dEmbedDim: 128 },
      loss: { advLoss: 'hinge', condLambda: 1.0, mP: 0.98, temperature: 0.5 },
      optimization: { ...mnistOptimization },
      pre: { applyRflip: false },
      run: { ...mnistRun },
    },
  },
  'mnist/acgan': {
    name: 'mnist/acgan',
    description: 'ACGAN-Mod on MNIST with the same backbone and budget as mnist/reacgan (the baseline)',
    source: "this project's CPU-sized configuration; ACGAN-Mod's conditioning (StudioGAN CIFAR10/ACGAN-Mod.yaml: AC, hinge, λ 1.0)",
    config: {
      data: { ...mnistData },
      model: { ...mnistModel, dCondMtd: 'AC' },
      loss: { advLoss: 'hinge', condLambda: 1.0 },
      optimization: { ...mnistOptimization },
      pre: { applyRflip: false },
      run: { ...mnistRun },
    },
  },
};

/** The preset the CLI's `train` uses without arguments. */
export const DEFAULT_PRESET = 'mnist/reacgan';

/** Names of every preset. */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/**
 * A preset by name (deep copy, safe to modify).
 * @throws Error naming the unknown preset and listing the valid names.
 */
export function getPreset(name: string): Preset {
  const preset = PRESETS[name];
  if (!preset) throw new Error(`preset: expected one of ${presetNames().join(', ')}, received '${name}'`);
  return structuredClone(preset);
}

/** Deep merge of configuration inputs: later inputs override earlier ones key by key (arrays are replaced). */
export function mergeConfigInputs(...inputs: (ConfigInput | undefined)[]): ConfigInput {
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === undefined) return a;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
      for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = merge(out[k], v);
      return out;
    }
    return structuredClone(b);
  };
  return inputs.reduce<ConfigInput>((acc, x) => merge(acc, x) as ConfigInput, {});
}

/** A preset resolved into a full configuration, with optional overrides. */
export function resolvePreset(name: string, overrides?: ConfigInput, options: Omit<ResolveConfigOptions, 'source'> = {}): ReacganConfig {
  const preset = getPreset(name);
  return resolveConfig(mergeConfigInputs(preset.config, overrides), { ...options, source: `preset ${name}` });
}

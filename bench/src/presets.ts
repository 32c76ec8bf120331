/**
 * Benchmark presets. Each one exists on both sides: here (TypeScript, @reacgan/models config) and in
 * bench/python/torch_step.py (`PRESETS`, built from the models package's PyTorch transcription). The
 * runner checks that both sides report the same parameter counts.
 */
import type { ModelConfigInput } from '@reacgan/models';

export interface BenchPreset {
  /** Name on both sides. */
  name: string;
  description: string;
  model: ModelConfigInput;
  data: { imgSize: number; imgChannels: number; numClasses: number };
  /** `cifar10/reacgan` etc.: the trainer preset whose loss/optimiser values are used. */
  trainerPreset: string;
}

/** StudioGAN CIFAR10/ReACGAN.yaml: λ, τ, m_p; Adam lr/betas/eps; EMA decay. */
export const LOSS = { condLambda: 0.5, temperature: 0.5, mP: 0.98 } as const;
export const OPTIM = { learningRate: 2.8284271e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-6 } as const;
export const EMA_DECAY = 0.9999;

const CIFAR = { imgSize: 32, imgChannels: 3, numClasses: 10 } as const;

export const BENCH_PRESETS: readonly BenchPreset[] = [
  {
    name: 'deep_conv/reacgan',
    description: 'DCGAN backbone (StudioGAN deep_conv, fixed widths), cBN, SN on G and D, D2D-CE head (embed 512), z 128',
    model: {
      backbone: 'deep_conv',
      gCondMtd: 'cBN',
      dCondMtd: 'D2DCE',
      normalizeDEmbed: true,
      dEmbedDim: 512,
      applyGSn: true,
      applyDSn: true,
      applyAttn: false,
      attnGLoc: [],
      attnDLoc: [],
      zDim: 128,
      gSharedDim: 'N/A',
      gConvDim: 'N/A',
      dConvDim: 'N/A',
      gInit: 'ortho',
      dInit: 'ortho',
    },
    data: CIFAR,
    trainerPreset: 'cifar10/reacgan',
  },
  {
    name: 'cifar10/reacgan',
    description: 'StudioGAN CIFAR10/ReACGAN: big_resnet ch 96, z 80, shared 128, SN, attention (G block 2, D block 1), embed 512',
    model: {
      backbone: 'big_resnet',
      gCondMtd: 'cBN',
      dCondMtd: 'D2DCE',
      normalizeDEmbed: true,
      dEmbedDim: 512,
      applyGSn: true,
      applyDSn: true,
      applyAttn: true,
      attnGLoc: [2],
      attnDLoc: [1],
      zDim: 80,
      gSharedDim: 128,
      gConvDim: 96,
      dConvDim: 96,
      gInit: 'ortho',
      dInit: 'ortho',
    },
    data: CIFAR,
    trainerPreset: 'cifar10/reacgan',
  },
];

export function findPreset(name: string): BenchPreset {
  const preset = BENCH_PRESETS.find((p) => p.name === name);
  if (!preset) throw new Error(`preset: expected one of ${BENCH_PRESETS.map((p) => p.name).join(', ')}, received '${name}'`);
  return preset;
}

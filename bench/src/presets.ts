/**
 * Benchmark presets. Each one exists on both sides: here (TypeScript, @reacgan/models config) and in
 * bench/python/torch_step.py (`PRESETS`, built from the models package's PyTorch transcription). The
 * runner checks that both sides report the same parameter counts.
 */
import type { ModelConfigInput } from '@reacgan/models';
import { resolvePreset } from 'reacgan';

export interface BenchPreset {
  /** Name on both sides. */
  name: string;
  description: string;
  model: ModelConfigInput;
  data: { imgSize: number; imgChannels: number; numClasses: number };
  /** `cifar10/reacgan` etc.: the trainer preset whose loss/optimiser values are used. */
  trainerPreset: string;
}

/** StudioGAN CIFAR10/ReACGAN.yaml, as reacgan's `cifar10/reacgan` preset holds it (one source for both). */
const reference = resolvePreset('cifar10/reacgan');

/** λ, τ, m_p of the reference preset. */
export const LOSS = { condLambda: reference.loss.condLambda as number, temperature: reference.loss.temperature as number, mP: reference.loss.mP as number } as const;
/** Adam lr/betas/eps of the reference preset (G and D share them there). */
export const OPTIM = { learningRate: reference.optimization.gLr, beta1: reference.optimization.beta1 as number, beta2: reference.optimization.beta2 as number, epsilon: reference.optimization.epsilon as number } as const;
export const EMA_DECAY = reference.model.gEmaDecay as number;

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
    model: pickModel(reference.model),
    data: CIFAR,
    trainerPreset: 'cifar10/reacgan',
  },
];

/** The architecture keys of a resolved model config (what both sides build; the rest is training state). */
function pickModel(model: ModelConfigInput): ModelConfigInput {
  const { backbone, gCondMtd, dCondMtd, normalizeDEmbed, dEmbedDim, applyGSn, applyDSn, applyAttn, attnGLoc, attnDLoc, zDim, gSharedDim, gConvDim, dConvDim, gInit, dInit } = model;
  return { backbone, gCondMtd, dCondMtd, normalizeDEmbed, dEmbedDim, applyGSn, applyDSn, applyAttn, attnGLoc, attnDLoc, zDim, gSharedDim, gConvDim, dConvDim, gInit, dInit };
}

export function findPreset(name: string): BenchPreset {
  const preset = BENCH_PRESETS.find((p) => p.name === name);
  if (!preset) throw new Error(`preset: expected one of ${BENCH_PRESETS.map((p) => p.name).join(', ')}, received '${name}'`);
  return preset;
}

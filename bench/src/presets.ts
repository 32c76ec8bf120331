/**
 * Benchmark presets. Each is a StudioGAN configuration file at a pinned StudioGAN commit plus overrides in
 * StudioGAN's own keys, and both sides build from exactly that: the PyTorch side is StudioGAN's code reading
 * the file from its checkout (bench/python/studiogan_step.py), our side is reacgan's trainer reading the same
 * file with the same overrides (reacgan accepts StudioGAN's YAML as-is). The runner checks that both sides
 * report the same parameter counts.
 */
import type { ConfigInput } from 'reacgan';

/** StudioGAN's YAML sections, snake_case keys (as in its files). */
export type StudioganOverrides = Partial<Record<'DATA' | 'MODEL' | 'LOSS' | 'OPTIMIZATION', Record<string, unknown>>>;

/** The StudioGAN commits the benchmark runs (`git archive` of these into the checkout folder; see README there). */
export const STUDIOGAN_COMMITS = {
  /** v.0.3.0, the release behind the ReACGAN paper (big_resnet). */
  '6650d2f': '6650d2f5365b35c62c907ec78c0e56ca2107f50e',
  /** master: v0.3.0's conditional deep_conv discriminator sizes its heads for 256 channels of 512 and fails. */
  '947b35e': '947b35e9835b67860fdce44d337f6d7fee7c8db3',
} as const;
export type StudioganCommit = keyof typeof STUDIOGAN_COMMITS;

export interface BenchPreset {
  name: string;
  description: string;
  studiogan: {
    commit: StudioganCommit;
    /** Under the checkout's src/configs. */
    config: string;
    overrides: StudioganOverrides;
  };
  /** A step of seconds: fewer repetitions, PyTorch in one OpenMP setting (PASSIVE) unless asked for both. */
  heavy?: boolean;
  /** reacgan's preset equal to `studiogan.config` at that commit (stands in for the YAML where no checkout is at hand). */
  reacganPreset?: string;
  /** Keys of ours with no StudioGAN spelling that make our side the same model (e.g. master's cBN layout). */
  ours?: ConfigInput;
}

/**
 * What every preset sets (the step is one D update, one G update, then the EMA, as `Trainer.trainStep()` with
 * these settings and StudioGAN's `train_discriminator` + `train_generator`): batch size from the command line,
 * one micro-batch, EMA of G active from step 0 (a long run spends almost every step past `g_ema_start`).
 */
export function commonOverrides(batchSize: number): StudioganOverrides {
  return {
    MODEL: { apply_g_ema: true, g_ema_decay: 0.9999, g_ema_start: 0 },
    OPTIMIZATION: { batch_size: batchSize, d_updates_per_step: 1, g_updates_per_step: 1, acml_steps: 1 },
  };
}

/** StudioGAN's deep_conv backbone in place of big_resnet in CIFAR10/ReACGAN.yaml (its fixed widths, z 128). */
const DEEP_CONV = { backbone: 'deep_conv', g_conv_dim: 'N/A', d_conv_dim: 'N/A', apply_attn: false, attn_g_loc: ['N/A'], attn_d_loc: ['N/A'], z_dim: 128, g_shared_dim: 'N/A' };
/** CIFAR10/ReACGAN.yaml's conditioning and loss (cBN in G, D2D-CE head, hinge + 0.5·D2D-CE). */
const REACGAN_HEAD = { g_cond_mtd: 'cBN', d_cond_mtd: 'D2DCE', normalize_d_embed: true, d_embed_dim: 512 };
const REACGAN_LOSS = { adv_loss: 'hinge', cond_lambda: 0.5, m_p: 0.98, temperature: 0.5 };
/** StudioGAN master's layout of the DCGAN conditional BN (`bn0.gain` / `bn0.bias` on the one-hot label). */
const MASTER_CBN: ConfigInput = { model: { gCbnLayout: 'linear' } } as ConfigInput;

export const BENCH_PRESETS: readonly BenchPreset[] = [
  {
    name: 'deep_conv/reacgan',
    description: 'StudioGAN master CIFAR10/ReACGAN.yaml with the deep_conv backbone: cBN, SN on G and D, D2D-CE (embed 512), z 128',
    studiogan: { commit: '947b35e', config: 'CIFAR10/ReACGAN.yaml', overrides: { MODEL: DEEP_CONV } },
    ours: MASTER_CBN,
  },
  {
    name: 'deep_conv/reacgan-nosn',
    description: 'StudioGAN master CIFAR10/DCGAN.yaml (no SN; BN in D) with ReACGAN’s head and loss: cBN, D2D-CE (embed 512), hinge',
    studiogan: { commit: '947b35e', config: 'CIFAR10/DCGAN.yaml', overrides: { MODEL: REACGAN_HEAD, LOSS: REACGAN_LOSS } },
    ours: MASTER_CBN,
  },
  {
    name: 'cifar10/reacgan',
    description: 'StudioGAN v0.3.0 CIFAR10/ReACGAN.yaml: big_resnet ch 96, z 80, shared 128, SN, attention (G block 2, D block 1), D2D-CE (embed 512)',
    studiogan: { commit: '6650d2f', config: 'CIFAR10/ReACGAN.yaml', overrides: {} },
    reacganPreset: 'cifar10/reacgan',
    heavy: true,
  },
];

/** The preset's overrides merged over {@link commonOverrides} (what both sides apply to the YAML). */
export function presetOverrides(preset: BenchPreset, batchSize: number): StudioganOverrides {
  const out: StudioganOverrides = {};
  for (const part of [commonOverrides(batchSize), preset.studiogan.overrides]) {
    for (const [section, values] of Object.entries(part) as [keyof StudioganOverrides, Record<string, unknown>][]) out[section] = { ...out[section], ...values };
  }
  return out;
}

export function findPreset(name: string): BenchPreset {
  const preset = BENCH_PRESETS.find((p) => p.name === name);
  if (!preset) throw new Error(`preset: expected one of ${BENCH_PRESETS.map((p) => p.name).join(', ')}, received '${name}'`);
  return preset;
}

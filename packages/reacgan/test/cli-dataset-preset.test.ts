// Without --preset / --config, a known dataset with a preset of its own trains with that preset (a new-user run
// with `--dataset cifar10` got MNIST's 1-channel preset and failed on data.imgChannels after loading 50,000 images).
import { describe, expect, it } from 'vitest';
import { configFromCli } from '../src/cli/config-options.js';
import { datasetTransforms } from '../src/train/pipeline.js';

describe('configFromCli: --dataset without --preset', () => {
  it('--dataset cifar10 → cifar10/reacgan (3 channels, BigGAN), said in the notes; --preset still wins', async () => {
    const cifar = await configFromCli({ dataset: 'cifar10' });
    expect(cifar.source).toBe('preset cifar10/reacgan');
    expect(cifar.config.data).toMatchObject({ name: 'CIFAR10', imgChannels: 3, numClasses: 10 });
    expect(cifar.config.model.backbone).toBe('big_resnet');
    expect(cifar.notes.join('\n')).toMatch(/preset cifar10\/reacgan: the preset of --dataset cifar10 \(--preset to choose another\)/);
    const chosen = await configFromCli({ dataset: 'cifar10', preset: 'cifar10/acgan-mod' });
    expect(chosen.source).toBe('preset cifar10/acgan-mod');
  });

  it('a dataset without a preset of its own keeps the default preset (mnist/reacgan), without a note', async () => {
    const fashion = await configFromCli({ dataset: 'fashion-mnist' });
    expect(fashion.source).toBe('preset mnist/reacgan');
    expect(fashion.notes.join('\n')).not.toMatch(/the preset of --dataset/);
  });

  it('a 1-channel configuration on 3-channel images names the fix', async () => {
    const mnist = (await configFromCli({ preset: 'mnist/reacgan' })).config;
    expect(() => datasetTransforms(mnist, [32, 32, 3], 'train')).toThrow(
      /data\.imgChannels: expected 3 for this dataset \(images are 32×32×3\), received 1; set it to 3 \(CLI: --set data\.imgChannels=3\) or use a preset made for this dataset \(--preset\)/,
    );
  });
});

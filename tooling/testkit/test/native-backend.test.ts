import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadNativeBackend } from '../src/backends.js';
import { nativeStatusFile, readNativeStatus } from '../src/native-status.js';

describe('native backend install (scripts/setup-native-backend.mjs)', () => {
  it('the install step ran and recorded its outcome', () => {
    const status = readNativeStatus();
    expect(status, `${nativeStatusFile} is missing: the root postinstall did not run`).not.toBeNull();
  });

  it('the tensorflow backend is active whenever the install reported success', async () => {
    const status = readNativeStatus();
    const ok = status?.packages.filter((p) => p.ok) ?? [];
    if (ok.length === 0) {
      // The install printed why every route failed; nothing claims a native backend here.
      expect(status?.packages.every((p) => !p.ok && (p.attempts?.length ?? 0) > 0) || status?.skipped || status?.packages.length === 0).toBe(true);
      return;
    }
    expect(await loadNativeBackend()).toBe(true);
    expect(await tf.setBackend('tensorflow')).toBe(true);
    expect(tf.getBackend()).toBe('tensorflow');
    const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    expect(Array.from(product.dataSync())).toEqual([17, 39]);
    await tf.setBackend('cpu');
  });
});

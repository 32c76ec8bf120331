import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { nativeInstalled } from './native-status.js';

let nativeLoaded: Promise<boolean> | undefined;

/**
 * Registers the native 'tensorflow' backend (tfjs-node) once per process. Resolves false when the
 * native install did not succeed (then suites run on cpu only; the install printed why).
 */
export function loadNativeBackend(): Promise<boolean> {
  nativeLoaded ??= (async () => {
    if (!nativeInstalled()) return false;
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    await import('@tensorflow/tfjs-node');
    return tf.findBackend('tensorflow') != null || tf.engine().registryFactory['tensorflow'] != null;
  })();
  return nativeLoaded;
}

/**
 * Backends the parameterised suites run on: 'cpu' always, plus 'tensorflow' when the native
 * backend installed. REACGAN_TEST_BACKENDS=cpu (comma-separated list) restricts the set.
 */
export function testBackends(): string[] {
  const wanted = process.env.REACGAN_TEST_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  const all = ['cpu', ...(nativeInstalled() ? ['tensorflow'] : [])];
  return wanted ? all.filter((b) => wanted.includes(b)) : all;
}

/**
 * describe() once per test backend; the backend is active inside the block and 'cpu' is restored
 * afterwards. Example: describeBackends('d2d-ce', (backend) => { it('...', () => {...}) }).
 */
export function describeBackends(name: string, body: (backend: string) => void, backends: string[] = testBackends()): void {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        if (backend === 'tensorflow') await loadNativeBackend();
        const ok = await tf.setBackend(backend);
        if (!ok || tf.getBackend() !== backend) {
          throw new Error(`could not activate backend '${backend}' (active: ${tf.getBackend()})`);
        }
      });
      afterAll(async () => {
        await tf.setBackend('cpu');
      });
      body(backend);
    });
  }
}

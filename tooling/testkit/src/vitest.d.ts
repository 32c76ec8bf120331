import 'vitest';
import type { AllcloseOptions } from './allclose.js';

interface ReacganMatchers<R = unknown> {
  /** numpy.allclose: |received - expected| <= atol + rtol * |expected| elementwise (defaults 1e-5, 1e-6). */
  toBeAllclose(expected: unknown, options?: AllcloseOptions): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends ReacganMatchers<T> {}
}

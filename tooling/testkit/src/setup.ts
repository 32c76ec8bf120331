// Loaded before every test file (see vitest-config.ts).
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs union and tfjs-node do); tests of
// code that takes gradients must not depend on which other package happened to be loaded first.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { allcloseReport, type AllcloseOptions } from './allclose.js';

expect.extend({
  toBeAllclose(received: unknown, expected: unknown, options: AllcloseOptions = {}) {
    const report = allcloseReport(received, expected, options);
    return {
      pass: report.pass,
      message: () =>
        report.pass
          ? `expected values not to be allclose (max abs diff ${report.maxAbsDiff})`
          : `expected values to be allclose (rtol ${report.rtol}, atol ${report.atol}): ${report.message}`,
    };
  },
});

// Tests start on the deterministic pure-JS backend; suites that want others use describeBackends.
await tf.setBackend('cpu');

// Relative import: the config loader bundles local files but would externalise the workspace link.
import { fileURLToPath } from 'node:url';
import { reacganVitestConfig } from '../../tooling/testkit/src/vitest-config.js';

export default reacganVitestConfig({
  test: {
    setupFiles: [fileURLToPath(new URL('./test/setup-gradients.ts', import.meta.url))],
    // The suites are pure functions of their inputs (no global state beyond the active backend, which
    // describeBackends restores), so the test files share a worker's module cache: TF.js and the native
    // backend load once per worker instead of once per file (most of this package's test time).
    isolate: false,
  },
});

// Relative import: the config loader bundles local files but would externalise the workspace link.
import { reacganVitestConfig } from '../../tooling/testkit/src/vitest-config.js';

export default reacganVitestConfig({
  test: { testTimeout: 180_000, hookTimeout: 180_000 },
});

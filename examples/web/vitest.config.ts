// Relative import: the config loader bundles local files but would externalise the workspace link.
import { fileURLToPath } from 'node:url';
import { reacganVitestConfig } from '../../tooling/testkit/src/vitest-config.js';

export default reacganVitestConfig({
  resolve: { alias: { 'reacgan/web': fileURLToPath(new URL('../../packages/reacgan/src/export/web-format.ts', import.meta.url)) } },
  test: { testTimeout: 180_000, hookTimeout: 180_000 },
});

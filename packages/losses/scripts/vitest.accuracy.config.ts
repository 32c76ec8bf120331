// `pnpm --filter @reacgan/losses accuracy`: prints the float32-vs-float64 accuracy table (not part of `test`).
import { fileURLToPath } from 'node:url';
import { reacganVitestConfig } from '../../../tooling/testkit/src/vitest-config.js';

const config = reacganVitestConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: { setupFiles: [fileURLToPath(new URL('../test/setup-gradients.ts', import.meta.url))] },
});
// replace (not extend) the shared include list
config.test = { ...config.test, include: ['scripts/accuracy-report.ts'] };
export default config;

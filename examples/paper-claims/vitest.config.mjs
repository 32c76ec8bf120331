import { reacganVitestConfig } from '../../tooling/testkit/src/vitest-config.js';

export default reacganVitestConfig({ test: { include: ['test/**/*.test.mjs'] } });

// `pnpm bench`: the page benchmark (bench/*.bench-run.ts), kept out of the test run.
import type { ViteUserConfig } from 'vitest/config';
import base from './vitest.config.js';

// mergeConfig would concatenate `include` with the tests' patterns: replace it instead.
const config: ViteUserConfig = { ...base, test: { ...base.test, include: ['bench/**/*.bench-run.ts'] } };
export default config;

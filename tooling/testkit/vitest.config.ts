import { reacganVitestConfig } from './src/vitest-config.js';

export default reacganVitestConfig();

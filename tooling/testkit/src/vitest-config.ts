import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

/** Resolve workspace packages to their TypeScript sources, so tests never need a prior build. */
const conditions = ['@reacgan/source', 'module', 'node', 'development|production'];

/**
 * The vitest configuration every package uses: source resolution of workspace packages, the
 * `forks` pool (tfjs-node must not be loaded in several worker threads), generous timeouts (hang guards
 * only), and the shared setup file (allclose matcher, cpu backend).
 */
export function reacganVitestConfig(overrides: ViteUserConfig = {}): ViteUserConfig {
  const base = defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['node'] } },
    test: {
      pool: 'forks',
      setupFiles: [fileURLToPath(new URL('./setup.ts', import.meta.url))],
      // Limits that only guard against a hang: the suites run on a 2-core machine that may be shared (a
      // clean-clone CI run under a load average of ~30 saw 120 s hooks time out that take ~20 s when quiet).
      testTimeout: 600_000,
      hookTimeout: 600_000,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    },
  });
  return mergeConfig(base, overrides);
}

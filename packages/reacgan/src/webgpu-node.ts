/**
 * WebGPU in Node for `@tensorflow/tfjs-backend-webgpu`: a GPU adapter from Dawn's Node bindings (the npm
 * package `webgpu`, `dawn.node`), exposed as `navigator.gpu` before the tfjs backend package is imported
 * (tfjs-backend-webgpu 4.22 registers its backend only if `navigator.gpu` exists at import time, and asks
 * `navigator.gpu.requestAdapter()` for its adapter when the backend initialises).
 *
 * Adapters tried, in order (the first that Dawn returns wins):
 * 1. Dawn's native backend for the platform (Vulkan on Linux, Metal on macOS, D3D12 on Windows), WebGPU core,
 *    `powerPreference: 'high-performance'`. On Linux this needs a Vulkan loader (`libvulkan.so.1`) and the
 *    GPU driver's Vulkan ICD (NVIDIA: `nvidia_icd.json`, part of the driver install). Mesa's lavapipe
 *    (Debian 12, Mesa 22.3) is rejected by Dawn ("shaderUniform*ArrayDynamicIndexing required").
 * 2. Linux only: Dawn's OpenGL ES backend in WebGPU compatibility mode (`featureLevel: 'compatibility'`), with
 *    `EGL_PLATFORM=surfaceless` unless set: a GPU's EGL driver, or Mesa's llvmpipe software rasteriser (a
 *    CPU; Debian packages `libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri`) — what CI uses.
 *
 * Browser-safe to bundle: Node modules are imported dynamically, and only when `initBackend` selects webgpu
 * under Node.
 */

import type * as NodeFs from 'node:fs';
import type * as NodeModule from 'node:module';
import type * as NodePath from 'node:path';

/** A dynamic import that bundlers leave alone (the specifier is a variable). */
const load = (name: string): Promise<unknown> => import(/* @vite-ignore */ name);

/** What {@link setupNodeWebGpu} selected, as `reacgan backend` reports it. */
export interface WebGpuAdapterReport {
  /** GPUAdapterInfo.vendor (may be empty, e.g. on OpenGL ES). */
  vendor: string;
  /** GPUAdapterInfo.architecture (may be empty). */
  architecture: string;
  /** GPUAdapterInfo.device, e.g. 'llvmpipe-llvm-15-0-6-256-bits-'. */
  device: string;
  /** GPUAdapterInfo.description, e.g. 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6'. */
  description: string;
  /** Dawn backend that produced the adapter: 'vulkan', 'metal', 'd3d12' or 'opengles'. */
  dawnBackend: string;
  /** WebGPU feature level requested: 'core' (full WebGPU) or 'compatibility' (the OpenGL ES route). */
  featureLevel: 'core' | 'compatibility';
  /**
   * True for a CPU rasteriser (Mesa llvmpipe / lavapipe / softpipe, SwiftShader, Microsoft's Basic Render
   * Driver) or an adapter flagged `isFallbackAdapter`: it computes on the CPU and is slower than the
   * tensorflow backend; `auto` never picks it.
   */
  software: boolean;
  /** The adapter limits that bound tfjs-backend-webgpu's buffers and workgroups (bytes or counts). */
  limits: Record<string, number>;
  /** Adapter features (e.g. 'timestamp-query', 'shader-f16'). */
  features: string[];
  /** Version of the npm package `webgpu` (Dawn's Node bindings). */
  dawnPackageVersion?: string;
}

/** The subset of the WebGPU API used here (kept structural: no DOM or @webgpu/types needed to compile). */
interface AdapterLike {
  readonly features: Iterable<string> & { has(name: string): boolean };
  readonly limits: Record<string, unknown>;
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  readonly isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
  readonly wgslLanguageFeatures?: unknown;
}
interface WebGpuModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

export interface SetupNodeWebGpuOptions {
  /**
   * `'hardware'`: refuse a software adapter (what `auto` asks). `'any'` (default): take a software adapter
   * too (an explicit `--backend webgpu`, tests and CI).
   */
  require?: 'hardware' | 'any';
  /** How the npm package `webgpu` is imported (default: dynamic import). */
  importModule?: (name: string) => Promise<unknown>;
  /**
   * Dawn backends to try, in order (default `REACGAN_WEBGPU_ADAPTER` split on commas, else
   * `['native', 'opengles']` on Linux and `['native']` elsewhere). 'native' is the platform's own.
   */
  adapters?: string[];
}

/** The kinds of adapter names that denote CPU rasterisers. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|basic render driver|software/i;

/** The limits reported (those tfjs-backend-webgpu 4.22 requests from the device, plus the storage-buffer count). */
const REPORTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
];

function nativeDawnBackend(platform: string): string {
  return platform === 'darwin' ? 'metal' : platform === 'win32' ? 'd3d12' : 'vulkan';
}

/** Whether an adapter computes on the CPU (see {@link WebGpuAdapterReport.software}). */
export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }, isFallbackAdapter = false): boolean {
  return isFallbackAdapter || info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(`${info.vendor ?? ''} ${info.device ?? ''} ${info.description ?? ''}`);
}

function describeAdapter(adapter: AdapterLike, dawnBackend: string, featureLevel: 'core' | 'compatibility'): WebGpuAdapterReport {
  const info = adapter.info ?? {};
  const limits: Record<string, number> = {};
  for (const name of REPORTED_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === 'number') limits[name] = value;
  }
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    dawnBackend,
    featureLevel,
    software: isSoftwareAdapter(info, adapter.isFallbackAdapter === true),
    limits,
    features: [...adapter.features].sort(),
  };
}

/** One line: vendor/architecture/device, the Dawn route, software or hardware. */
export function formatAdapter(a: WebGpuAdapterReport): string {
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || '(unnamed adapter)';
  return `${name}${a.description ? ` — ${a.description}` : ''}; Dawn ${a.dawnBackend} (${a.featureLevel}), ${a.software ? 'software (CPU rasteriser)' : 'hardware'}`;
}

/**
 * Finds a WebGPU adapter through Dawn's Node bindings and installs `navigator.gpu` (whose `requestAdapter`
 * returns that adapter) and the WebGPU constants (`GPUBufferUsage`, `GPUMapMode`, …) on `globalThis`, so
 * that `@tensorflow/tfjs-backend-webgpu` can then be imported and initialised. Idempotent: a second call
 * returns the first call's adapter (one Dawn instance per process).
 *
 * @returns the adapter's report.
 * @throws Error when `webgpu` is not installed (message names the package), when no adapter is found
 *   (naming each route tried and Dawn's answer), or when only a software adapter exists and
 *   `require: 'hardware'`.
 */
export async function setupNodeWebGpu(options: SetupNodeWebGpuOptions = {}): Promise<WebGpuAdapterReport> {
  if (installed) {
    if (options.require === 'hardware' && installed.software) throw new Error(softwareRefusal(installed));
    return installed;
  }
  const env = process.env;
  const module = (await (options.importModule ?? load)('webgpu')) as WebGpuModule;
  if (typeof module.create !== 'function') throw new Error("webgpu: the package 'webgpu' does not export create() (expected Dawn's Node bindings, webgpu ≥ 0.2)");
  const routes = options.adapters ?? (env.REACGAN_WEBGPU_ADAPTER ? env.REACGAN_WEBGPU_ADAPTER.split(',').map((s) => s.trim()).filter(Boolean) : process.platform === 'linux' ? ['native', 'opengles'] : ['native']);
  const tried: string[] = [];
  let chosen: { gpu: GpuLike; adapter: AdapterLike; report: WebGpuAdapterReport } | undefined;
  for (const route of routes) {
    const compat = route === 'opengles' || route === 'opengl';
    const dawnBackend = route === 'native' ? nativeDawnBackend(process.platform) : route;
    if (compat) env.EGL_PLATFORM ??= 'surfaceless';
    let adapter: AdapterLike | null = null;
    let gpu: GpuLike;
    try {
      gpu = module.create(route === 'native' ? [] : [`backend=${route}`]);
      adapter = await gpu.requestAdapter(compat ? { featureLevel: 'compatibility', powerPreference: 'high-performance' } : { powerPreference: 'high-performance' });
    } catch (error) {
      tried.push(`${dawnBackend}: ${(error as Error).message}`);
      continue;
    }
    if (!adapter) {
      tried.push(`${dawnBackend}: no adapter${dawnBackend === 'vulkan' ? ' (needs libvulkan.so.1 and a GPU driver’s Vulkan ICD)' : compat ? ' (needs libEGL/libGLESv2 with a GPU driver or Mesa llvmpipe)' : ''}`);
      continue;
    }
    const report = describeAdapter(adapter, dawnBackend, compat ? 'compatibility' : 'core');
    if (options.require === 'hardware' && report.software) {
      tried.push(`${dawnBackend}: software adapter ${formatAdapter(report)} (not used by auto)`);
      continue;
    }
    chosen = { gpu, adapter, report };
    break;
  }
  if (!chosen) throw new Error(`webgpu: no ${options.require === 'hardware' ? 'hardware ' : ''}adapter found (${tried.join('; ')})`);
  chosen.report.dawnPackageVersion = await packageVersion();
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(module.globals)) if (g[name] === undefined) g[name] = value;
  const { adapter, gpu } = chosen;
  // Dawn lives as long as the object create() returned is referenced: when it is garbage-collected, Dawn's
  // instance is torn down under the live adapter and device (seen here: segfaults and aborts in Mesa's
  // threads). Held by navigator.gpu (`instance`) for the life of the process.
  const navigatorGpu = {
    instance: gpu,
    requestAdapter: async () => adapter,
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: gpu.wgslLanguageFeatures ?? new Set<string>(),
  };
  // Node ≥ 21 has a global navigator (a getter on globalThis); Node 20 has none.
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator as object, 'gpu', { value: navigatorGpu, configurable: true, writable: true });
  installed = chosen.report;
  return installed;
}

let installed: WebGpuAdapterReport | undefined;

/** The adapter selected by {@link setupNodeWebGpu} in this process, if any. */
export function installedWebGpuAdapter(): WebGpuAdapterReport | undefined {
  return installed;
}

function softwareRefusal(a: WebGpuAdapterReport): string {
  return `webgpu: only a software adapter (${formatAdapter(a)}); auto uses webgpu only on a hardware GPU (--backend webgpu forces it)`;
}

async function packageVersion(): Promise<string | undefined> {
  try {
    const { createRequire } = (await load('node:module')) as typeof NodeModule;
    const require = createRequire(import.meta.url);
    const { readFileSync } = (await load('node:fs')) as typeof NodeFs;
    const { dirname, join } = (await load('node:path')) as typeof NodePath;
    // 'webgpu' has no "exports" map; its main file sits next to package.json.
    return (JSON.parse(readFileSync(join(dirname(require.resolve('webgpu')), 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Whether this machine can have a hardware GPU adapter, from device nodes alone (no driver loaded): on Linux
 * a DRM render node (`/dev/dri/renderD*`) or an NVIDIA device (`/dev/nvidia0`…); elsewhere assumed yes.
 * `auto` skips webgpu without loading Dawn when this is false (Dawn prints warnings when it finds no Vulkan).
 */
export async function mayHaveGpu(): Promise<{ yes: boolean; reason: string }> {
  if (process.platform !== 'linux') return { yes: true, reason: process.platform };
  const { readdirSync } = (await load('node:fs')) as typeof NodeFs;
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  const dri = list('/dev/dri').filter((n) => n.startsWith('renderD'));
  const nvidia = list('/dev').filter((n) => /^nvidia\d+$/.test(n));
  const found = [...dri.map((n) => `/dev/dri/${n}`), ...nvidia.map((n) => `/dev/${n}`)];
  return found.length ? { yes: true, reason: found.join(', ') } : { yes: false, reason: 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*)' };
}

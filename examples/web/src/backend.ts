/**
 * Backend selection for the page: WebGL first, then wasm, then the pure-JS cpu backend — the first that
 * initialises and computes 1 + 1 correctly. `?backend=wasm` (or cpu / webgl) puts one first.
 */
import { installedWasmKernelFixes, installWasmKernelFixes } from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export const BACKEND_ORDER = ['webgl', 'wasm', 'cpu'] as const;
export type PageBackend = (typeof BACKEND_ORDER)[number];

export interface BackendChoice {
  /** The active tfjs backend. */
  name: PageBackend;
  /** Human-readable details: WebGL version and renderer, wasm SIMD/threads. */
  detail: string;
  /** Backends tried before it, with the reason each failed. */
  failures: { name: string; reason: string }[];
}

// tfjs-backend-wasm 4.22 adds _FusedMatMul's bias to the wrong elements with transposed operands or batches,
// which would make every linear layer wrong: @reacgan/models replaces that kernel (the import above registered it).
installWasmKernelFixes();

// The wasm binaries are emitted as assets by vite; tfjs picks SIMD / threaded SIMD from what the browser supports.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

function webglDetail(): string {
  const version = tf.env().getNumber('WEBGL_VERSION');
  let renderer = '';
  try {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
    if (gl) {
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    }
  } catch {
    // the renderer string is informational only
  }
  const precision = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 'float32' : 'float16';
  return `WebGL ${version}, ${precision} textures${renderer ? `, ${renderer}` : ''}`;
}

async function wasmDetail(): Promise<string> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const fixed = installedWasmKernelFixes();
  return `SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}${fixed.length ? `, fixed kernels: ${fixed.join(', ')}` : ''}`;
}

/** Parses `?backend=` (null when absent or unknown). */
export function requestedBackend(search: string): PageBackend | null {
  const value = new URLSearchParams(search).get('backend');
  return (BACKEND_ORDER as readonly string[]).includes(value ?? '') ? (value as PageBackend) : null;
}

/** Renderer strings of CPU-emulated WebGL (SwiftShader, Mesa llvmpipe/softpipe, Windows' basic renderer). */
export const SOFTWARE_WEBGL = /swiftshader|llvmpipe|softpipe|software|basic render/i;

async function tryBackend(name: PageBackend): Promise<string> {
  if (!(await tf.setBackend(name))) throw new Error('initialisation failed (see the console warning from tfjs)');
  await tf.ready();
  const two = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)));
  const value = (await two.data())[0];
  two.dispose();
  if (value !== 2) throw new Error(`1 + 1 gave ${value}`);
  return name === 'webgl' ? webglDetail() : name === 'wasm' ? await wasmDetail() : 'pure JavaScript';
}

/**
 * Activates the first backend that works, in {@link BACKEND_ORDER} (the requested one first). WebGL on a
 * software renderer (SwiftShader: what headless Chromium without a GPU gets) is much slower than wasm, so
 * unless WebGL was requested explicitly it is passed over for wasm, and used only if wasm and cpu fail.
 */
export async function selectBackend(preferred: PageBackend | null = null): Promise<BackendChoice> {
  const order: PageBackend[] = preferred ? [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)] : [...BACKEND_ORDER];
  const failures: { name: string; reason: string }[] = [];
  let softwareWebgl: string | null = null;
  for (const name of order) {
    try {
      const detail = await tryBackend(name);
      if (name === 'webgl' && preferred !== 'webgl' && SOFTWARE_WEBGL.test(detail)) {
        softwareWebgl = detail;
        failures.push({ name, reason: `software renderer, slower than wasm (${detail})` });
        continue;
      }
      return { name, detail, failures };
    } catch (error) {
      failures.push({ name, reason: (error as Error)?.message ?? String(error) });
    }
  }
  if (softwareWebgl !== null) {
    const detail = await tryBackend('webgl');
    return { name: 'webgl', detail, failures: failures.filter((f) => f.name !== 'webgl') };
  }
  throw new Error(`no TensorFlow.js backend works here: ${failures.map((f) => `${f.name}: ${f.reason}`).join('; ')}`);
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativePackageStatus {
  name: string;
  version: string;
  ok: boolean;
  route?: string;
  tfVersion?: string;
  attempts?: { route: string; error: string }[];
}

export interface NativeStatus {
  packages: NativePackageStatus[];
  skipped?: boolean;
  error?: string;
}

/** Repository root (two levels above tooling/testkit/src). */
export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Path of the status file written by scripts/setup-native-backend.mjs during `pnpm install`. */
export const nativeStatusFile = path.join(repositoryRoot, 'node_modules', '.reacgan', 'native-backend.json');

/** The native-backend install outcome, or null when the install step never ran. */
export function readNativeStatus(): NativeStatus | null {
  if (!fs.existsSync(nativeStatusFile)) return null;
  return JSON.parse(fs.readFileSync(nativeStatusFile, 'utf8')) as NativeStatus;
}

/** True when the install reported a working @tensorflow/tfjs-node (or -gpu). */
export function nativeInstalled(): boolean {
  return readNativeStatus()?.packages.some((p) => p.ok) ?? false;
}

/** What scripts/ensure-webgpu-adapter.sh found or installed for a software WebGPU adapter. */
export interface WebGpuSetupStatus {
  /** True when the libraries a software adapter needs (EGL, GLES, Mesa's llvmpipe) are present. */
  ok: boolean;
  /** What was found, installed, or why not. */
  detail: string;
}

/** Path of the status file written by scripts/ensure-webgpu-adapter.sh during `pnpm test`. */
export const webGpuStatusFile = path.join(repositoryRoot, 'node_modules', '.reacgan', 'webgpu-adapter.json');

/** The software-adapter setup outcome, or null when the setup script never ran. */
export function readWebGpuStatus(): WebGpuSetupStatus | null {
  if (!fs.existsSync(webGpuStatusFile)) return null;
  return JSON.parse(fs.readFileSync(webGpuStatusFile, 'utf8')) as WebGpuSetupStatus;
}

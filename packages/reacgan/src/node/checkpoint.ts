/**
 * Training checkpoints on disk: one safetensors file holding every tensor of a {@link TrainingState} (G, D,
 * G_ema state dicts with StudioGAN-compatible names under `G.`, `D.`, `G_ema.`, and Adam's moments under
 * `optG.m.`, `optG.v.`, `optD.m.`, `optD.v.`) and, in its `__metadata__` (`reacgan.state`), the rest of the
 * state as JSON (step, z/y sampler and data-iterator positions, Adam step counts, the resolved config, and
 * run information). A `.json` file next to it repeats that JSON for people; loading reads only the
 * safetensors file, so the pair can never disagree in a way that matters.
 *
 * Writes are atomic (temporary file, fsync, rename): an interrupted save leaves the previous checkpoint.
 */
import { readFile } from 'node:fs/promises';
import * as models from '@reacgan/models';
import type { TrainingState, TrainingStateMeta } from '../train/state.js';
import { type AtomicWriteIo, nodeIo, writeFileAtomic } from './fs-atomic.js';

/** Run information stored with a checkpoint (not needed to resume; reported by `sample` / `evaluate`). */
export interface CheckpointInfo {
  /** Why this checkpoint was written: 'interval', 'final', 'interrupt', 'best'. */
  reason: string;
  savedAt: string;
  /** Best-checkpoint selection: metric name, value, step. */
  best?: { metric: string; value: number; step: number } | null;
  backend?: unknown;
  versions?: Record<string, string>;
  /** Class names of the training set (labels.json). */
  classNames?: string[];
  /** Evaluations during training (extractor, weights file, reference split): what --resume continues with. */
  evaluation?: { extractor?: 'mnist-judge' | 'inception-v3-fid' | 'none'; inceptionWeights?: string | null; allowUnverifiedWeights?: boolean; split?: 'train' | 'test' | 'valid' | 'val' | null };
  /** With reason 'error': the error that stopped training. */
  error?: string;
}

export interface CheckpointContent {
  meta: TrainingStateMeta;
  info: CheckpointInfo;
}

/** The `.json` companion of a checkpoint path (`last.safetensors` → `last.json`). */
export function checkpointJsonPath(path: string): string {
  return path.replace(/\.safetensors$/, '') + '.json';
}

/**
 * Writes a training state to `path` (…/last.safetensors) atomically, then its `.json` companion.
 * Does not dispose `state.tensors`.
 */
export async function saveCheckpoint(path: string, state: TrainingState, info: CheckpointInfo, io: AtomicWriteIo = nodeIo): Promise<void> {
  const content: CheckpointContent = { meta: state.meta, info };
  const json = JSON.stringify(content);
  const bytes = await models.encodeSafetensorsAsync(state.tensors, { format: 'reacgan-checkpoint', 'reacgan.state': json });
  await writeFileAtomic(path, bytes, io);
  await writeFileAtomic(checkpointJsonPath(path), JSON.stringify({ ...content, tensors: state.tensors.size }, null, 2) + '\n', io);
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint}: tensors as plain data (no tf memory) and the state.
 * @throws Error naming the file when it is not a reacgan checkpoint or is truncated.
 */
export async function loadCheckpoint(path: string): Promise<{ tensors: Map<string, models.TensorData>; meta: TrainingStateMeta; info: CheckpointInfo }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`checkpoint ${path}: cannot read (${(error as Error).message})`);
  }
  let decoded: ReturnType<typeof models.decodeSafetensors>;
  try {
    decoded = models.decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new Error(`checkpoint ${path}: ${(error as Error).message}`);
  }
  const raw = decoded.metadata['reacgan.state'];
  if (decoded.metadata.format !== 'reacgan-checkpoint' || !raw) {
    throw new Error(`checkpoint ${path}: not a reacgan training checkpoint (no 'reacgan.state' metadata)`);
  }
  const content = JSON.parse(raw) as CheckpointContent;
  return { tensors: decoded.tensors, meta: content.meta, info: content.info };
}

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
import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import * as models from '@reacgan/models';
import type * as tf from '@tensorflow/tfjs-core';
import type { TrainingStateMeta } from '../train/state.js';
import { describeFileHead } from './file-kind.js';
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
  evaluation?: { extractor?: 'mnist-judge' | 'cifar10-judge' | 'inception-v3-fid' | 'none'; inceptionWeights?: string | null; allowUnverifiedWeights?: boolean; split?: 'train' | 'test' | 'valid' | 'val' | null };
  /** The training images: a fingerprint of their relative paths and sizes (--resume warns when the data differs). */
  trainingData?: { fingerprint: string };
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
 * Writes a training state (`Trainer.getState()`, or plain tensor data, e.g. an imported run) to `path`
 * (…/last.safetensors) atomically, then its `.json` companion. Does not dispose `state.tensors`.
 */
export async function saveCheckpoint(
  path: string,
  state: { tensors: Map<string, tf.Tensor | models.TensorData>; meta: TrainingStateMeta },
  info: CheckpointInfo,
  io: AtomicWriteIo = nodeIo,
): Promise<void> {
  const content: CheckpointContent = { meta: state.meta, info };
  const json = JSON.stringify(content);
  const bytes = await models.encodeSafetensorsAsync(state.tensors, { format: 'reacgan-checkpoint', 'reacgan.state': json });
  await writeFileAtomic(path, bytes, io);
  await writeFileAtomic(checkpointJsonPath(path), JSON.stringify({ ...content, tensors: state.tensors.size }, null, 2) + '\n', io);
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint}: tensors as plain data (no tf memory) and the state.
 * `options.flag` names the CLI flag that gave the path in errors (default 'checkpoint').
 * @throws Error naming the flag and file, what was expected and what the file is, when it is not a reacgan
 *   checkpoint or is truncated.
 */
export async function loadCheckpoint(path: string, options: { flag?: string } = {}): Promise<{ tensors: Map<string, models.TensorData>; meta: TrainingStateMeta; info: CheckpointInfo }> {
  const name = `${options.flag ?? 'checkpoint'} ${path}`;
  let bytes: Uint8Array;
  try {
    bytes = await readWholeFile(path);
  } catch (error) {
    throw new Error(`${name}: cannot read (${(error as Error).message})`);
  }
  let decoded: ReturnType<typeof models.decodeSafetensors>;
  try {
    decoded = models.decodeSafetensors(bytes);
  } catch (error) {
    throw new Error(`${name}: expected a reacgan checkpoint (.safetensors, as reacgan train writes it), received ${describeFileHead(bytes.subarray(0, 64), bytes.length)}, which does not decode (${(error as Error).message})`);
  }
  const raw = decoded.metadata['reacgan.state'];
  if (decoded.metadata.format !== 'reacgan-checkpoint' || !raw) {
    throw new Error(`${name}: not a reacgan training checkpoint (no 'reacgan.state' metadata)`);
  }
  const content = JSON.parse(raw) as CheckpointContent;
  return { tensors: decoded.tensors, meta: content.meta, info: content.info };
}

/**
 * Throws unless a checkpoint holds a whole training state (G, D and both optimizers' moments), naming what is
 * missing: a run imported from StudioGAN with its G_ema or G file only holds a generator.
 */
export function assertResumable(file: string, checkpoint: { tensors: Map<string, unknown>; info?: CheckpointInfo }): void {
  const has = (prefix: string) => [...checkpoint.tensors.keys()].some((k) => k.startsWith(prefix));
  const missing = [['G.', 'the generator (G.*)'], ['D.', 'the discriminator (D.*)'], ['optG.m.', "G's Adam moments (optG.*)"], ['optD.m.', "D's Adam moments (optD.*)"]]
    .filter(([prefix]) => !has(prefix))
    .map(([, what]) => what);
  if (!missing.length) return;
  const imported = (checkpoint.info as { import?: { which?: string } } | undefined)?.import;
  throw new Error(
    `--resume ${file}: the checkpoint lacks ${missing.join(', ')}, so training cannot continue from it` +
      (imported ? ` (imported from StudioGAN as ${imported.which ?? '?'} only; import the run's G, D and G_ema files together)` : ''),
  );
}

/**
 * A file's bytes, read in chunks into one buffer: unlike fs.readFile (which refuses files over 2 GiB), this
 * reads checkpoints up to the largest buffer Node allows (4 GiB on 64-bit), e.g. a full ImageNet BigGAN
 * training state (G, D, G_ema and Adam's moments: 2.2 GB).
 */
async function readWholeFile(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const out = new Uint8Array(size);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(out, offset, Math.min(size - offset, 1 << 30), offset);
      if (bytesRead === 0) throw new Error(`truncated while reading (${offset} of ${size} bytes)`);
      offset += bytesRead;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** The checkpoint `--resume <run directory | checkpoint file>` names. @throws Error naming --resume, what was expected and what was received. */
export function resumeCheckpointPath(resume: string): string {
  const expected = '--resume: expected a run directory (with checkpoints/last.safetensors) or a .safetensors checkpoint file';
  if (!existsSync(resume)) throw new Error(`${expected}, received ${resume}, which does not exist`);
  const isDirectory = statSync(resume).isDirectory();
  if (!isDirectory && resume.endsWith('.safetensors')) return resume;
  if (!isDirectory) throw new Error(`${expected}, received ${resume}, a file that is not a .safetensors checkpoint`);
  const file = join(resume, 'checkpoints', 'last.safetensors');
  if (!existsSync(file)) throw new Error(`${expected}, received ${resume}, a folder without checkpoints/last.safetensors`);
  return file;
}

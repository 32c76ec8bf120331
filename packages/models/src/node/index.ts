import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeCheckpoint, encodeCheckpointAsync, type Checkpoint, type CheckpointInput } from '../checkpoint.js';

/**
 * Node file I/O for checkpoints (`@reacgan/models/node`). The core encoders live in the main
 * entry, which stays browser-safe.
 */

export interface SaveCheckpointOptions {
  /**
   * Also write the JSON document next to the checkpoint, human-readable (default true when the
   * checkpoint has one): `run/last.safetensors` → `run/last.json`. The copy inside the
   * safetensors file is the authoritative one.
   */
  sidecarJson?: boolean;
}

/** `dir/name.safetensors` → `dir/name.json`. */
export function sidecarPath(checkpointPath: string): string {
  const ext = path.extname(checkpointPath);
  return (ext === '.safetensors' ? checkpointPath.slice(0, -ext.length) : checkpointPath) + '.json';
}

async function writeAtomically(target: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const temporary = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  // Persist the rename itself (best effort: not every platform can fsync a directory).
  try {
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch {
    // ignored
  }
}

/**
 * Writes a checkpoint (safetensors + embedded JSON) atomically: the bytes go to a temporary file
 * in the same directory, which is fsynced and then renamed over `filePath`, so a crash leaves
 * either the old checkpoint or the new one, never a partial file. Tensor values are read with
 * `await tensor.data()`; nothing is disposed.
 */
export async function saveCheckpoint(filePath: string, checkpoint: CheckpointInput, options: SaveCheckpointOptions = {}): Promise<void> {
  const bytes = await encodeCheckpointAsync(checkpoint);
  await writeAtomically(filePath, bytes);
  if (checkpoint.json !== undefined && (options.sidecarJson ?? true)) {
    await writeAtomically(sidecarPath(filePath), JSON.stringify(checkpoint.json, null, 2) + '\n');
  }
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint} (or any safetensors file).
 * @throws when the file is missing or truncated / malformed (the message names the file).
 */
export async function loadCheckpoint(filePath: string): Promise<Checkpoint> {
  const bytes = await fs.readFile(filePath);
  try {
    return decodeCheckpoint(bytes);
  } catch (error) {
    throw new Error(`loadCheckpoint(${filePath}): ${(error as Error).message}`);
  }
}

/** Writes raw bytes atomically (temporary file + fsync + rename). */
export { writeAtomically as writeFileAtomically };

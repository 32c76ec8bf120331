/**
 * Reading a `torch.save` file from disk entry by entry (Node only): the zip archive is opened with yauzl, and
 * only `data.pkl` and the storages the caller needs are read, one at a time — a 1 GB checkpoint is never held
 * twice in memory, and its scalars (a StudioGAN D file's step, best_fid …) can be read without its tensors.
 * Legacy (non-zip) files are read whole.
 */
import { open, readFile } from 'node:fs/promises';
import yauzl from 'yauzl';
import { readTorchCheckpoint, readTorchZipEntries, TorchCheckpointError } from './read-checkpoint.js';

/**
 * Reads a checkpoint file (zip or legacy `torch.save` format) as {@link readTorchCheckpoint} does.
 * @param options.tensors false (zip files only): tensors come back as `TorchTensorInfo` (dtype, shape) and no
 *   storage is read. Default true.
 * @throws TorchCheckpointError naming the file when it cannot be read or decoded.
 */
export async function readTorchCheckpointFile(file: string, options: { tensors?: boolean } = {}): Promise<unknown> {
  const head = new Uint8Array(4);
  try {
    const handle = await open(file, 'r');
    try {
      await handle.read(head, 0, 4, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new TorchCheckpointError(`${file}: cannot read (${(error as Error).message})`);
  }
  const isZip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  try {
    if (!isZip) {
      if (options.tensors === false) throw new TorchCheckpointError('reading without tensors needs the zip format (torch ≥ 1.6); this is a legacy file');
      return readTorchCheckpoint(await readFile(file));
    }
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, z) => (err ? reject(err) : resolve(z))));
    try {
      const entries = await listEntries(zip);
      return await readTorchZipEntries(
        {
          names: [...entries.keys()],
          read: (name) => readEntry(zip, entries.get(name)!),
        },
        options,
      );
    } finally {
      zip.close();
    }
  } catch (error) {
    const message = (error as Error).message;
    throw new TorchCheckpointError(message.startsWith(file) ? message : `${file}: ${message}`);
  }
}

function listEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      const out = new Uint8Array(entry.uncompressedSize);
      let offset = 0;
      stream.on('data', (chunk: Buffer) => {
        if (offset + chunk.length > out.length) return stream.destroy(new Error(`entry ${entry.fileName} is longer than its header says`));
        out.set(chunk, offset);
        offset += chunk.length;
        return undefined;
      });
      stream.on('end', () => (offset === out.length ? resolve(out) : reject(new Error(`entry ${entry.fileName} is truncated (${offset} of ${out.length} bytes)`))));
      stream.on('error', reject);
      return undefined;
    });
  });
}

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type yauzl from 'yauzl';
import { DatasetError } from '../errors.js';
import { defaultCacheDir } from './files.js';
import { loadOptional } from './optional.js';

/** Archive names `extractArchive` unpacks (case-insensitive). */
export const ARCHIVE_EXTENSIONS: readonly string[] = ['.tar.gz', '.tgz', '.tar', '.zip'];

/** Whether `file` is named like an archive `extractArchive` unpacks (.tar.gz, .tgz, .tar, .zip). */
export function isArchivePath(file: string): boolean {
  const lower = file.toLowerCase();
  return ARCHIVE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

const MARKER = '.reacgan-extracted';

/**
 * Unpacks `archive` into the folder `target` once: into a staging folder first, then renamed into place
 * (atomic: an interrupted unpack leaves no half-filled `target`), with a marker file holding `stamp`. A
 * `target` whose marker holds the same `stamp` is reused as it is. When `inner` is given and the archive
 * holds that folder, `target` is that folder's content. tar entries that would land outside the folder
 * (absolute paths, `..`) are refused by tar (stripped), zip entries by `unzip`.
 * @returns `target`.
 */
export async function extractOnce(archive: string, target: string, stamp: string, options: { inner?: string; force?: boolean } = {}): Promise<string> {
  const marker = path.join(target, MARKER);
  if (!options.force && (await fs.promises.readFile(marker, 'utf8').catch(() => null)) === `${stamp}\n`) return target;
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const staging = `${target}.extract-${process.pid}`;
  await fs.promises.rm(staging, { recursive: true, force: true });
  try {
    await fs.promises.mkdir(staging, { recursive: true });
    if (archive.toLowerCase().endsWith('.zip')) await unzip(archive, staging);
    else {
      const { extract: tarExtract } = await loadOptional('tar', () => import('tar'));
      await tarExtract({ file: archive, cwd: staging, strict: true, preserveOwner: false, noMtime: true, noChmod: true }).catch((error: Error) => {
        throw new DatasetError('BAD_LAYOUT', `${archive}: cannot unpack (${error.message})`, { problems: [{ file: archive, problem: error.message }], cause: error });
      });
    }
    const inner = options.inner ? path.join(staging, options.inner) : null;
    const from = inner && fs.existsSync(inner) ? inner : staging;
    await fs.promises.writeFile(path.join(from, MARKER), `${stamp}\n`);
    await fs.promises.rm(target, { recursive: true, force: true });
    await fs.promises.rename(from, target);
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
  return target;
}

/**
 * An archive of image folders (or any files) unpacked once into the dataset cache, for loaders that read
 * folders: `<cache>/extracted/<archive name>-<key>/`, the key a hash of the archive's absolute path, size
 * and modification time (a replaced archive is unpacked again). When the archive holds a single top-level
 * folder (e.g. `cifar10/train/…`), the returned path is that folder.
 *
 * @param archive a .tar.gz, .tgz, .tar or .zip file.
 * @param options cacheDir: the dataset cache (default: see `defaultCacheDir`); log: told when it unpacks.
 * @returns the folder holding the archive's content.
 * @throws DatasetError MISSING_FILE (no such file), BAD_ARGUMENT (not an archive name), BAD_LAYOUT (unreadable archive).
 */
export async function extractArchive(archive: string, options: { cacheDir?: string; log?: (line: string) => void } = {}): Promise<string> {
  const file = path.resolve(archive);
  const stat = await fs.promises.stat(file).catch(() => null);
  if (!stat?.isFile()) throw new DatasetError('MISSING_FILE', `archive ${file} does not exist or is not a file`, { problems: [{ file, problem: 'not found' }] });
  if (!isArchivePath(file)) {
    throw new DatasetError('BAD_ARGUMENT', `archive ${file}: expected a file named *${ARCHIVE_EXTENSIONS.join(', *')}, received ${path.basename(file)}`);
  }
  const stamp = JSON.stringify({ archive: file, size: stat.size, mtimeMs: stat.mtimeMs });
  const key = createHash('sha256').update(stamp).digest('hex').slice(0, 12);
  const base = path.basename(file).replace(/\.(tar\.gz|tgz|tar|zip)$/i, '');
  const target = path.join(defaultCacheDir(options.cacheDir), 'extracted', `${base}-${key}`);
  const cached = (await fs.promises.readFile(path.join(target, MARKER), 'utf8').catch(() => null)) === `${stamp}\n`;
  if (!cached) options.log?.(`unpacking ${file} into ${target} (once)`);
  await extractOnce(file, target, stamp);
  const top = (await fs.promises.readdir(target, { withFileTypes: true })).filter((e) => e.name !== MARKER && !e.name.startsWith('.'));
  return top.length === 1 && top[0].isDirectory() ? path.join(target, top[0].name) : target;
}

/** Unpacks a zip archive into `dest` (created), refusing entries that would land outside it. */
export async function unzip(zipFile: string, dest: string): Promise<void> {
  await fs.promises.mkdir(dest, { recursive: true });
  const root = path.resolve(dest);
  const { default: yauzlModule } = await loadOptional('yauzl', () => import('yauzl'));
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzlModule.open(zipFile, { lazyEntries: true, autoClose: true }, (err, z) => (err ? reject(err) : resolve(z!))));
  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown): void => {
      zip.close();
      reject(error instanceof DatasetError ? error : new DatasetError('BAD_LAYOUT', `${zipFile}: cannot unpack (${(error as Error).message})`, { cause: error }));
    };
    zip.on('error', fail);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      const target = path.resolve(root, entry.fileName);
      if (target !== root && !target.startsWith(root + path.sep)) return fail(new DatasetError('BAD_LAYOUT', `${zipFile}: entry ${entry.fileName} would be written outside ${root}; refusing to unpack`));
      if (entry.fileName.endsWith('/')) {
        fs.promises.mkdir(target, { recursive: true }).then(() => zip.readEntry(), fail);
        return undefined;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return fail(err);
        fs.promises
          .mkdir(path.dirname(target), { recursive: true })
          .then(() => pipeline(stream, fs.createWriteStream(target)))
          .then(() => zip.readEntry(), fail);
        return undefined;
      });
      return undefined;
    });
    zip.readEntry();
  });
}

/**
 * What a file given to a flag actually is (empty, a zip archive such as a PyTorch .pth, a legacy torch.save file,
 * text, other bytes), for errors that say what was expected and what was received; and the config-file reader
 * that refuses binary files with that description (`train --config`, `import-studiogan --config`).
 */
import { readFile } from 'node:fs/promises';

/** Whether the bytes start like a zip archive (PK\x03\x04: a .pth checkpoint of torch >= 1.6, a .zip). */
export function isZipHead(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** The text of `head` when it reads as text (UTF-8, no control bytes but tab/newlines), else null. */
function textOf(head: Uint8Array): string | null {
  const text = Buffer.from(head).toString('utf8').replace(/\ufffd+$/, ''); // a character cut at the end of the head
  return !text.includes('\ufffd') && /^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/.test(text) ? text : null;
}

/**
 * What a file is, from its first bytes (`head`, e.g. 64) and its size: 'an empty file', 'a zip archive …',
 * 'a legacy torch.save file …', 'a text file (N bytes, first line "…")' or 'a N-byte file starting with bytes …'.
 */
export function describeFileHead(head: Uint8Array, size: number): string {
  if (size === 0) return 'an empty file';
  if (isZipHead(head)) return `a zip archive (${size} bytes; a PyTorch .pth checkpoint is one)`;
  if (head[0] === 0x80 && head[1] === 0x02 && head[2] === 0x8a) return 'a legacy torch.save file (torch < 1.6, not a zip archive): re-save it with torch >= 1.6 (torch.save(torch.load(f), f))';
  const text = textOf(head);
  if (text !== null) {
    const firstLine = text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
    return `a text file (${size} bytes, first line ${JSON.stringify(firstLine.slice(0, 60))})`;
  }
  return `a ${size}-byte file starting with bytes ${Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')} (a zip archive starts with 50 4b 03 04)`;
}

/**
 * Reads a YAML config given to `flag` as text. A binary file (a zip archive such as a .pth checkpoint, anything
 * not text) is refused naming the flag, a StudioGAN YAML as what was expected, what the file is, and for a zip
 * archive `zipHint` (where a checkpoint goes instead).
 * @throws Error `<flag> <path>: cannot read (…)` or `<flag> <path>: expected a StudioGAN YAML config …, received …`.
 */
export async function readConfigFile(path: string, flag: string, zipHint: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`${flag} ${path}: cannot read (${(error as Error).message})`);
  }
  const head = bytes.subarray(0, 64);
  if (bytes.length > 0 && (isZipHead(head) || textOf(head) === null)) {
    throw new Error(`${flag} ${path}: expected a StudioGAN YAML config (e.g. src/configs/CIFAR10/ReACGAN.yaml), received ${describeFileHead(head, bytes.length)}${isZipHead(head) ? `; ${zipHint}` : ''}`);
  }
  return bytes.toString('utf8');
}

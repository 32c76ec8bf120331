import fs from 'node:fs';
import { DatasetError, badArgument } from '../errors.js';
import type { DecodedImage } from '../types.js';
import { loadOptional } from './optional.js';

// Optional peer dependencies, loaded on first use (see optional.ts).
const importSharp = () => import('sharp');
const importBmp = () => import('bmp-ts');
let sharpModule: ReturnType<typeof importSharp> | undefined;
let bmpModule: ReturnType<typeof importBmp> | undefined;
const loadSharp = async () => (await (sharpModule ??= loadOptional('sharp', importSharp))).default;
const loadBmpDecode = async () => (await (bmpModule ??= loadOptional('bmp-ts', importBmp))).decode;
type BmpDecode = Awaited<ReturnType<typeof loadBmpDecode>>;

/**
 * What happens to an alpha channel (RGBA PNG/WebP, palette PNG with tRNS, grey+alpha):
 * - 'drop' (default): the alpha channel is discarded and the stored colour kept, so a fully
 *   transparent red pixel (255, 0, 0, 0) becomes (255, 0, 0). This is what PIL's
 *   `Image.convert('RGB')` does, i.e. torchvision's ImageFolder loader and StudioGAN.
 * - 'black' / 'white': composite over a black / white background (premultiplied), so that pixel
 *   becomes (0, 0, 0) / (255, 255, 255).
 */
export type AlphaPolicy = 'drop' | 'black' | 'white';

export interface DecodeOptions {
  /** Alpha rule, default 'drop'. */
  alpha?: AlphaPolicy;
  /**
   * Output channels: 3 (default, RGB) or 1 (luma as PIL's `convert('L')` of the RGB image:
   * L = (19595·R + 38470·G + 7471·B + 2^15) >> 16, so a greyscale source keeps its values exactly).
   */
  channels?: 1 | 3;
}

/**
 * File extensions read as images (case-insensitive): torchvision's IMG_EXTENSIONS less the
 * netpbm ones (.ppm/.pgm), which the prebuilt libvips in sharp cannot read.
 */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp'];

/** sharp/libvips threads are plenty; a decode error message from libvips can span lines. */
function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}

/**
 * Decodes an image file's bytes to 8-bit RGB, HWC (3 channels), or with `options.channels` 1 to 8-bit
 * luma (PIL's `convert('L')` of that RGB image, see {@link rgbToLuma}).
 * - Formats are recognised by content, not by extension: BMP (`BM` magic) through `bmp-ts`,
 *   everything else (PNG, JPEG, WebP, TIFF, GIF) through `sharp` (libvips).
 * - Greyscale → the value replicated in R, G, B. Palette → its colours. CMYK (JPEG) → sRGB through
 *   libvips' colour management. 16-bit → 8-bit by keeping the high byte (v >> 8; 65535 → 255,
 *   32768 → 128), never the low byte.
 * - Alpha: see `AlphaPolicy` (default 'drop', as PIL's convert('RGB')). BMP alpha is always dropped.
 * - EXIF orientation is not applied (as PIL's `Image.open` + `convert`, i.e. torchvision).
 * - Truncated or corrupt data throws (sharp `failOn: 'truncated'`): JPEGs that end early, empty files,
 *   unknown formats. JPEG warnings that PIL also tolerates (extraneous bytes) are accepted.
 *
 * @param file name used in error messages.
 * @throws DatasetError BAD_IMAGE naming `file` and the decoder's reason.
 */
export async function decodeImage(bytes: Uint8Array, file: string, options: DecodeOptions = {}): Promise<DecodedImage> {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw badArgument('decodeImage(options.channels)', '1 or 3', channels);
  const rgb = await decodeRgb(bytes, file, options.alpha ?? 'drop');
  return channels === 1 ? rgbToLuma(rgb) : rgb;
}

/** PIL's `convert('L')` of an 8-bit RGB image (ITU-R 601-2 luma in 16-bit fixed point, rounded). */
export function rgbToLuma(image: DecodedImage): DecodedImage {
  const [h, w, c] = image.shape;
  if (c !== 3) throw badArgument('rgbToLuma(image)', 'an RGB image (3 channels)', image.shape);
  const out = new Uint8Array(h * w);
  const d = image.data;
  for (let i = 0; i < out.length; i++) out[i] = (d[3 * i] * 19595 + d[3 * i + 1] * 38470 + d[3 * i + 2] * 7471 + 0x8000) >>> 16;
  return { data: out, shape: [h, w, 1] };
}

/** True when every pixel of an RGB image has R = G = B (a greyscale picture stored in colour or decoded to RGB). */
export function isGreyscaleRgb(image: DecodedImage): boolean {
  const d = image.data;
  if (image.shape[2] === 1) return true;
  for (let i = 0; i < d.length; i += 3) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

async function decodeRgb(bytes: Uint8Array, file: string, alpha: AlphaPolicy): Promise<DecodedImage> {
  if (bytes.length === 0) throw new DatasetError('BAD_IMAGE', `${file}: empty file (0 bytes)`, { problems: [{ file, problem: 'empty file (0 bytes)' }] });
  const isBmp = bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
  const decodeBmp = isBmp ? await loadBmpDecode() : null;
  const sharp = isBmp ? null : await loadSharp();
  try {
    if (decodeBmp) return decodeBmpRgb(bytes, decodeBmp);
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pipeline = sharp!(buffer, { failOn: 'truncated', limitInputPixels: 1 << 30 });
    pipeline = alpha === 'drop' ? pipeline.removeAlpha() : pipeline.flatten({ background: alpha === 'black' ? '#000000' : '#ffffff' });
    const { data, info } = await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder returned ${info.channels} channels instead of 3`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), shape: [info.height, info.width, 3] };
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const said = firstLine((error as Error).message);
    const reason = /unsupported image format/i.test(said) ? `not a supported image format (${said})` : `corrupt or truncated image data (decoder: ${said || 'no message'})`;
    throw new DatasetError('BAD_IMAGE', `${file}: cannot decode image: ${reason}`, { problems: [{ file, problem: reason }], cause: error });
  }
}

function decodeBmpRgb(bytes: Uint8Array, decodeBmp: BmpDecode): DecodedImage {
  const decoded = decodeBmp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { toRGBA: true });
  const { width, height } = decoded;
  const expected = width * height * 4;
  if (!(width > 0 && height > 0) || decoded.data.length < expected) throw new Error(`BMP of ${width}×${height} holds ${decoded.data.length} bytes of pixels, expected ${expected}`);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, n = width * height; i < n; i++) {
    out[3 * i] = decoded.data[4 * i];
    out[3 * i + 1] = decoded.data[4 * i + 1];
    out[3 * i + 2] = decoded.data[4 * i + 2];
  }
  return { data: out, shape: [height, width, 3] };
}

/** Reads and decodes one image file (see `decodeImage`); `label` names it in errors (default: the path). */
export async function readImageFile(path: string, options: DecodeOptions & { label?: string } = {}): Promise<DecodedImage> {
  const label = options.label ?? path;
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? 'MISSING_FILE' : 'BAD_IMAGE', `${label}: cannot read (${code ?? (error as Error).message})`, { problems: [{ file: label, problem: String(code ?? (error as Error).message) }], cause: error });
  }
  return decodeImage(bytes, label, options);
}

/** Image header only (fast): [H, W] without decoding pixels. Throws DatasetError BAD_IMAGE. */
export async function readImageSize(bytes: Uint8Array, file: string): Promise<[number, number]> {
  const { height, width } = await readImageHeader(bytes, file);
  return [height, width];
}

/**
 * Image header only: size and whether the stored pixels are greyscale (1 or 2 channels: grey, grey + alpha;
 * BMPs are decoded, so for them R = G = B everywhere decides). Throws DatasetError BAD_IMAGE.
 */
export async function readImageHeader(bytes: Uint8Array, file: string): Promise<{ height: number; width: number; greyscale: boolean }> {
  if (bytes.length === 0) throw new DatasetError('BAD_IMAGE', `${file}: empty file (0 bytes)`, { problems: [{ file, problem: 'empty file (0 bytes)' }] });
  const isBmp = bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
  const decodeBmp = isBmp ? await loadBmpDecode() : null;
  const sharp = isBmp ? null : await loadSharp();
  try {
    if (decodeBmp) {
      const d = decodeBmpRgb(bytes, decodeBmp);
      return { height: d.shape[0], width: d.shape[1], greyscale: isGreyscaleRgb(d) };
    }
    const meta = await sharp!(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).metadata();
    if (!meta.width || !meta.height) throw new Error('no image size in the header');
    return { height: meta.height, width: meta.width, greyscale: meta.channels !== undefined && meta.channels <= 2 };
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const reason = firstLine((error as Error).message);
    throw new DatasetError('BAD_IMAGE', `${file}: cannot read image header (${reason})`, { problems: [{ file, problem: reason }], cause: error });
  }
}

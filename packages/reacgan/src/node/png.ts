import { PNG } from 'pngjs';
import { type Uint8Image } from '../report/images.js';

/** Encodes an 8-bit image as PNG (grayscale for 1 channel, RGB for 3), with pngjs. */
export function encodePng(image: Uint8Image): Buffer {
  const png = new PNG({ width: image.width, height: image.height, colorType: image.channels === 1 ? 0 : 2, inputColorType: image.channels === 1 ? 0 : 2, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return PNG.sync.write(png, { colorType: image.channels === 1 ? 0 : 2, inputColorType: image.channels === 1 ? 0 : 2, inputHasAlpha: false, bitDepth: 8 });
}

/** Decodes a PNG (any colour type) to 8-bit RGBA plus its header's colour type (for tests and tools). */
export function decodePng(bytes: Buffer | Uint8Array): { width: number; height: number; colorType: number; rgba: Uint8Array } {
  const png = PNG.sync.read(Buffer.from(bytes));
  const meta = png as unknown as { colorType?: number };
  return { width: png.width, height: png.height, colorType: meta.colorType ?? -1, rgba: new Uint8Array(png.data) };
}

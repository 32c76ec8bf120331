import { encode as encodeBmp } from 'bmp-ts';
import sharp from 'sharp';

/** Deterministic noisy RGB pixels (incompressible enough that a JPEG of it is several kB). */
export function noiseRgb(width: number, height: number, seed = 1): Buffer {
  const out = Buffer.alloc(width * height * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < out.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function rawRgb(width: number, height: number, rgb: [number, number, number]): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) out.set(rgb, 3 * i);
  return out;
}

export const jpegRgb = (pixels: Buffer, width: number, height: number): Promise<Buffer> => sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
export const jpegCmyk = (pixels: Buffer, width: number, height: number): Promise<Buffer> => sharp(pixels, { raw: { width, height, channels: 3 } }).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
export const webpLossless = (pixels: Buffer, width: number, height: number): Promise<Buffer> => sharp(pixels, { raw: { width, height, channels: 3 } }).webp({ lossless: true }).toBuffer();

/** 24-bit BMP of RGB pixels. */
export function bmpRgb(pixels: Buffer, width: number, height: number): Buffer {
  const abgr = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    abgr[4 * i] = 0;
    abgr[4 * i + 1] = pixels[3 * i + 2];
    abgr[4 * i + 2] = pixels[3 * i + 1];
    abgr[4 * i + 3] = pixels[3 * i];
  }
  return encodeBmp({ width, height, data: abgr, bitPP: 24 }).data;
}

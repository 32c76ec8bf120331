/**
 * Image helpers shared by the trainer and the CLI (browser-safe): float images in [−1, 1] → uint8, and
 * tiling a batch into one grid image.
 */

/** An 8-bit image, row-major, `channels` interleaved (1 = gray, 3 = RGB). */
export interface Uint8Image {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/**
 * Quantises a float pixel in [−1, 1] to 0…255 as StudioGAN's `@HEAD` pipeline does:
 * round((x + 1) / 2 · 255), clamped.
 */
export function toUint8(x: number): number {
  const v = Math.round(((x + 1) / 2) * 255);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Splits NHWC float data in [−1, 1] into 8-bit images.
 * @param data length N·H·W·C; @param shape [N, H, W, C] with C ∈ {1, 3}.
 */
export function imagesFromNhwc(data: Float32Array | ArrayLike<number>, shape: readonly [number, number, number, number] | readonly number[]): Uint8Image[] {
  const [n, h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new Error(`images: expected 1 or 3 channels, received shape [${shape}]`);
  if (data.length !== n * h * w * c) throw new Error(`images: expected ${n * h * w * c} values for shape [${shape}], received ${data.length}`);
  const out: Uint8Image[] = [];
  const size = h * w * c;
  for (let i = 0; i < n; i++) {
    const px = new Uint8Array(size);
    for (let k = 0; k < size; k++) px[k] = toUint8(data[i * size + k]);
    out.push({ width: w, height: h, channels: c as 1 | 3, data: px });
  }
  return out;
}

/**
 * Tiles images into a grid (row-major: image i goes to row ⌊i / columns⌋), separated by `padding` pixels of
 * `background` (0…255). All images must share size and channels.
 */
export function tileImages(images: Uint8Image[], columns: number, padding = 2, background = 255): Uint8Image {
  if (!images.length) throw new Error('tileImages: expected at least one image, received none');
  const { width: w, height: h, channels: c } = images[0];
  for (const img of images) {
    if (img.width !== w || img.height !== h || img.channels !== c) throw new Error(`tileImages: images differ in size or channels (${img.width}×${img.height}×${img.channels} vs ${w}×${h}×${c})`);
  }
  const rows = Math.ceil(images.length / columns);
  const width = columns * w + (columns + 1) * padding;
  const height = rows * h + (rows + 1) * padding;
  const data = new Uint8Array(width * height * c).fill(background);
  images.forEach((img, i) => {
    const r = Math.floor(i / columns);
    const col = i % columns;
    const x0 = padding + col * (w + padding);
    const y0 = padding + r * (h + padding);
    for (let y = 0; y < h; y++) {
      data.set(img.data.subarray(y * w * c, (y + 1) * w * c), ((y0 + y) * width + x0) * c);
    }
  });
  return { width, height, channels: c, data };
}

/**
 * Channel tables of StudioGAN's `resnet` and `big_resnet` backbones (identical in both files,
 * `src/models/{resnet,big_resnet}.py` at v0.3.0), keyed by image size, in units of the base
 * channel count (`g_conv_dim` / `d_conv_dim`). Sizes 8 and 16 are this package's extension
 * (the 32-px tables with fewer blocks) for tiny tests and 8×8 / 16×16 data; they are not in
 * StudioGAN.
 */
export interface ResNetTables {
  generatorIn: number[];
  generatorOut: number[];
  /** Spatial size of linear0's output. */
  bottom: number;
  /** D input channels after the image (the image channels come first). */
  discriminatorIn: number[];
  discriminatorOut: number[];
  discriminatorDown: boolean[];
}

const G_IN: Record<number, number[]> = {
  8: [4],
  16: [4, 4],
  32: [4, 4, 4],
  64: [16, 8, 4, 2],
  128: [16, 16, 8, 4, 2],
  256: [16, 16, 8, 8, 4, 2],
  512: [16, 16, 8, 8, 4, 2, 1],
};
const G_OUT: Record<number, number[]> = {
  8: [4],
  16: [4, 4],
  32: [4, 4, 4],
  64: [8, 4, 2, 1],
  128: [16, 8, 4, 2, 1],
  256: [16, 8, 8, 4, 2, 1],
  512: [16, 8, 8, 4, 2, 1, 1],
};
const D_IN: Record<number, number[]> = {
  8: [2, 2, 2],
  16: [2, 2, 2],
  32: [2, 2, 2],
  64: [1, 2, 4, 8],
  128: [1, 2, 4, 8, 16],
  256: [1, 2, 4, 8, 8, 16],
  512: [1, 1, 2, 4, 8, 8, 16],
};
const D_OUT: Record<number, number[]> = {
  8: [2, 2, 2, 2],
  16: [2, 2, 2, 2],
  32: [2, 2, 2, 2],
  64: [1, 2, 4, 8, 16],
  128: [1, 2, 4, 8, 16, 16],
  256: [1, 2, 4, 8, 8, 16, 16],
  512: [1, 1, 2, 4, 8, 8, 16, 16],
};
const D_DOWN: Record<number, boolean[]> = {
  8: [true, false, false, false],
  16: [true, true, false, false],
  32: [true, true, false, false],
  64: [true, true, true, true, false],
  128: [true, true, true, true, true, false],
  256: [true, true, true, true, true, true, false],
  512: [true, true, true, true, true, true, true, false],
};

/** Image sizes the resnet / big_resnet backbones support. */
export const RESNET_IMAGE_SIZES: readonly number[] = [8, 16, 32, 64, 128, 256, 512];

export function resnetTables(imgSize: number, gConvDim: number, dConvDim: number, caller: string): ResNetTables {
  if (!RESNET_IMAGE_SIZES.includes(imgSize)) {
    throw new Error(`${caller}: imgSize must be one of ${RESNET_IMAGE_SIZES.join(', ')} for this backbone, received ${imgSize}`);
  }
  return {
    generatorIn: G_IN[imgSize].map((m) => m * gConvDim),
    generatorOut: G_OUT[imgSize].map((m) => m * gConvDim),
    bottom: 4,
    discriminatorIn: D_IN[imgSize].map((m) => m * dConvDim),
    discriminatorOut: D_OUT[imgSize].map((m) => m * dConvDim),
    discriminatorDown: D_DOWN[imgSize],
  };
}

import { DeepConvDiscriminator, DeepConvGenerator } from './architectures/deep-conv.js';
import { ResNetDiscriminator, ResNetGenerator } from './architectures/resnet.js';
import { validateDataOptions, validateModelConfig, type ModelConfigInput, type ModelDataOptions } from './config.js';
import { resolveSettings, type Discriminator, type Generator } from './networks.js';

/**
 * Builds StudioGAN's generator for `modelConfig.backbone` ('deep_conv', 'resnet', 'big_resnet').
 * The config is validated (unknown keys and bad values throw {@link ModelConfigError}).
 * Parameter names, shapes (up to the documented layout transforms) and counts equal StudioGAN
 * v0.3.0's for the same config.
 *
 * @example
 * const G = createGenerator({ backbone: 'big_resnet', gCondMtd: 'cBN', zDim: 80, gSharedDim: 128,
 *   gConvDim: 96, applyGSn: true, applyAttn: true, attnGLoc: [2] },
 *   { imgSize: 32, imgChannels: 3, numClasses: 10, seed: 0 });
 * const images = G.apply(z, labels, { training: false }); // [N, 32, 32, 3] in [-1, 1]
 */
export function createGenerator(modelConfig: ModelConfigInput, data: ModelDataOptions): Generator {
  const config = validateModelConfig(modelConfig);
  validateDataOptions(data, 'createGenerator');
  const settings = resolveSettings(config, data);
  switch (config.backbone) {
    case 'deep_conv':
      return new DeepConvGenerator(settings);
    case 'resnet':
    case 'big_resnet':
      return new ResNetGenerator(settings);
  }
}

/**
 * Builds StudioGAN's discriminator for `modelConfig.backbone`, with the conditioning head of
 * `modelConfig.dCondMtd` (see {@link DiscriminatorOutput}).
 */
export function createDiscriminator(modelConfig: ModelConfigInput, data: ModelDataOptions): Discriminator {
  const config = validateModelConfig(modelConfig);
  validateDataOptions(data, 'createDiscriminator');
  const settings = resolveSettings(config, data);
  switch (config.backbone) {
    case 'deep_conv':
      return new DeepConvDiscriminator(settings);
    case 'resnet':
    case 'big_resnet':
      return new ResNetDiscriminator(settings);
  }
}

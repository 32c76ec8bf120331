import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_CONFIG, ModelConfigError, validateModelConfig } from './config.js';
import { createGenerator } from './create.js';

describe('validateModelConfig', () => {
  it("fills StudioGAN v0.3.0's MODEL defaults", () => {
    const config = validateModelConfig({});
    expect(config).toEqual(DEFAULT_MODEL_CONFIG);
    expect(config).toMatchObject({ backbone: 'resnet', gCondMtd: 'W/O', dCondMtd: 'W/O', zDim: 128, gConvDim: 64, dConvDim: 64, gInit: 'ortho', dInit: 'ortho', applyGSn: false });
  });

  it("accepts the CIFAR10 ReACGAN MODEL section verbatim (camelCased), 'N/A' locations included", () => {
    const config = validateModelConfig({
      backbone: 'big_resnet', gCondMtd: 'cBN', dCondMtd: 'D2DCE', normalizeDEmbed: true, dEmbedDim: 512, applyGSn: true,
      applyDSn: true, applyAttn: true, attnGLoc: [2], attnDLoc: [1], zDim: 80, gSharedDim: 128, gConvDim: 96, dConvDim: 96,
      applyGEma: true, gEmaDecay: 0.9999, gEmaStart: 1000,
    });
    expect(config.attnGLoc).toEqual([2]);
    expect(validateModelConfig({ attnGLoc: ['N/A'] }).attnGLoc).toEqual([]);
  });

  it('rejects unknown keys, pointing snake_case keys to their camelCase name', () => {
    expect(() => validateModelConfig({ d_embed_dim: 512 } as never)).toThrow(/d_embed_dim.*'dEmbedDim'/);
    expect(() => validateModelConfig({ temperature: 0.5 } as never)).toThrow(/temperature: expected one of the MODEL keys/);
  });

  it('reports every bad value at once, naming key, expectation and value', () => {
    let error: ModelConfigError | undefined;
    try {
      validateModelConfig({ backbone: 'vgg' as never, zDim: -3, dCondMtd: 'XX' as never, applyDSn: 'yes' as never });
    } catch (e) {
      error = e as ModelConfigError;
    }
    expect(error).toBeInstanceOf(ModelConfigError);
    expect(error!.problems).toHaveLength(4);
    expect(error!.message).toMatch(/backbone: expected one of 'deep_conv', 'resnet', 'big_resnet', received 'vgg'/);
    expect(error!.message).toMatch(/zDim: expected a positive integer, received -3/);
    expect(error!.message).toMatch(/applyDSn: expected a boolean, received 'yes'/);
  });

  it('checks the combinations StudioGAN requires', () => {
    expect(() => validateModelConfig({ dCondMtd: 'D2DCE' })).toThrow(/dEmbedDim: expected a positive integer when dCondMtd is 'D2DCE'/);
    expect(() => validateModelConfig({ backbone: 'big_resnet' })).toThrow(/gSharedDim/);
    expect(() => validateModelConfig({ backbone: 'stylegan2' as never })).toThrow(/not implemented/);
    expect(() => validateModelConfig({ auxClsType: 'TAC', dCondMtd: 'PD' })).toThrow(/auxClsType/);
    expect(() => validateModelConfig({ applyGEma: true })).toThrow(/gEmaDecay.*\n.*gEmaStart/);
    expect(() => validateModelConfig({ resnetBadInit: 1 } as never)).toThrow(ModelConfigError);
    expect(validateModelConfig({ backbone: 'deep_conv', gConvDim: 'N/A', dConvDim: 'N/A' }).gConvDim).toBe('N/A');
    expect(() => validateModelConfig({ gConvDim: 'N/A' })).toThrow(/gConvDim: expected a positive integer for the 'resnet' backbone/);
  });

  it("gCbnLayout: v0.3.0's cBN keys by default, StudioGAN master's with 'linear' (same parameter count)", () => {
    expect(validateModelConfig({}).gCbnLayout).toBe('embed');
    expect(() => validateModelConfig({ gCbnLayout: 'gain' as never })).toThrow(/gCbnLayout: expected one of 'embed', 'linear', received 'gain'/);
    for (const backbone of ['deep_conv', 'resnet'] as const) {
      const base = { backbone, gCondMtd: 'cBN', applyGSn: true, gConvDim: backbone === 'resnet' ? 8 : 4 } as const;
      const data = { imgSize: 32, imgChannels: 3, numClasses: 10, initialize: false };
      const v030 = createGenerator(base, data);
      const master = createGenerator({ ...base, gCbnLayout: 'linear' }, data);
      const cbn = (G: typeof v030) => [...G.stateDict()].filter(([k]) => /\.bn[0-9]\.(embed|gain|bias)/.test(k)).slice(0, 3).map(([k, v]) => [k, v.shape]);
      const bn = backbone === 'resnet' ? 'bn1' : 'bn0';
      const c = backbone === 'resnet' ? 32 : 16;
      expect(cbn(v030)).toEqual([[`blocks.0.0.${bn}.embed0.weight_orig`, [10, c]], [`blocks.0.0.${bn}.embed0.weight_u`, [10]], [`blocks.0.0.${bn}.embed0.weight_v`, [c]]]);
      expect(cbn(master)).toEqual([[`blocks.0.0.${bn}.gain.weight_orig`, [c, 10]], [`blocks.0.0.${bn}.gain.weight_u`, [c]], [`blocks.0.0.${bn}.gain.weight_v`, [10]]]);
      expect(master.numParameters()).toBe(v030.numParameters());
      v030.dispose();
      master.dispose();
    }
  });
});

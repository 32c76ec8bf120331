import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { camelToSnake, snakeToCamel, transformStudioGanKeys } from '../src/config/keys.js';
import { getPreset, mergeConfigInputs, presetNames, PRESETS, resolvePreset } from '../src/config/presets.js';
import { ConfigError, resolveConfig, unsupportedFeatures } from '../src/config/resolve.js';
import { parseConfigText, resolveConfigText } from '../src/config/yaml.js';

const fixtures = new URL('./__fixtures__/studiogan-v0.3.0/', import.meta.url);
const studioGan = (file: string) => readFileSync(new URL(file, fixtures), 'utf8');
const masterFixtures = new URL('./__fixtures__/studiogan-master/', import.meta.url);
const studioGanMaster = (file: string) => readFileSync(new URL(file, masterFixtures), 'utf8');

describe('key transform', () => {
  it('maps snake_case to camelCase mechanically and back', () => {
    expect(snakeToCamel('img_size')).toBe('imgSize');
    expect(snakeToCamel('m_p')).toBe('mP');
    expect(snakeToCamel('g_ema_start')).toBe('gEmaStart');
    expect(snakeToCamel('lo_steps4train')).toBe('loSteps4train');
    expect(snakeToCamel('type_')).toBe('type');
    expect(snakeToCamel('gEmaStart')).toBe('gEmaStart');
    expect(camelToSnake('gEmaStart')).toBe('g_ema_start');
    expect(camelToSnake('dUpdatesPerStep')).toBe('d_updates_per_step');
  });

  it('lower-cases sections, turns "N/A" into null outside MODEL and records origins', () => {
    const origins = new Map<string, string>();
    const out = transformStudioGanKeys({ LOSS: { cond_lambda: 'N/A' }, MODEL: { d_embed_dim: 'N/A' } }, origins);
    expect(out).toEqual({ loss: { condLambda: null }, model: { dEmbedDim: 'N/A' } });
    expect(origins.get('loss.condLambda')).toBe('LOSS.cond_lambda');
  });

  it('rejects two spellings of one key', () => {
    expect(() => transformStudioGanKeys({ LOSS: { m_p: 0.9, mP: 0.8 } })).toThrow(/'LOSS\.m_p' and 'LOSS\.mP' both map to 'loss\.mP'/);
  });
});

describe('validation', () => {
  it('fills StudioGAN v0.3.0 config.py defaults', () => {
    // Source: StudioGAN v0.3.0 src/config.py load_base_cfgs.
    const c = resolveConfig({});
    expect(c.data).toEqual({ name: 'CIFAR10', imgSize: 32, numClasses: 10, imgChannels: 3, root: null });
    expect(c.model.backbone).toBe('resnet');
    expect(c.model.gCondMtd).toBe('W/O');
    expect(c.model.dCondMtd).toBe('W/O');
    expect(c.model.zDim).toBe(128);
    expect(c.model.gConvDim).toBe(64);
    expect(c.model.applyGEma).toBe(false);
    expect(c.loss.advLoss).toBe('vanilla');
    expect(c.loss.condLambda).toBeNull();
    expect(c.optimization).toMatchObject({
      type: 'Adam',
      batchSize: 64,
      acmlSteps: 1,
      gLr: 0.0002,
      dLr: 0.0002,
      gWeightDecay: 0,
      dWeightDecay: 0,
      beta1: 0.5,
      beta2: 0.999,
      epsilon: 1e-6, // define_optimizer: eps 1e-6 for non-StyleGAN models
      gUpdatesPerStep: 1,
      dUpdatesPerStep: 5,
      totalSteps: 100000,
    });
    expect(c.pre.applyRflip).toBe(true);
    expect(c.aug.applyDiffaug).toBe(false);
    expect(c.run.sampleEvery).toBe(c.run.saveEvery);
  });

  it('rejects unknown keys, naming the key (in the YAML spelling when from a file)', () => {
    expect(() => resolveConfig({ loss: { foo: 1 } } as never)).toThrow(/loss\.foo: unknown key/);
    expect(() => resolveConfig({ nonsense: {} } as never)).toThrow(/nonsense: unknown key/);
    expect(() => resolveConfig({ model: { zDimm: 3 } })).toThrow(/model\.zDimm/);
    expect(() => resolveConfigText('LOSS:\n  adv_loss: "hinge"\n  bogus_key: 1\n', 'x.yaml')).toThrow(/loss\.bogusKey \(LOSS\.bogus_key\): unknown key/);
    expect(() => resolveConfigText('RUN:\n  seed: 1\nFOO:\n  a: 1\n', 'x.yaml')).toThrow(/foo \(FOO\): unknown key/);
  });

  it('names the key, the expected and the received value for bad values', () => {
    let error: ConfigError | undefined;
    try {
      resolveConfig({ optimization: { batchSize: 0, beta1: 'x' as never }, loss: { advLoss: 'hinj' as never }, data: { imgChannels: 2 as never } });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error!.issues.join('\n');
    expect(text).toMatch(/optimization\.batchSize: expected > 0, received 0/);
    expect(text).toMatch(/optimization\.beta1: expected number, received string "x"/);
    expect(text).toMatch(/loss\.advLoss: expected one of "vanilla", "logistic", "least_square", "hinge", "wasserstein", "MH", received "hinj"/);
    expect(text).toMatch(/data\.imgChannels: .*received 2/);
    expect(() => resolveConfig({ model: { zDim: -3 } })).toThrow(/model\.zDim: expected a positive integer, received -3/);
  });

  it('requires the conditioning keys of the method', () => {
    expect(() => resolveConfig({ model: { dCondMtd: 'D2DCE', dEmbedDim: 8 }, loss: { condLambda: 0.5 } })).toThrow(/loss\.temperature: .*required by model\.dCondMtd 'D2DCE'/);
    expect(() => resolveConfig({ model: { dCondMtd: 'D2DCE', dEmbedDim: 8 }, loss: { condLambda: 0.5, temperature: 0.5 } })).toThrow(/loss\.mP: /);
    expect(() => resolveConfig({ model: { dCondMtd: 'AC' } })).toThrow(/loss\.condLambda: expected a number \(required by model\.dCondMtd 'AC'\), received null/);
    expect(() => resolveConfig({ model: { dCondMtd: 'MH' }, loss: { advLoss: 'hinge', mhLambda: 0.05 } })).toThrow(/loss\.advLoss: expected "MH"/);
    expect(() => resolveConfig({ model: { applyGEma: true } })).toThrow(/model\.gEmaDecay/);
  });

  it('resolves m_n = 1 − m_p and keeps an explicit m_n', () => {
    const base = { model: { dCondMtd: 'D2DCE', dEmbedDim: 8 }, loss: { condLambda: 0.5, temperature: 0.5, mP: 0.98 } };
    expect(resolveConfig(base).loss.mN).toBeCloseTo(0.02, 12);
    expect(resolveConfig(mergeConfigInputs(base, { loss: { mN: 0.1 } })).loss.mN).toBe(0.1);
  });

  it('lists StudioGAN features the trainer does not implement', () => {
    const c = resolveConfigText(studioGan('CIFAR10_ReACGAN-ADA.yaml'), 'ReACGAN-ADA.yaml');
    expect(unsupportedFeatures(c)).toEqual(['aug.applyAda']);
    expect(unsupportedFeatures(resolvePreset('cifar10/reacgan'))).toEqual([]);
  });
});

describe('StudioGAN YAML files are accepted as they are', () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.yaml'));
  for (const file of files.filter((f) => !f.includes('StyleGAN2'))) {
    it(file, () => {
      const config = resolveConfigText(studioGan(file), file);
      expect(config.data.name.length).toBeGreaterThan(0);
      expect(config.optimization.epsilon).toBe(1e-6);
    });
  }

  it("master's ReACGAN-LeCam.yaml (keys v0.3.0 did not have) is accepted as it is, and the variant files switch on what they name", () => {
    const lecam = resolveConfigText(studioGanMaster('CIFAR10_ReACGAN-LeCam.yaml'), 'ReACGAN-LeCam.yaml');
    expect(lecam.loss).toMatchObject({ applyLecam: true, lecamLambda: 0.3, lecamEmaStartIter: 1000, lecamEmaDecay: 0.99 });
    expect(lecam.optimization.totalSteps).toBe(200000);
    const variant = (file: string) => resolveConfigText(studioGan(file), file);
    expect(variant('CIFAR10_ReACGAN-DiffAug.yaml').aug).toMatchObject({ applyDiffaug: true, diffaugType: 'diffaug' });
    expect(variant('CIFAR10_ReACGAN-CR.yaml').loss).toMatchObject({ applyCr: true, crLambda: 10 });
    expect(variant('CIFAR10_ReACGAN-CR.yaml').aug.crAugType).toBe('cr');
    expect(variant('CIFAR10_ReACGAN-ADC.yaml').model.auxClsType).toBe('ADC');
    expect(variant('CIFAR10_ReACGAN-TAC.yaml').model.auxClsType).toBe('TAC');
    expect(variant('CIFAR10_ReACGAN-TAC.yaml').loss).toMatchObject({ tacGenLambda: 0.5, tacDisLambda: 0.5 });
    for (const file of ['CIFAR10_ReACGAN-DiffAug.yaml', 'CIFAR10_ReACGAN-CR.yaml', 'CIFAR10_ReACGAN-ADC.yaml', 'CIFAR10_ReACGAN-TAC.yaml']) {
      expect(unsupportedFeatures(variant(file)), file).toEqual([]);
    }
    expect(unsupportedFeatures(lecam)).toEqual([]);
  });

  it('a StyleGAN2 file parses (every key is known) and fails only on the backbone models does not build', () => {
    const { input } = parseConfigText(studioGan('CIFAR10_StyleGAN2-D2DCE.yaml'), 'x');
    expect(input.stylegan2?.gRegInterval).toBe(4);
    expect(() => resolveConfigText(studioGan('CIFAR10_StyleGAN2-D2DCE.yaml'), 'StyleGAN2-D2DCE.yaml')).toThrow(/model\.backbone/);
    try {
      resolveConfigText(studioGan('CIFAR10_StyleGAN2-D2DCE.yaml'), 'StyleGAN2-D2DCE.yaml');
    } catch (e) {
      expect((e as ConfigError).issues.some((i) => i.includes('unknown key'))).toBe(false);
    }
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(() => parseConfigText('DATA:\n  name: [unclosed\n', 'broken.yaml')).toThrow(/broken\.yaml: not valid YAML/);
    expect(() => parseConfigText('- a\n- b\n', 'list.yaml')).toThrow(/list\.yaml: expected a mapping of sections/);
  });

  it('accepts the camelCase spelling and JSON', () => {
    const c = resolveConfigText('{"loss": {"advLoss": "hinge"}, "optimization": {"dUpdatesPerStep": 2}}', 'c.json');
    expect(c.loss.advLoss).toBe('hinge');
    expect(c.optimization.dUpdatesPerStep).toBe(2);
  });
});

describe('presets hold StudioGAN v0.3.0 values', () => {
  // The expected values below are read from StudioGAN tag v.0.3.0, src/configs/<file>, written out here by hand.
  const bigGanCifar = {
    backbone: 'big_resnet',
    gCondMtd: 'cBN',
    applyGSn: true,
    applyDSn: true,
    applyAttn: true,
    attnGLoc: [2],
    attnDLoc: [1],
    zDim: 80,
    gSharedDim: 128,
    gConvDim: 96,
    dConvDim: 96,
    applyGEma: true,
    gEmaDecay: 0.9999,
    gEmaStart: 1000,
  };

  it('cifar10/reacgan = src/configs/CIFAR10/ReACGAN.yaml', () => {
    const c = resolvePreset('cifar10/reacgan');
    expect(c.data).toMatchObject({ name: 'CIFAR10', imgSize: 32, numClasses: 10, imgChannels: 3 });
    expect(c.model).toMatchObject({ ...bigGanCifar, dCondMtd: 'D2DCE', normalizeDEmbed: true, dEmbedDim: 512 });
    expect(c.loss).toMatchObject({ advLoss: 'hinge', condLambda: 0.5, mP: 0.98, temperature: 0.5 });
    expect(c.optimization).toMatchObject({ batchSize: 128, gLr: 0.00028284271, dLr: 0.00028284271, beta1: 0.5, beta2: 0.999, dUpdatesPerStep: 5, totalSteps: 100000, acmlSteps: 1 });
  });

  it('cifar10/acgan-mod = src/configs/CIFAR10/ACGAN-Mod.yaml (resnet, no SN by default)', () => {
    const c = resolvePreset('cifar10/acgan-mod');
    expect(c.model).toMatchObject({ backbone: 'resnet', gCondMtd: 'cBN', dCondMtd: 'AC', applyGSn: false, applyDSn: false, applyGEma: false, zDim: 128, gConvDim: 64, dConvDim: 64 });
    expect(c.loss).toMatchObject({ advLoss: 'hinge', condLambda: 1.0 });
    expect(c.optimization).toMatchObject({ batchSize: 64, gLr: 0.0002, dLr: 0.0002, dUpdatesPerStep: 5 });
  });

  it('cifar10/contragan = src/configs/CIFAR10/ContraGAN.yaml', () => {
    const c = resolvePreset('cifar10/contragan');
    expect(c.model).toMatchObject({ ...bigGanCifar, dCondMtd: '2C', normalizeDEmbed: true, dEmbedDim: 512 });
    expect(c.loss).toMatchObject({ advLoss: 'hinge', condLambda: 1.0, temperature: 1.0 });
    expect(c.optimization).toMatchObject({ batchSize: 64, gLr: 0.0002, dLr: 0.0002 });
  });

  it('cifar10/biggan-mod = src/configs/CIFAR10/BigGAN-Mod.yaml', () => {
    const c = resolvePreset('cifar10/biggan-mod');
    expect(c.model).toMatchObject({ ...bigGanCifar, dCondMtd: 'PD' });
    expect(c.loss).toMatchObject({ advLoss: 'hinge', condLambda: null });
  });

  it('tiny-imagenet/reacgan = src/configs/Tiny_ImageNet/ReACGAN.yaml', () => {
    const c = resolvePreset('tiny-imagenet/reacgan');
    expect(c.data).toMatchObject({ name: 'Tiny_ImageNet', imgSize: 64, numClasses: 200 });
    expect(c.model).toMatchObject({ backbone: 'big_resnet', dCondMtd: 'D2DCE', dEmbedDim: 768, attnGLoc: [3], attnDLoc: [1], zDim: 100, gConvDim: 80, dConvDim: 80, gEmaStart: 20000, gEmaDecay: 0.9999 });
    expect(c.loss).toMatchObject({ condLambda: 0.75, mP: 1.0, temperature: 0.75 });
    expect(c.loss.mN).toBe(0);
    expect(c.optimization).toMatchObject({ batchSize: 1024, gLr: 0.0001, dLr: 0.0004, beta1: 0.0, beta2: 0.999, dUpdatesPerStep: 1 });
  });

  it('cub200/reacgan = src/configs/CUB200/ReACGAN.yaml', () => {
    const c = resolvePreset('cub200/reacgan');
    expect(c.data).toMatchObject({ name: 'CUB200', imgSize: 128, numClasses: 200 });
    expect(c.model).toMatchObject({ dCondMtd: 'D2DCE', dEmbedDim: 1024, attnGLoc: [4], zDim: 120, gConvDim: 80, gEmaStart: 4000 });
    expect(c.loss).toMatchObject({ condLambda: 0.25, mP: 0.95, temperature: 0.25 });
    expect(c.optimization).toMatchObject({ batchSize: 256, gLr: 0.00005, dLr: 0.0002, beta1: 0, dUpdatesPerStep: 2, totalSteps: 40000 });
  });

  it('imagenet/reacgan-256 = src/configs/ImageNet/ReACGAN-256.yaml', () => {
    const c = resolvePreset('imagenet/reacgan-256');
    expect(c.data).toMatchObject({ name: 'ImageNet', imgSize: 128, numClasses: 1000 });
    expect(c.model).toMatchObject({ dEmbedDim: 2048, zDim: 120, gConvDim: 96, dConvDim: 96, attnGLoc: [4], gEmaStart: 20000 });
    expect(c.loss).toMatchObject({ condLambda: 1.0, mP: 0.98, temperature: 0.5 });
    expect(c.optimization).toMatchObject({ batchSize: 256, acmlSteps: 1, gLr: 0.00005, dLr: 0.0002, beta1: 0, beta2: 0.999, dUpdatesPerStep: 2, totalSteps: 500000 });
  });

  it('imagenet/reacgan-2048 = src/configs/ImageNet/ReACGAN-2048.yaml', () => {
    const c = resolvePreset('imagenet/reacgan-2048');
    expect(c.loss).toMatchObject({ condLambda: 0.5, mP: 0.9, temperature: 0.25 });
    expect(c.optimization).toMatchObject({ batchSize: 512, acmlSteps: 4, gLr: 0.00005, dLr: 0.0002, dUpdatesPerStep: 2, totalSteps: 200000 });
  });

  const fileOf: Record<string, string> = {
    'cifar10/reacgan': 'CIFAR10_ReACGAN.yaml',
    'cifar10/acgan-mod': 'CIFAR10_ACGAN-Mod.yaml',
    'cifar10/acgan-mod-big': 'CIFAR10_ACGAN-Mod-Big.yaml',
    'cifar10/contragan': 'CIFAR10_ContraGAN.yaml',
    'cifar10/biggan-mod': 'CIFAR10_BigGAN-Mod.yaml',
    'tiny-imagenet/reacgan': 'Tiny_ImageNet_ReACGAN.yaml',
    'cub200/reacgan': 'CUB200_ReACGAN.yaml',
    'imagenet/reacgan-256': 'ImageNet_ReACGAN-256.yaml',
    'imagenet/reacgan-2048': 'ImageNet_ReACGAN-2048.yaml',
    'cifar10/reacgan-diffaug': 'CIFAR10_ReACGAN-DiffAug.yaml',
    'cifar10/reacgan-cr': 'CIFAR10_ReACGAN-CR.yaml',
    'cifar10/reacgan-adc': 'CIFAR10_ReACGAN-ADC.yaml',
    'cifar10/reacgan-tac': 'CIFAR10_ReACGAN-TAC.yaml',
    'cifar10/reacgan-lecam': 'master/CIFAR10_ReACGAN-LeCam.yaml',
  };
  for (const [preset, file] of Object.entries(fileOf)) {
    it(`${preset}: every section except run equals StudioGAN's ${file} resolved`, () => {
      const fromPreset = resolvePreset(preset);
      const fromYaml = file.startsWith('master/') ? resolveConfigText(studioGanMaster(file.slice(7)), file) : resolveConfigText(studioGan(file), file);
      for (const section of ['data', 'model', 'loss', 'optimization', 'pre', 'aug', 'stylegan2'] as const) {
        expect(fromPreset[section], section).toEqual(fromYaml[section]);
      }
    });
  }

  it('every preset resolves, has a source, and the MNIST pair differs only in conditioning', () => {
    for (const name of presetNames()) {
      expect(() => resolvePreset(name), name).not.toThrow();
      expect(getPreset(name).source.length).toBeGreaterThan(10);
    }
    const re = resolvePreset('mnist/reacgan');
    const ac = resolvePreset('mnist/acgan');
    expect(re.model.dCondMtd).toBe('D2DCE');
    expect(ac.model.dCondMtd).toBe('AC');
    const strip = (c: typeof re) => ({ ...c.model, dCondMtd: null, normalizeDEmbed: null, dEmbedDim: null });
    expect(strip(re)).toEqual(strip(ac));
    expect(re.optimization).toEqual(ac.optimization);
    expect(re.run).toEqual(ac.run);
    expect(re.pre.applyRflip).toBe(false);
    expect(Object.keys(PRESETS)).toContain('mnist/reacgan');
  });

  it('getPreset names the valid presets for an unknown name and returns a copy', () => {
    expect(() => getPreset('cifar10/nope')).toThrow(/preset: expected one of cifar10\/reacgan, .*received 'cifar10\/nope'/);
    const p = getPreset('cifar10/reacgan');
    p.config.loss!.condLambda = 99;
    expect(getPreset('cifar10/reacgan').config.loss!.condLambda).toBe(0.5);
  });
});

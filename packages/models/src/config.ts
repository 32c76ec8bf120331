import { INIT_METHODS, type InitMethod } from './init.js';
import type { ConditionalBatchNormLayout } from './layers/batch-norm.js';
import { ACTIVATIONS, type ActivationName } from './layers/ops.js';

/** `MODEL.backbone` values this package builds. */
export type Backbone = 'deep_conv' | 'resnet' | 'big_resnet';
/** `MODEL.g_cond_mtd`: conditional batch norm or unconditional. */
export type GeneratorConditioning = 'W/O' | 'cBN';
/**
 * `MODEL.d_cond_mtd`: 'W/O' (unconditional), 'AC' (ACGAN classifier, `clsOutput`), 'PD'
 * (projection added to `advOutput`), '2C' (ContraGAN) and 'D2DCE' (ReACGAN) (`embed` + `proxy`),
 * 'MH' (multi-hinge: C + 1 adversarial outputs), 'MD' (multiple discriminators: C outputs, the
 * label's one is taken).
 */
export type DiscriminatorConditioning = 'W/O' | 'AC' | 'PD' | 'MH' | 'MD' | '2C' | 'D2DCE';
/**
 * The conditionings whose discriminator has a classifier head (`clsOutput`, or `embed` + `proxy`), the ones an
 * auxiliary classifier ('TAC', 'ADC') attaches to: StudioGAN's `MISC.classifier_based_GAN`.
 */
const CLASSIFIER_BASED_CONDITIONING: readonly DiscriminatorConditioning[] = ['AC', '2C', 'D2DCE'];
/** `MODEL.aux_cls_type`: 'TAC' (twin classifier head) and 'ADC' (doubled class space). */
export type AuxiliaryClassifierType = 'W/O' | 'TAC' | 'ADC';
export type NotApplicable = 'N/A';

/**
 * StudioGAN's `MODEL` section (`src/config.py`, v0.3.0) with keys camelCased. Defaults
 * ({@link DEFAULT_MODEL_CONFIG}) are StudioGAN's. Locations are 1-based block indices.
 */
export interface ModelConfig {
  backbone: Backbone;
  gCondMtd: GeneratorConditioning;
  /**
   * Not a StudioGAN key: which StudioGAN version's parameter layout the class-conditional BN of the
   * `deep_conv` and `resnet` generators uses (`gCondMtd: 'cBN'`): 'embed' (v0.3.0, default:
   * `bnK.embed0/embed1`, Embedding [numClasses, C]) or 'linear' (StudioGAN ≥ commit 43b43f1 of
   * 2022-01-25, i.e. master: `bnK.gain/bias`, Linear [C, numClasses] on the one-hot label). See
   * {@link ConditionalBatchNormLayout}. `big_resnet` has one layout in every version and ignores it.
   */
  gCbnLayout: ConditionalBatchNormLayout;
  dCondMtd: DiscriminatorConditioning;
  auxClsType: AuxiliaryClassifierType;
  /** L2-normalise `embed` and `proxy` (2C, D2DCE) or `h` (AC). */
  normalizeDEmbed: boolean;
  /** Embedding size of the 2C / D2DCE head. */
  dEmbedDim: number | NotApplicable;
  applyGSn: boolean;
  applyDSn: boolean;
  gActFn: ActivationName;
  dActFn: ActivationName;
  applyAttn: boolean;
  /** G blocks after which self-attention sits (1-based); 'N/A' entries are ignored. */
  attnGLoc: number[];
  /** D blocks after which self-attention sits (1-based). */
  attnDLoc: number[];
  zPrior: 'gaussian' | 'uniform';
  zDim: number;
  /** StyleGAN only in StudioGAN; must stay 'N/A'. */
  wDim: NotApplicable;
  /** Size of BigGAN's shared class embedding. */
  gSharedDim: number | NotApplicable;
  /** Base channel count of G ('N/A' for deep_conv means StudioGAN's fixed widths, i.e. 64). */
  gConvDim: number | NotApplicable;
  /** Base channel count of D ('N/A' for deep_conv means 64). */
  dConvDim: number | NotApplicable;
  /** deep_big_resnet only in StudioGAN; must stay 'N/A'. */
  gDepth: NotApplicable;
  dDepth: NotApplicable;
  applyGEma: boolean;
  gEmaDecay: number | NotApplicable;
  gEmaStart: number | NotApplicable;
  gInit: InitMethod;
  /** D init; `false` keeps PyTorch's layer defaults (StudioGAN's `if d_init:`), same as 'default'. */
  dInit: InitMethod | false;
}

/** What a user passes: any subset of the keys; `attnGLoc` / `attnDLoc` may hold 'N/A'. */
export type ModelConfigInput = Partial<Omit<ModelConfig, 'attnGLoc' | 'attnDLoc'>> & {
  attnGLoc?: ReadonlyArray<number | NotApplicable>;
  attnDLoc?: ReadonlyArray<number | NotApplicable>;
};

/** StudioGAN v0.3.0 `src/config.py` MODEL defaults. */
export const DEFAULT_MODEL_CONFIG: Readonly<ModelConfig> = Object.freeze({
  backbone: 'resnet',
  gCondMtd: 'W/O',
  gCbnLayout: 'embed',
  dCondMtd: 'W/O',
  auxClsType: 'W/O',
  normalizeDEmbed: false,
  dEmbedDim: 'N/A',
  applyGSn: false,
  applyDSn: false,
  gActFn: 'ReLU',
  dActFn: 'ReLU',
  applyAttn: false,
  attnGLoc: [],
  attnDLoc: [],
  zPrior: 'gaussian',
  zDim: 128,
  wDim: 'N/A',
  gSharedDim: 'N/A',
  gConvDim: 64,
  dConvDim: 64,
  gDepth: 'N/A',
  dDepth: 'N/A',
  applyGEma: false,
  gEmaDecay: 'N/A',
  gEmaStart: 'N/A',
  gInit: 'ortho',
  dInit: 'ortho',
}) as Readonly<ModelConfig>;

const BACKBONES: readonly string[] = ['deep_conv', 'resnet', 'big_resnet'];
const UNSUPPORTED_BACKBONES: readonly string[] = ['deep_big_resnet', 'stylegan2', 'stylegan3', 'big_resnet_deep_legacy', 'big_resnet_deep_studiogan'];
const G_COND: readonly string[] = ['W/O', 'cBN'];
const D_COND: readonly string[] = ['W/O', 'AC', 'PD', 'MH', 'MD', '2C', 'D2DCE'];
const AUX: readonly string[] = ['W/O', 'TAC', 'ADC'];

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}

class ConfigErrors {
  readonly messages: string[] = [];
  add(key: string, expected: string, received: unknown): void {
    this.messages.push(`${key}: expected ${expected}, received ${describe(received)}`);
  }
  throwIfAny(): void {
    if (this.messages.length > 0) {
      throw new ModelConfigError(`Invalid model config:\n  - ${this.messages.join('\n  - ')}`, this.messages);
    }
  }
}

/** Thrown by {@link validateModelConfig}; `problems` lists each bad key. */
export class ModelConfigError extends Error {
  constructor(message: string, readonly problems: string[]) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

/**
 * Fills StudioGAN's defaults into `input` and validates every key: unknown keys, wrong types,
 * unknown enum values and inconsistent combinations are reported together.
 * @throws ModelConfigError listing every problem.
 */
export function validateModelConfig(input: ModelConfigInput = {}): ModelConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ModelConfigError(`Invalid model config: expected an object, received ${describe(input)}`, []);
  }
  const errors = new ConfigErrors();
  const known = new Set(Object.keys(DEFAULT_MODEL_CONFIG));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) {
      const snake = key.includes('_') ? ` (keys are camelCase: '${key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())}')` : '';
      errors.add(key, `one of the MODEL keys ${[...known].join(', ')}${snake}`, 'an unknown key');
    }
  }
  const merged = { ...DEFAULT_MODEL_CONFIG, ...stripUndefined(input) } as Record<string, unknown>;
  const oneOf = (key: string, values: readonly string[]): void => {
    if (!values.includes(merged[key] as string)) errors.add(key, `one of ${values.map(describe).join(', ')}`, merged[key]);
  };
  const bool = (key: string): void => {
    if (typeof merged[key] !== 'boolean') errors.add(key, 'a boolean', merged[key]);
  };
  const intOrNA = (key: string): void => {
    if (merged[key] !== 'N/A' && !isPositiveInt(merged[key])) errors.add(key, "a positive integer or 'N/A'", merged[key]);
  };
  if (UNSUPPORTED_BACKBONES.includes(merged.backbone as string)) {
    errors.add('backbone', `one of ${BACKBONES.map(describe).join(', ')} (${describe(merged.backbone)} is not implemented in @reacgan/models)`, merged.backbone);
  } else {
    oneOf('backbone', BACKBONES);
  }
  if (merged.gCondMtd === 'cAdaIN') errors.add('gCondMtd', "'W/O' or 'cBN' ('cAdaIN' is StyleGAN2-only)", merged.gCondMtd);
  else oneOf('gCondMtd', G_COND);
  if (merged.dCondMtd === 'SPD') errors.add('dCondMtd', "one of the non-StyleGAN methods ('SPD' is StyleGAN2-only)", merged.dCondMtd);
  else oneOf('dCondMtd', D_COND);
  oneOf('auxClsType', AUX);
  oneOf('gCbnLayout', ['embed', 'linear']);
  for (const key of ['normalizeDEmbed', 'applyGSn', 'applyDSn', 'applyAttn', 'applyGEma']) bool(key);
  oneOf('gActFn', ACTIVATIONS);
  oneOf('dActFn', ACTIVATIONS);
  oneOf('zPrior', ['gaussian', 'uniform']);
  if (!isPositiveInt(merged.zDim)) errors.add('zDim', 'a positive integer', merged.zDim);
  for (const key of ['dEmbedDim', 'gSharedDim', 'gConvDim', 'dConvDim']) intOrNA(key);
  for (const key of ['wDim', 'gDepth', 'dDepth']) {
    if (merged[key] !== 'N/A') errors.add(key, "'N/A' (only used by backbones this package does not build)", merged[key]);
  }
  if (merged.gEmaDecay !== 'N/A' && !(typeof merged.gEmaDecay === 'number' && merged.gEmaDecay >= 0 && merged.gEmaDecay <= 1)) {
    errors.add('gEmaDecay', "a number in [0, 1] or 'N/A'", merged.gEmaDecay);
  }
  if (merged.gEmaStart !== 'N/A' && !(typeof merged.gEmaStart === 'number' && Number.isInteger(merged.gEmaStart) && merged.gEmaStart >= 0)) {
    errors.add('gEmaStart', "a non-negative integer or 'N/A'", merged.gEmaStart);
  }
  oneOf('gInit', INIT_METHODS);
  if (merged.dInit !== false) oneOf('dInit', INIT_METHODS);
  const locations = (key: 'attnGLoc' | 'attnDLoc'): number[] => {
    const value = merged[key];
    if (!Array.isArray(value)) {
      errors.add(key, "an array of 1-based block indices (or ['N/A'])", value);
      return [];
    }
    const out: number[] = [];
    for (const item of value) {
      if (item === 'N/A') continue;
      if (!isPositiveInt(item)) errors.add(key, "an array of positive integers (or ['N/A'])", value);
      else out.push(item);
    }
    return out;
  };
  merged.attnGLoc = locations('attnGLoc');
  merged.attnDLoc = locations('attnDLoc');

  // Cross-key rules (StudioGAN's check_compatability and the model files' requirements).
  if ((merged.dCondMtd === '2C' || merged.dCondMtd === 'D2DCE') && !isPositiveInt(merged.dEmbedDim)) {
    errors.add('dEmbedDim', `a positive integer when dCondMtd is ${describe(merged.dCondMtd)}`, merged.dEmbedDim);
  }
  if (merged.backbone === 'big_resnet' && !isPositiveInt(merged.gSharedDim)) {
    errors.add('gSharedDim', "a positive integer for the big_resnet backbone (BigGAN's shared class embedding)", merged.gSharedDim);
  }
  if (merged.backbone !== 'deep_conv') {
    for (const key of ['gConvDim', 'dConvDim']) {
      if (!isPositiveInt(merged[key])) errors.add(key, `a positive integer for the ${describe(merged.backbone)} backbone`, merged[key]);
    }
  }
  if (merged.auxClsType !== 'W/O' && !CLASSIFIER_BASED_CONDITIONING.includes(merged.dCondMtd as DiscriminatorConditioning)) {
    errors.add('auxClsType', `'W/O' unless dCondMtd is a classifier-based method (${CLASSIFIER_BASED_CONDITIONING.map((m) => `'${m}'`).join(', ')})`, merged.auxClsType);
  }
  if (merged.applyGEma === true) {
    if (merged.gEmaDecay === 'N/A') errors.add('gEmaDecay', 'a number in [0, 1] when applyGEma is true', merged.gEmaDecay);
    if (merged.gEmaStart === 'N/A') errors.add('gEmaStart', 'a non-negative integer when applyGEma is true', merged.gEmaStart);
  }
  errors.throwIfAny();
  return merged as unknown as ModelConfig;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Data-dependent values (StudioGAN's `DATA` section) and construction options of
 * {@link createGenerator} / {@link createDiscriminator}.
 */
export interface ModelDataOptions {
  /** Image side in pixels: deep_conv 32; resnet / big_resnet 32, 64, 128, 256, 512 (StudioGAN) and 8, 16 (this package's extension). */
  imgSize: number;
  /** Image channels (StudioGAN hard-codes 3; 1 for MNIST). */
  imgChannels: number;
  /** Number of classes (1 for unconditional data). */
  numClasses: number;
  /** Seed of the initial weights and spectral-norm vectors (default: random). */
  seed?: number;
  /**
   * Initialise weights randomly (default true). `false` builds a zero-filled shell quickly, for
   * loading a state dict or counting parameters of large presets (orthogonal init of a 128-px
   * BigGAN takes minutes in JavaScript).
   */
  initialize?: boolean;
}

export function validateDataOptions(options: ModelDataOptions, caller: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${caller}: expected { imgSize, imgChannels, numClasses }, received ${String(options)}`);
  }
  for (const key of ['imgSize', 'imgChannels', 'numClasses'] as const) {
    if (!isPositiveInt(options[key])) {
      throw new TypeError(`${caller}: ${key} must be a positive integer, received ${describe(options[key])}`);
    }
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new TypeError(`${caller}: seed must be a finite number, received ${describe(options.seed)}`);
  }
}

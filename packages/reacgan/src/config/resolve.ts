import * as models from '@reacgan/models';
import type * as z from 'zod';
import { CONDITIONING_METHODS, isClassifierBased } from '../train/step/methods.js';
import { implementedSwitches, registryProblems, unsupportedOptions } from '../train/step/registry.js';
import { type KeyOrigins } from './keys.js';
import {
  type AugConfig,
  type ConfigInput,
  configSchemaWithoutModel,
  type DataConfig,
  type LossConfig,
  type OptimizationConfig,
  type PreConfig,
  type RunConfig,
  type Stylegan2Config,
} from './schema.js';

/** The model configuration as validated by @reacgan/models (StudioGAN MODEL keys, 'N/A' kept). */
export type ResolvedModelConfig = models.ModelConfig;

/** A fully resolved, validated configuration (every key present; defaults = StudioGAN v0.3.0 `config.py`). */
export interface ReacganConfig {
  data: DataConfig;
  model: ResolvedModelConfig;
  loss: LossConfig;
  optimization: OptimizationConfig & { epsilon: number };
  pre: PreConfig;
  aug: AugConfig;
  stylegan2: Stylegan2Config;
  run: RunConfig & { sampleEvery: number; evalEvery: number };
}

/** Thrown for an invalid configuration; `issues` lists every problem (path, expected, received). */
export class ConfigError extends Error {
  constructor(
    readonly issues: string[],
    source?: string,
  ) {
    super(`invalid configuration${source ? ` (${source})` : ''}:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

function pathName(path: readonly PropertyKey[], origins?: KeyOrigins): string {
  const camel = path.map(String).join('.');
  const origin = origins?.get(camel);
  return origin && origin !== camel ? `${camel} (${origin})` : camel || '(root)';
}

/** One readable line per zod issue: `<key>: expected <…>, received <…>`. */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = [], origins?: KeyOrigins): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    const where = pathName(path, origins);
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const full = [...path, key];
          lines.push(`${pathName(full, origins)}: unknown key (not a StudioGAN ${path.length ? String(path[0]).toUpperCase() : 'section'} key nor one of this package's)`);
        }
        break;
      case 'invalid_type':
        lines.push(`${where}: expected ${issue.expected}, received ${input === undefined ? 'nothing' : `${typeof input === 'object' ? (input === null ? 'null' : Array.isArray(input) ? 'array' : 'object') : typeof input} ${show(input)}`}`);
        break;
      case 'invalid_value':
        lines.push(`${where}: expected one of ${issue.values.map((v) => show(v)).join(', ')}, received ${show(input)}`);
        break;
      case 'too_small':
        lines.push(`${where}: expected ${issue.origin === 'array' ? 'length ' : ''}${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, received ${show(input)}`);
        break;
      case 'too_big':
        lines.push(`${where}: expected ${issue.origin === 'array' ? 'length ' : ''}${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, received ${show(input)}`);
        break;
      case 'invalid_union':
        lines.push(`${where}: ${issue.message}, received ${show(input)}`);
        break;
      default:
        lines.push(`${where}: ${issue.message}${input !== undefined ? `, received ${show(input)}` : ''}`);
    }
  }
  return lines;
}

export interface ResolveConfigOptions {
  /** Original key spellings (from a YAML file) used in error messages. */
  origins?: KeyOrigins;
  /** Named source for error messages (file path or preset name). */
  source?: string;
  /**
   * Validates the model section (default: @reacgan/models' `validateModelConfig`); returns the full model
   * configuration with defaults.
   */
  validateModel?: (model: Record<string, unknown>) => models.ModelConfig;
}

/**
 * Validates a configuration and fills every default (StudioGAN v0.3.0 `src/config.py`).
 *
 * Checks beyond types: the keys `model.dCondMtd` needs (the conditioning-method registry: λ for AC/2C/D2D-CE,
 * τ for 2C/D2D-CE, m_p for D2D-CE, λ_MH for MH, and `advLoss: 'MH'` with MH), and the keys of every switched-on
 * loss term and input transform (their registries, e.g. `fmLambda` with `applyFm`). The model section is
 * validated by @reacgan/models (EMA decay/start required with applyGEma, unknown keys, …).
 * Resolves `loss.mN` (null → 1 − m_p), `optimization.epsilon` (null → 1e-6, or 1e-8 for StyleGAN2),
 * `run.sampleEvery` and `run.evalEvery` (null → saveEvery).
 * @throws ConfigError listing every problem as `<key>: expected <…>, received <…>`; unknown keys are errors.
 */
export function resolveConfig(input: ConfigInput | Record<string, unknown>, options: ResolveConfigOptions = {}): ReacganConfig {
  const { origins, source } = options;
  const parsed = configSchemaWithoutModel.safeParse(input ?? {}, { reportInput: true });
  const issues: string[] = [];
  if (!parsed.success) issues.push(...formatZodIssues(parsed.error.issues, [], origins));

  const rawModel: Record<string, unknown> =
    input && typeof input === 'object' && (input as ConfigInput).model && typeof (input as ConfigInput).model === 'object'
      ? { ...((input as ConfigInput).model as Record<string, unknown>) }
      : {};
  let modelConfig: models.ModelConfig | undefined;
  try {
    modelConfig = (options.validateModel ?? models.validateModelConfig)(rawModel as models.ModelConfigInput);
  } catch (error) {
    const problems = (error as { problems?: string[] }).problems;
    const lines = problems?.length ? problems : ((error as Error).message ?? String(error)).split('\n').map((l) => l.trim().replace(/^- /, '')).filter(Boolean);
    for (const line of lines) {
      const key = line.split(':')[0];
      const origin = origins?.get(`model.${key}`);
      issues.push(`model.${line}`.replace(`model.${key}:`, `model.${key}${origin ? ` (${origin})` : ''}:`));
    }
  }
  if (issues.length || !parsed.success || !modelConfig) throw new ConfigError(issues, source);

  const c = parsed.data;
  const model = modelConfig;
  const dCondMtd: string = model.dCondMtd;
  const backbone: string = model.backbone;
  const loss = { ...c.loss, mN: c.loss.mN ?? (c.loss.mP !== null ? 1 - c.loss.mP : null) };
  const epsilon = c.optimization.epsilon ?? (backbone === 'stylegan2' ? 1e-8 : 1e-6);
  const config: ReacganConfig = {
    data: c.data,
    model,
    loss,
    optimization: { ...c.optimization, epsilon },
    pre: c.pre,
    aug: c.aug,
    stylegan2: c.stylegan2,
    run: { ...c.run, sampleEvery: c.run.sampleEvery ?? c.run.saveEvery, evalEvery: c.run.evalEvery ?? c.run.saveEvery },
  };
  // Keys the conditioning method, the switched-on loss terms and input transforms need (their registries).
  issues.push(...registryProblems(config));
  if (dCondMtd === 'MH') {
    if (c.loss.advLoss !== 'MH') issues.push(`loss.advLoss: expected "MH" (required by model.dCondMtd 'MH'), received ${show(c.loss.advLoss)}`);
  }
  if (c.loss.advLoss === 'MH' && dCondMtd !== 'MH') issues.push(`model.dCondMtd: expected "MH" (required by loss.advLoss 'MH'), received ${show(dCondMtd)}`);
  if (c.data.numClasses < 2 && isClassifierBased(dCondMtd)) {
    issues.push(`data.numClasses: expected >= 2 for model.dCondMtd '${dCondMtd}', received ${c.data.numClasses}`);
  }
  if (issues.length) throw new ConfigError(issues, source);
  return config;
}

/**
 * Features StudioGAN has that this trainer does not implement, as config paths that are switched on (e.g.
 * `aug.applyAda`): every `apply…` switch of the LOSS, AUG and STYLEGAN2 sections that no registered loss term,
 * input transform or the update implements, an auxiliary classifier or conditioning method without an
 * implementation, and optimizers other than Adam. The trainer refuses such configurations before it builds
 * anything, instead of silently ignoring them.
 */
export function unsupportedFeatures(config: ReacganConfig): string[] {
  const implemented = implementedSwitches();
  const out: string[] = [];
  for (const section of ['loss', 'aug', 'stylegan2'] as const) {
    for (const [key, value] of Object.entries(config[section])) {
      const path = `${section}.${key}`;
      if (key.startsWith('apply') && value === true && !implemented.has(path)) out.push(path);
    }
  }
  out.push(...unsupportedOptions(config));
  const { optimization, model } = config;
  if (optimization.type !== 'Adam') out.push(`optimization.type (${optimization.type})`);
  if (model.auxClsType !== 'W/O' && !implemented.has(`model.auxClsType=${model.auxClsType}`)) out.push(`model.auxClsType (${model.auxClsType})`);
  if (!CONDITIONING_METHODS[model.dCondMtd]) out.push(`model.dCondMtd (${model.dCondMtd})`);
  return out;
}

/**
 * Throws unless the trainer implements everything the configuration switches on; call before creating
 * anything (run folders, networks).
 * @throws Error listing the features that are switched on but not implemented.
 */
export function assertTrainable(config: ReacganConfig): void {
  const problems = unsupportedFeatures(config);
  if (problems.length) throw new Error(`trainer: not implemented: ${problems.join(', ')} (switch them off in the configuration)`);
}

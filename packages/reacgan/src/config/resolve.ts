import * as models from '@reacgan/models';
import type * as z from 'zod';
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

const CLASSIFIER_BASED = new Set(['AC', '2C', 'D2DCE']);

/**
 * Validates a configuration and fills every default (StudioGAN v0.3.0 `src/config.py`).
 *
 * Checks beyond types: conditioning-loss keys required by `model.dCondMtd` (λ for AC/2C/D2D-CE, τ for
 * 2C/D2D-CE, m_p for D2D-CE, λ_MH and `advLoss: 'MH'` for MH). The model section is validated by
 * @reacgan/models (EMA decay/start required with applyGEma, unknown keys, …).
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
  const need = (ok: boolean, line: string) => {
    if (!ok) issues.push(line);
  };
  if (CLASSIFIER_BASED.has(dCondMtd)) {
    need(c.loss.condLambda !== null, `loss.condLambda: expected a number (required by model.dCondMtd '${dCondMtd}'), received null`);
  }
  if (dCondMtd === '2C' || dCondMtd === 'D2DCE') {
    need(c.loss.temperature !== null, `loss.temperature: expected a positive number (required by model.dCondMtd '${dCondMtd}'), received null`);
  }
  if (dCondMtd === 'D2DCE') need(c.loss.mP !== null, `loss.mP: expected a number in [-1, 1] (required by model.dCondMtd 'D2DCE'), received null`);
  if (dCondMtd === 'MH') {
    need(c.loss.advLoss === 'MH', `loss.advLoss: expected "MH" (required by model.dCondMtd 'MH'), received ${show(c.loss.advLoss)}`);
    need(c.loss.mhLambda !== null, `loss.mhLambda: expected a number (required by model.dCondMtd 'MH'), received null`);
  }
  if (c.loss.advLoss === 'MH') need(dCondMtd === 'MH', `model.dCondMtd: expected "MH" (required by loss.advLoss 'MH'), received ${show(dCondMtd)}`);
  if (c.loss.applyFm) need(c.loss.fmLambda !== null, 'loss.fmLambda: expected a number (required by loss.applyFm), received null');
  if (c.data.numClasses < 2 && CLASSIFIER_BASED.has(dCondMtd)) {
    issues.push(`data.numClasses: expected >= 2 for model.dCondMtd '${dCondMtd}', received ${c.data.numClasses}`);
  }
  if (issues.length) throw new ConfigError(issues, source);

  const loss = { ...c.loss, mN: c.loss.mN ?? (c.loss.mP !== null ? 1 - c.loss.mP : null) };
  const epsilon = c.optimization.epsilon ?? (backbone === 'stylegan2' ? 1e-8 : 1e-6);
  return {
    data: c.data,
    model,
    loss,
    optimization: { ...c.optimization, epsilon },
    pre: c.pre,
    aug: c.aug,
    stylegan2: c.stylegan2,
    run: { ...c.run, sampleEvery: c.run.sampleEvery ?? c.run.saveEvery, evalEvery: c.run.evalEvery ?? c.run.saveEvery },
  };
}

/**
 * Features StudioGAN has that this trainer does not implement yet, as config paths that are switched on
 * (e.g. `aug.applyDiffaug`). The trainer refuses such configurations instead of silently ignoring them.
 */
export function unsupportedFeatures(config: ReacganConfig): string[] {
  const out: string[] = [];
  const on = (flag: boolean, path: string) => flag && out.push(path);
  const { loss, aug, optimization, stylegan2, model } = config;
  on(aug.applyDiffaug, 'aug.applyDiffaug');
  on(aug.applyAda, 'aug.applyAda');
  on(loss.applyR1Reg, 'loss.applyR1Reg');
  on(loss.applyGp, 'loss.applyGp');
  on(loss.applyDra, 'loss.applyDra');
  on(loss.applyMaxgp, 'loss.applyMaxgp');
  on(loss.applyCr, 'loss.applyCr');
  on(loss.applyBcr, 'loss.applyBcr');
  on(loss.applyZcr, 'loss.applyZcr');
  on(loss.applyLo, 'loss.applyLo');
  on(loss.applyTopk, 'loss.applyTopk');
  on(stylegan2.applyPlReg, 'stylegan2.applyPlReg');
  on(optimization.type !== 'Adam', `optimization.type (${optimization.type})`);
  on(model.auxClsType !== 'W/O', `model.auxClsType (${model.auxClsType})`);
  const dCond: string = model.dCondMtd;
  on(!['W/O', 'AC', '2C', 'D2DCE', 'PD', 'MH'].includes(dCond), `model.dCondMtd (${dCond})`);
  return out;
}

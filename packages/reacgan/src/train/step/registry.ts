/**
 * What the trainer implements, read from the registries: loss terms (`terms/index.ts`), input transforms
 * (`transforms.ts`), conditioning methods (`methods.ts`). `resolveConfig` and `unsupportedFeatures` ask here.
 */
import type { ReacganConfig } from '../../config/resolve.js';
import { CONDITIONING_METHODS, type ConditioningMethod } from './methods.js';
import type { LossTerm } from './terms.js';
import { LOSS_TERM_DEFINITIONS } from './terms/index.js';
import { INPUT_TRANSFORM_DEFINITIONS } from './transforms.js';

/** Switches implemented by the update itself rather than by a term (StudioGAN's weight clipping of D). */
const UPDATE_SWITCHES = ['loss.applyWc'];

/** Every configuration switch some registered definition implements (e.g. 'loss.applyFm', 'model.auxClsType=ADC'). */
export function implementedSwitches(): Set<string> {
  return new Set([...UPDATE_SWITCHES, ...[...LOSS_TERM_DEFINITIONS, ...INPUT_TRANSFORM_DEFINITIONS].flatMap((d) => d.switches ?? [])]);
}

/** The loss terms of a configuration, in registration order. */
export function createLossTerms(config: ReacganConfig, method: ConditioningMethod): LossTerm[] {
  const terms = LOSS_TERM_DEFINITIONS.flatMap((d) => d.create(config, method));
  for (const network of ['D', 'G'] as const) {
    const names = terms.filter((t) => t.network === network).map((t) => t.name);
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice) throw new Error(`loss terms: two ${network} terms are named '${twice}'`);
  }
  return terms;
}

/** Options of switched-on terms and transforms that are not implemented (e.g. an augmentation type). */
export function unsupportedOptions(config: ReacganConfig): string[] {
  return [...LOSS_TERM_DEFINITIONS, ...INPUT_TRANSFORM_DEFINITIONS].flatMap((d) => d.unsupported?.(config) ?? []);
}

/** Problems with the keys the switched-on terms, transforms and the conditioning method need. */
export function registryProblems(config: ReacganConfig): string[] {
  const problems: string[] = [];
  const method = CONDITIONING_METHODS[config.model.dCondMtd];
  for (const { key, expected } of method?.requires ?? []) {
    if (config.loss[key] === null) problems.push(`loss.${key}: expected ${expected} (required by model.dCondMtd '${config.model.dCondMtd}'), received null`);
  }
  for (const d of [...LOSS_TERM_DEFINITIONS, ...INPUT_TRANSFORM_DEFINITIONS]) problems.push(...(d.check?.(config) ?? []));
  return problems;
}

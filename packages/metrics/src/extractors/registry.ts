import { MetricInputError } from '../errors.js';
import { createInceptionV3FidExtractor, INCEPTION_V3_FID, type InceptionV3FidOptions } from './inception-v3-fid.js';
import type { FeatureExtractor } from './types.js';

/** Creates an extractor from options (e.g. weights); may be async (weights to decode or fetch). */
export type FeatureExtractorFactory<O = Record<string, unknown>> = (options: O) => FeatureExtractor | Promise<FeatureExtractor>;

const registry = new Map<string, FeatureExtractorFactory<never>>();

function validateName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new MetricInputError(`registerFeatureExtractor: name must be a non-empty string, received ${JSON.stringify(name)}`);
  if (name.trim() !== name) throw new MetricInputError(`registerFeatureExtractor: name ${JSON.stringify(name)} has surrounding whitespace`);
  if (/[\\/]/.test(name)) throw new MetricInputError(`registerFeatureExtractor: name ${JSON.stringify(name)} contains a path separator`);
  return name;
}

/**
 * Registers a feature extractor factory under a name (torch-fidelity's registry rules: a string
 * without surrounding whitespace or path separators, not already taken unless `override`).
 * @throws MetricInputError for an invalid or taken name, or a factory that is not a function.
 */
export function registerFeatureExtractor<O>(name: string, factory: FeatureExtractorFactory<O>, options: { override?: boolean } = {}): void {
  validateName(name);
  if (typeof factory !== 'function') throw new MetricInputError(`registerFeatureExtractor: factory for '${name}' must be a function`);
  if (registry.has(name) && !options.override) {
    throw new MetricInputError(`registerFeatureExtractor: '${name}' is already registered (pass { override: true } to replace it)`);
  }
  registry.set(name, factory as FeatureExtractorFactory<never>);
}

/** Removes a registered extractor; returns whether it existed. */
export function unregisterFeatureExtractor(name: string): boolean {
  return registry.delete(name);
}

/** Names of the registered extractors. */
export function listFeatureExtractors(): string[] {
  return [...registry.keys()];
}

/**
 * Creates the extractor registered under `name` with `options` (e.g. `{ weights }` for
 * 'inception-v3-fid').
 * @throws MetricInputError naming the registered extractors when `name` is unknown.
 */
export async function getFeatureExtractor<O = Record<string, unknown>>(name: string, options?: O): Promise<FeatureExtractor> {
  const factory = registry.get(name) as FeatureExtractorFactory<O | undefined> | undefined;
  if (!factory) {
    throw new MetricInputError(`getFeatureExtractor: no extractor named '${name}' (registered: ${listFeatureExtractors().join(', ') || 'none'})`);
  }
  const extractor = await factory(options);
  if (!extractor || typeof extractor.extract !== 'function') {
    throw new MetricInputError(`getFeatureExtractor: the factory for '${name}' did not return a feature extractor`);
  }
  return extractor;
}

registerFeatureExtractor<InceptionV3FidOptions>(INCEPTION_V3_FID, (options) => createInceptionV3FidExtractor(options));

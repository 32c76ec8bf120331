import * as tf from '@tensorflow/tfjs-core';

/** Adam hyperparameters; every value explicit (tfjs' own Adam defaults ε to the backend's, C26). */
export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  /** Added to √v̂ (StudioGAN: 1e-6; PyTorch default 1e-8). */
  epsilon: number;
  /** L2 penalty added to the gradient before the moments (PyTorch Adam `weight_decay`); default 0. */
  weightDecay?: number;
}

/** Serialisable optimizer state: per-variable step counts and moments (keyed by the variable's name). */
export interface AdamState {
  options: Required<AdamOptions>;
  /** Update count per variable (PyTorch keeps `step` per parameter; a variable without gradient is not stepped). */
  steps: Record<string, number>;
  /** First moments m, by variable name. */
  m: Map<string, tf.Tensor>;
  /** Second moments v, by variable name. */
  v: Map<string, tf.Tensor>;
}

/**
 * Adam exactly as `torch.optim.Adam` (the optimizer StudioGAN uses), for one network.
 *
 *     g ← g + weightDecay·p;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *     p ← p − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
 *
 * Moments are keyed by the variable's name and bound to that variable at construction, so an optimizer
 * never mixes variable sets, and a variable whose gradient is absent in a step keeps its moments and
 * step count (test case C26). One instance per network (G, D).
 *
 * Speed: the moments of all variables live in two flat buffers (m and v, in construction order). When
 * every variable has a gradient and all step counts agree (every step of the trainer), one update is
 * ~15 element-wise kernels on the concatenated gradient plus one split, a reshape and a subtraction per
 * variable — instead of ~13 kernels per variable. The element-wise operations are the same, in the same
 * order, as the per-variable form, so the results are bit-identical to it (tested). Otherwise (a
 * variable without gradient, diverging step counts) the update runs per variable on slices.
 *
 * @throws Error when a gradient is given for a variable this optimizer does not own, or its shape differs.
 */
export class Adam {
  readonly options: Required<AdamOptions>;
  private readonly variables = new Map<string, tf.Variable>();
  private readonly steps = new Map<string, number>();
  /** Construction order, offsets and sizes of the variables in the flat buffers. */
  private readonly names: string[] = [];
  private readonly offsets = new Map<string, number>();
  private readonly sizes: number[] = [];
  private readonly total: number;
  /** Flat first and second moments [total]. */
  private m: tf.Variable;
  private v: tf.Variable;

  /** @param variables the network's trainable variables, by a unique name (e.g. dotted parameter names). */
  constructor(variables: Iterable<[string, tf.Variable]> | Map<string, tf.Variable>, options: AdamOptions) {
    for (const key of ['learningRate', 'beta1', 'beta2', 'epsilon'] as const) {
      const value = options[key];
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`Adam: ${key}: expected a finite number, received ${String(value)}`);
    }
    if (options.beta1 < 0 || options.beta1 >= 1) throw new Error(`Adam: beta1: expected a number in [0, 1), received ${options.beta1}`);
    if (options.beta2 < 0 || options.beta2 >= 1) throw new Error(`Adam: beta2: expected a number in [0, 1), received ${options.beta2}`);
    if (!(options.epsilon > 0)) throw new Error(`Adam: epsilon: expected > 0, received ${options.epsilon}`);
    this.options = { weightDecay: 0, ...options };
    let offset = 0;
    for (const [name, variable] of variables) {
      if (this.variables.has(name)) throw new Error(`Adam: duplicate variable name '${name}'`);
      if (variable.dtype !== 'float32') throw new Error(`Adam: variable '${name}': expected float32, received ${variable.dtype}`);
      this.variables.set(name, variable);
      this.names.push(name);
      this.offsets.set(name, offset);
      this.sizes.push(variable.size);
      offset += variable.size;
      this.steps.set(name, 0);
    }
    this.total = offset;
    // Inside tidy: the zeros tensors are released, the variables (not tracked by tidy) stay (C25).
    this.m = tf.tidy(() => tf.variable(tf.fill([this.total], 0), false));
    this.v = tf.tidy(() => tf.variable(tf.fill([this.total], 0), false));
  }

  /** Changes the learning rate for the following updates (schedules). */
  setLearningRate(learningRate: number): void {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new Error(`Adam: learningRate: expected a positive number, received ${learningRate}`);
    this.options.learningRate = learningRate;
  }

  /** Names of the variables this optimizer updates, in construction order. */
  variableNames(): string[] {
    return [...this.names];
  }

  /**
   * One update. `grads` maps variable names to gradients (missing or null: that variable is not updated).
   * The caller keeps ownership of the gradient tensors.
   */
  applyGradients(grads: Map<string, tf.Tensor | null | undefined> | Record<string, tf.Tensor | null | undefined>): void {
    const entries = grads instanceof Map ? [...grads.entries()] : Object.entries(grads);
    const given = new Map<string, tf.Tensor>();
    for (const [name, grad] of entries) {
      if (grad == null) continue;
      const variable = this.variables.get(name);
      if (!variable) throw new Error(`Adam: gradient for '${name}', which is not one of this optimizer's ${this.variables.size} variables`);
      if (!tf.util.arraysEqual(grad.shape, variable.shape)) {
        throw new Error(`Adam: gradient for '${name}': expected shape [${variable.shape}], received [${grad.shape}]`);
      }
      given.set(name, grad);
    }
    if (!given.size) return;
    const t0 = this.steps.get(this.names[0])!;
    const uniform = given.size === this.names.length && this.names.every((n) => this.steps.get(n) === t0);
    if (uniform) this.updateAll(given, t0 + 1);
    else this.updateSome(given);
  }

  /** The element-wise update of one (flat or per-variable) block; returns new m, new v and the step to subtract. */
  private moments(g: tf.Tensor, p: tf.Tensor | null, m: tf.Tensor, v: tf.Tensor, t: number): { m: tf.Tensor; v: tf.Tensor; delta: tf.Tensor } {
    const { learningRate, beta1, beta2, epsilon, weightDecay } = this.options;
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2 = 1 - beta2 ** t;
    const grad = weightDecay > 0 ? tf.add(g, tf.mul(p!, weightDecay)) : g;
    const newM = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
    const newV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
    const denom = tf.add(tf.div(tf.sqrt(newV), Math.sqrt(biasCorrection2)), epsilon);
    return { m: newM, v: newV, delta: tf.mul(tf.div(newM, denom), learningRate / biasCorrection1) };
  }

  /** Every variable has a gradient and the same step count: one flat update. */
  private updateAll(given: Map<string, tf.Tensor>, t: number): void {
    tf.tidy(() => {
      const flat = (tensors: tf.Tensor[]) => (tensors.length === 1 ? tf.reshape(tensors[0], [-1]) : tf.concat(tensors.map((x) => tf.reshape(x, [-1]))));
      const g = flat(this.names.map((n) => given.get(n)!));
      const p = this.options.weightDecay > 0 ? flat(this.names.map((n) => this.variables.get(n)!)) : null;
      const { m, v, delta } = this.moments(g, p, this.m, this.v, t);
      this.m.assign(m);
      this.v.assign(v);
      const parts = this.names.length === 1 ? [delta] : tf.split(delta, this.sizes);
      this.names.forEach((name, i) => {
        const variable = this.variables.get(name)!;
        variable.assign(tf.sub(variable, tf.reshape(parts[i], variable.shape)));
      });
    });
    for (const name of this.names) this.steps.set(name, t);
  }

  /** Some variables lack a gradient or step counts differ: per variable, on slices of the flat moments. */
  private updateSome(given: Map<string, tf.Tensor>): void {
    tf.tidy(() => {
      const mParts: tf.Tensor[] = [];
      const vParts: tf.Tensor[] = [];
      this.names.forEach((name, i) => {
        const offset = this.offsets.get(name)!;
        const size = this.sizes[i];
        const m = tf.slice(this.m, offset, size);
        const v = tf.slice(this.v, offset, size);
        const grad = given.get(name);
        if (!grad) {
          mParts.push(m);
          vParts.push(v);
          return;
        }
        const variable = this.variables.get(name)!;
        const t = this.steps.get(name)! + 1;
        this.steps.set(name, t);
        const out = this.moments(tf.reshape(grad, [-1]), tf.reshape(variable, [-1]), m, v, t);
        mParts.push(out.m);
        vParts.push(out.v);
        variable.assign(tf.sub(variable, tf.reshape(out.delta, variable.shape)));
      });
      this.m.assign(mParts.length === 1 ? mParts[0] : tf.concat(mParts));
      this.v.assign(vParts.length === 1 ? vParts[0] : tf.concat(vParts));
    });
  }

  /** The state, as copies the caller owns (dispose the tensors in `m` and `v` when done). */
  getState(): AdamState {
    const split = (flat: tf.Variable) =>
      new Map(
        this.names.map((name, i) => {
          const variable = this.variables.get(name)!;
          return [name, tf.tidy(() => tf.reshape(tf.slice(flat, this.offsets.get(name)!, this.sizes[i]), variable.shape))] as [string, tf.Tensor];
        }),
      );
    return { options: { ...this.options }, steps: Object.fromEntries(this.steps), m: split(this.m), v: split(this.v) };
  }

  /**
   * Restores a state from {@link getState} (or a checkpoint). Every variable must be present with its shape;
   * hyperparameters are not changed (they come from the configuration).
   * @throws Error naming missing, unexpected or mis-shaped entries.
   */
  setState(state: Pick<AdamState, 'steps' | 'm' | 'v'>): void {
    const problems: string[] = [];
    for (const name of this.variables.keys()) {
      if (!state.m.has(name) || !state.v.has(name)) problems.push(`missing moments for '${name}'`);
    }
    for (const name of state.m.keys()) if (!this.variables.has(name)) problems.push(`unexpected moments for '${name}'`);
    for (const [name, variable] of this.variables) {
      for (const [kind, map] of [['m', state.m], ['v', state.v]] as const) {
        const t = map.get(name);
        if (t && !tf.util.arraysEqual(t.shape, variable.shape)) problems.push(`${kind} of '${name}': expected shape [${variable.shape}], received [${t.shape}]`);
      }
    }
    if (problems.length) throw new Error(`Adam.setState: ${problems.join('; ')}`);
    if (!this.names.length) return;
    tf.tidy(() => {
      const flat = (map: Map<string, tf.Tensor>) => tf.concat(this.names.map((n) => tf.reshape(tf.cast(map.get(n)!, 'float32'), [-1])));
      this.m.assign(flat(state.m));
      this.v.assign(flat(state.v));
    });
    for (const name of this.names) this.steps.set(name, state.steps[name] ?? 0);
  }

  /** Frees the moment buffers (not the network's variables). */
  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

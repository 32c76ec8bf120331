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
 * @throws Error when a gradient is given for a variable this optimizer does not own, or its shape differs.
 */
export class Adam {
  readonly options: Required<AdamOptions>;
  private readonly variables = new Map<string, tf.Variable>();
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly steps = new Map<string, number>();

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
    for (const [name, variable] of variables) {
      if (this.variables.has(name)) throw new Error(`Adam: duplicate variable name '${name}'`);
      this.variables.set(name, variable);
      // Inside tidy: the zeros tensor is released, the variable (not tracked by tidy) stays (C25).
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
      this.steps.set(name, 0);
    }
  }

  /** Changes the learning rate for the following updates (schedules). */
  setLearningRate(learningRate: number): void {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new Error(`Adam: learningRate: expected a positive number, received ${learningRate}`);
    this.options.learningRate = learningRate;
  }

  /** Names of the variables this optimizer updates, in construction order. */
  variableNames(): string[] {
    return [...this.variables.keys()];
  }

  /**
   * One update. `grads` maps variable names to gradients (missing or null: that variable is not updated).
   * The caller keeps ownership of the gradient tensors.
   */
  applyGradients(grads: Map<string, tf.Tensor | null | undefined> | Record<string, tf.Tensor | null | undefined>): void {
    const entries = grads instanceof Map ? [...grads.entries()] : Object.entries(grads);
    const { learningRate, beta1, beta2, epsilon, weightDecay } = this.options;
    for (const [name, grad] of entries) {
      if (grad == null) continue;
      const variable = this.variables.get(name);
      if (!variable) throw new Error(`Adam: gradient for '${name}', which is not one of this optimizer's ${this.variables.size} variables`);
      if (!tf.util.arraysEqual(grad.shape, variable.shape)) {
        throw new Error(`Adam: gradient for '${name}': expected shape [${variable.shape}], received [${grad.shape}]`);
      }
      const t = (this.steps.get(name) ?? 0) + 1;
      this.steps.set(name, t);
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      const biasCorrection1 = 1 - beta1 ** t;
      const biasCorrection2 = 1 - beta2 ** t;
      tf.tidy(() => {
        const g = weightDecay > 0 ? tf.add(grad, tf.mul(variable, weightDecay)) : grad;
        const newM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const newV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(newM);
        v.assign(newV);
        const denom = tf.add(tf.div(tf.sqrt(newV), Math.sqrt(biasCorrection2)), epsilon);
        variable.assign(tf.sub(variable, tf.mul(tf.div(newM, denom), learningRate / biasCorrection1)));
      });
    }
  }

  /** The state, as copies the caller owns (dispose the tensors in `m` and `v` when done). */
  getState(): AdamState {
    const copy = (src: Map<string, tf.Variable>) => new Map([...src].map(([k, t]) => [k, tf.clone(t)] as [string, tf.Tensor]));
    return { options: { ...this.options }, steps: Object.fromEntries(this.steps), m: copy(this.m), v: copy(this.v) };
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
    for (const name of this.variables.keys()) {
      this.m.get(name)!.assign(state.m.get(name)!);
      this.v.get(name)!.assign(state.v.get(name)!);
      this.steps.set(name, state.steps[name] ?? 0);
    }
  }

  /** Frees the moment variables (not the network's variables). */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

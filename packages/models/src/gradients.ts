import * as tf from '@tensorflow/tfjs-core';

/**
 * The parts of tfjs-core's engine that `tf.grads` / `tf.variableGrads` use. They are not in its public typings;
 * {@link variableGrads} reads them and falls back to `tf.variableGrads` when any is missing (another tfjs version).
 */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

function engineInternals(): EngineInternals | null {
  const engine = tf.engine() as unknown as Partial<EngineInternals>;
  const ok =
    typeof engine.scopedRun === 'function' &&
    typeof engine.startTape === 'function' &&
    typeof engine.endTape === 'function' &&
    typeof engine.state === 'object' &&
    engine.state !== null &&
    typeof engine.state.gradientDepth === 'number';
  return ok ? (engine as EngineInternals) : null;
}

/**
 * The nodes of `tape` on a path from one of `xs` to `y`, in tape (execution) order, and the ids of the tensors that
 * descend from an x. A node is kept when one of its inputs descends from an x and one of its outputs leads to y; only
 * such nodes carry gradient from y to the xs, and only through their inputs that descend from an x.
 */
function nodesBetween(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): { nodes: TapeNode[]; fromX: Set<number> } {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const reachedFromX: boolean[] = tape.map((node) => {
    const reached = Object.values(node.inputs).some((t) => fromX.has(t.id));
    if (reached) for (const o of node.outputs) fromX.add(o.id);
    return reached;
  });
  const toY = new Set<number>([y.id]);
  const kept: boolean[] = new Array<boolean>(tape.length).fill(false);
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (!node.outputs.some((o) => toY.has(o.id))) continue;
    for (const t of Object.values(node.inputs)) toY.add(t.id);
    kept[i] = reachedFromX[i];
  }
  return { nodes: tape.filter((_, i) => kept[i]), fromX };
}

/** Frees the tensors the nodes saved for their gradients (each node's own clones: no other reader). */
function freeSaved(nodes: Iterable<TapeNode>): void {
  for (const node of nodes) for (const t of node.saved ?? []) t.dispose();
}

/**
 * `tf.variableGrads` with PyTorch autograd's memory behaviour. tfjs-core's backward pass keeps every tensor a
 * forward kernel saved for its gradient, and the gradient of every intermediate tensor, until the whole backward
 * pass ends, so its peak holds the activations *and* all of their gradients. This walk frees each node's saved
 * tensors as soon as its gradient has run and each intermediate gradient as soon as its last consumer has run, as
 * PyTorch does; the values are the same kernels in the same order, so the results are bit-identical to
 * `tf.variableGrads`.
 *
 * Inside another gradient (a higher-order use, e.g. R1 / gradient penalty: the outer tape still needs the saved
 * tensors) and on a tfjs whose engine lacks the internals this uses, it is `tf.variableGrads` itself.
 *
 * @param f the loss; must return a scalar.
 * @param varList variables to differentiate with respect to (default: all trainable variables).
 * @returns `value` (the scalar f returned) and `grads` keyed by variable name; a variable f does not depend on is
 *   absent from `grads`.
 * @throws Error when f is not a function or varList not an array of variables, when f returns a non-scalar, or when no variable in `varList` reaches f's value (tf.variableGrads
 *   throws there too).
 */
export function variableGrads(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  if (typeof f !== 'function') throw new Error(`variableGrads: f: expected a function returning a scalar, received ${f === null ? 'null' : typeof f}`);
  if (varList !== undefined && (!Array.isArray(varList) || !varList.every((v) => v instanceof tf.Variable))) {
    throw new Error(`variableGrads: varList: expected an array of tf.Variable, received ${Array.isArray(varList) ? 'an array holding other values' : varList === null ? 'null' : typeof varList}`);
  }
  const engine = engineInternals();
  if (!engine || engine.state.gradientDepth > 0) return tf.variableGrads(f, varList);
  const variables = (varList ?? Object.values((tf.engine() as unknown as { registeredVariables: Record<string, tf.Variable> }).registeredVariables)).filter(
    (v) => v.trainable,
  );
  if (variables.length === 0) throw new Error('variableGrads: expected at least one trainable variable in varList, received none');
  let y: tf.Scalar;
  try {
    y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => engine.tidy('forward', f),
    );
  } catch (error) {
    freeSaved(engine.state.activeTape ?? []);
    engine.state.activeTape = null;
    throw error;
  }
  const tape = engine.state.activeTape ?? [];
  engine.state.activeTape = null;
  if (!(y instanceof tf.Tensor) || y.rank !== 0) {
    freeSaved(tape);
    tf.dispose(y as tf.TensorContainer);
    throw new Error(`variableGrads: expected f to return a scalar tensor, received ${y instanceof tf.Tensor ? `shape [${y.shape.join(', ')}]` : typeof y}`);
  }
  const { nodes, fromX } = nodesBetween(tape, variables, y);
  if (nodes.length === 0) {
    freeSaved(tape);
    y.dispose();
    throw new Error('variableGrads: none of the variables in varList reaches the value f returns (no gradient path)');
  }
  // Saved tensors of nodes off the x → y path are never read: free them now (tfjs frees them at the end).
  const onPath = new Set(nodes);
  freeSaved(tape.filter((node) => !onPath.has(node)));
  try {
    return backward(nodes, fromX, variables, y);
  } catch (error) {
    freeSaved(nodes);
    y.dispose();
    throw error;
  }
}

/** The reverse walk of {@link variableGrads}: gradients by variable name, freeing as it goes. */
function backward(nodes: TapeNode[], fromX: Set<number>, variables: tf.Variable[], y: tf.Scalar): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const wanted = new Set(variables.map((v) => v.id));
  return tf.tidy(() => {
    // Gradient of each tensor id still to be consumed. A tensor's gradient is complete once every node that took it
    // as an input has run backward, which (walking the tape in reverse) is when the node that produced it is reached.
    // A gradient kernel may hand back its dy itself as a dx, so one tensor can be the gradient of several ids:
    // `holders` counts them and a tensor is freed with its last holder.
    const gradient = new Map<number, tf.Tensor>();
    const holders = new Map<tf.Tensor, number>();
    const hold = (id: number, t: tf.Tensor) => {
      gradient.set(id, t);
      holders.set(t, (holders.get(t) ?? 0) + 1);
    };
    const release = (id: number) => {
      const t = gradient.get(id);
      if (!t) return;
      gradient.delete(id);
      const left = (holders.get(t) ?? 1) - 1;
      if (left > 0) {
        holders.set(t, left);
      } else {
        holders.delete(t);
        t.dispose();
      }
    };
    hold(y.id, tf.onesLike(y));
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      if (!node.gradient) throw new Error(`variableGrads: no gradient registered for kernel ${node.kernelName}`);
      const dys = node.outputs.map((o) => gradient.get(o.id) ?? null);
      const thunks = node.gradient(dys);
      for (const [name, x] of Object.entries(node.inputs)) {
        if (!fromX.has(x.id)) continue; // no variable behind this input: its gradient is never computed (as tfjs)
        const thunk = thunks[name];
        if (!thunk) throw new Error(`variableGrads: kernel ${node.kernelName} has no gradient for its input '${name}'`);
        const dx = tf.tidy(thunk);
        if (dx.dtype !== 'float32') throw new Error(`variableGrads: the gradient of ${node.kernelName}'s input '${name}' is ${dx.dtype}, expected float32`);
        const previous = gradient.get(x.id);
        if (!previous) {
          hold(x.id, dx);
          continue;
        }
        const sum = tf.add(previous, dx);
        release(x.id);
        if (!holders.has(dx)) dx.dispose();
        hold(x.id, sum);
      }
      // This node's saved tensors and its outputs' gradients have no reader left.
      freeSaved([node]);
      for (const o of node.outputs) if (!wanted.has(o.id)) release(o.id);
    }
    const grads: tf.NamedTensorMap = {};
    for (const v of variables) {
      const g = gradient.get(v.id);
      if (g) grads[v.name] = g;
    }
    return { value: y, grads };
  });
}

import * as tf from '@tensorflow/tfjs-core';

/** One step's numbers, read from the device by {@link StepRecorder.flush}. */
export interface StepRecord {
  /** 1-based index of the completed step. */
  step: number;
  /**
   * Loss terms and diagnostics by name: `d/<term>` and `g/<term>` (unweighted values of the terms that ran:
   * `adv`, `cond`, `fm`, …), `d/loss` and `g/loss` (the weighted totals), `diag/…` (diagnostics).
   */
  values: Record<string, number>;
  /** Wall-clock milliseconds the step took on the host (ops run eagerly on the cpu and native backends). */
  ms: number;
  gLr: number;
  dLr: number;
}

const NETWORKS: Record<string, string> = { d: 'discriminator', g: 'generator' };

/** Thrown by {@link StepRecorder.flush} when a loss term is NaN or ±Infinity. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    /** `d/<term>` or `g/<term>`; `d/total` / `g/total` for the weighted sums. */
    readonly term: string,
    readonly value: number,
    /** The records of the same flush before the bad step (all finite). */
    readonly records: StepRecord[] = [],
  ) {
    const [net, part] = term.split('/');
    super(`step ${step}: ${NETWORKS[net] ?? net} loss term '${part}' is ${Number.isNaN(value) ? 'NaN' : value > 0 ? '+Infinity' : '-Infinity'}`);
    this.name = 'NonFiniteLossError';
  }
}

/**
 * Holds the scalars of completed steps on the device and reads a whole logging interval at once. The check
 * covers whatever terms ran in each step (every recorded name except `diag/…`), parts before totals, so the
 * error names the term that went bad first.
 */
export class StepRecorder {
  private readonly pending: { step: number; names: string[]; scalars: tf.Scalar[]; ms: number }[] = [];

  /** Takes ownership of `values` (scalars on the device). */
  push(step: number, values: Record<string, tf.Scalar>, ms: number): void {
    this.pending.push({ step, names: Object.keys(values), scalars: Object.values(values), ms });
  }

  get size(): number {
    return this.pending.length;
  }

  /** @throws NonFiniteLossError naming the first step and term that is NaN or infinite. */
  async flush(learningRates: { gLr: number; dLr: number }): Promise<StepRecord[]> {
    if (!this.pending.length) return [];
    const pending = this.pending.splice(0, this.pending.length);
    const all = tf.tidy(() => tf.stack(pending.flatMap((p) => p.scalars)));
    const values = await all.data();
    all.dispose();
    for (const p of pending) tf.dispose(p.scalars);
    const records: StepRecord[] = [];
    let offset = 0;
    for (const p of pending) {
      const out: Record<string, number> = {};
      p.names.forEach((name, i) => (out[name] = values[offset + i]));
      offset += p.names.length;
      records.push({ step: p.step, values: out, ms: p.ms, ...learningRates });
    }
    for (const r of records) {
      const checked = Object.keys(r.values).filter((name) => !name.startsWith('diag/'));
      const ordered = [...checked.filter((n) => !n.endsWith('/loss')), ...checked.filter((n) => n.endsWith('/loss'))];
      for (const name of ordered) {
        const v = r.values[name];
        if (!Number.isFinite(v)) {
          const term = name.endsWith('/loss') ? `${name.split('/')[0]}/total` : name;
          throw new NonFiniteLossError(r.step, term, v, records.filter((x) => x.step < r.step));
        }
      }
    }
    return records;
  }

  dispose(): void {
    for (const p of this.pending) tf.dispose(p.scalars);
    this.pending.length = 0;
  }
}

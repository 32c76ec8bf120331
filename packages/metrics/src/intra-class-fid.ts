import { describeValue, MetricInputError } from './errors.js';
import { type FeatureInput, toDenseFeatures } from './features.js';
import { defaultWarningHandler, type FrechetDistanceOptions, frechetDistanceWithDetails } from './fid.js';
import { type FeatureStatistics, StatisticsAccumulator } from './statistics.js';

/**
 * Streaming per-class statistics: one {@link StatisticsAccumulator} per class label.
 */
export class ClassConditionalStatisticsAccumulator {
  private readonly accumulators: StatisticsAccumulator[];

  constructor(
    readonly numClasses: number,
    options: { dim?: number; name?: string } = {},
  ) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new MetricInputError(`ClassConditionalStatisticsAccumulator: numClasses must be a positive integer, received ${numClasses}`);
    }
    this.accumulators = Array.from(
      { length: numClasses },
      (_, c) => new StatisticsAccumulator({ dim: options.dim, name: `${options.name ?? 'features'} of class ${c}` }),
    );
  }

  /** Adds a batch of features with one integer label per row. */
  add(features: FeatureInput, labels: ArrayLike<number>): this {
    const { data, rows, dim } = toDenseFeatures(features, 'features');
    if (labels.length !== rows) {
      throw new MetricInputError(`ClassConditionalStatisticsAccumulator.add: labels has length ${labels.length}, expected one label per row (${rows})`);
    }
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < rows; i++) {
      const c = labels[i];
      if (!Number.isInteger(c) || c < 0 || c >= this.numClasses) {
        throw new MetricInputError(`ClassConditionalStatisticsAccumulator.add: label ${c} at row ${i} is not an integer in [0, ${this.numClasses})`);
      }
      let list = byClass.get(c);
      if (!list) byClass.set(c, (list = []));
      list.push(i);
    }
    for (const [c, rowsOfClass] of byClass) {
      const sub = new Float64Array(rowsOfClass.length * dim);
      rowsOfClass.forEach((r, k) => {
        for (let j = 0; j < dim; j++) sub[k * dim + j] = data[r * dim + j];
      });
      this.accumulators[c].add({ data: sub, shape: [rowsOfClass.length, dim] });
    }
    return this;
  }

  /** Samples seen per class. */
  counts(): number[] {
    return this.accumulators.map((a) => a.count);
  }

  /** Per-class statistics (index = class). @throws when a class has fewer than 2 samples. */
  statistics(): FeatureStatistics[] {
    return this.accumulators.map((a) => a.statistics());
  }
}

/** Per-class input to {@link intraClassFid}: statistics indexed by class, or features with labels. */
export type ClassConditionalInput = readonly FeatureStatistics[] | { features: FeatureInput; labels: ArrayLike<number> };

export interface IntraClassFidOptions extends FrechetDistanceOptions {
  /** Number of classes (needed with features + labels; default 1 + the largest label). */
  numClasses?: number;
}

export interface IntraClassFidResult {
  /** Mean of the per-class FIDs. */
  mean: number;
  /** FID of each class, with the sample counts used. */
  perClass: { classIndex: number; fid: number; realCount: number; fakeCount: number }[];
}

/**
 * Intra-class FID (Miyato & Koyama 2018, "cGANs with projection discriminator"): the FID between real
 * and generated features of each class separately, averaged over classes. Float64.
 *
 * Each class's FID warns (through onWarning, once per call) when a class has fewer samples than the
 * feature dimension + 1, which is usual with Inception features: the per-class numbers are then biased.
 * @throws MetricInputError when the class lists differ in length or a class has < 2 samples.
 */
export function intraClassFid(real: ClassConditionalInput, fake: ClassConditionalInput, options: IntraClassFidOptions = {}): IntraClassFidResult {
  const numClasses = options.numClasses ?? Math.max(classCountOf(real), classCountOf(fake));
  const realStats = toClassStatistics(real, numClasses, 'real');
  const fakeStats = toClassStatistics(fake, numClasses, 'fake');
  if (realStats.length !== fakeStats.length) {
    throw new MetricInputError(`intraClassFid: real has ${realStats.length} classes, fake has ${fakeStats.length}`);
  }
  const onWarning = options.onWarning ?? defaultWarningHandler;
  const seen = new Set<string>();
  const perClass = realStats.map((rs, c) => {
    const fs = fakeStats[c];
    const { fid } = frechetDistanceWithDetails(rs, fs, {
      ...options,
      onWarning: (message) => {
        const key = message.replace(/\d+/g, '#');
        if (!seen.has(key)) {
          seen.add(key);
          onWarning(`class ${c}: ${message}`);
        }
      },
    });
    return { classIndex: c, fid, realCount: rs.count, fakeCount: fs.count };
  });
  const mean = perClass.reduce((a, p) => a + p.fid, 0) / perClass.length;
  return { mean, perClass };
}

function classCountOf(input: ClassConditionalInput): number {
  if (Array.isArray(input)) return input.length;
  const { labels } = input as { labels: ArrayLike<number> };
  let max = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  return max + 1;
}

function toClassStatistics(input: ClassConditionalInput, numClasses: number, name: string): FeatureStatistics[] {
  if (Array.isArray(input)) return input as FeatureStatistics[];
  if (typeof input === 'object' && input !== null && 'features' in input && 'labels' in input) {
    const { features, labels } = input as { features: FeatureInput; labels: ArrayLike<number> };
    const acc = new ClassConditionalStatisticsAccumulator(numClasses, { name: `${name} features` });
    acc.add(features, labels);
    return acc.statistics();
  }
  throw new MetricInputError(`intraClassFid: ${name} must be per-class statistics or { features, labels }, received ${describeValue(input)}`);
}

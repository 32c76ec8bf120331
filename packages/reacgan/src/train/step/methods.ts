/**
 * The conditioning methods of the discriminator (`MODEL.d_cond_mtd`), one entry each: the only list of them
 * in this package. The configuration checks (`resolveConfig`), the trainer's loss terms and diagnostics, and
 * the set of methods the trainer accepts all read this registry.
 *
 * Sources: StudioGAN v0.3.0 `src/worker.py` (`WORKER.__init__` picks the loss per method; `train_discriminator`
 * / `train_generator` apply it), `src/config.py` (`MISC.classifier_based_GAN = ["AC", "2C", "D2DCE"]`).
 */
import * as losses from '@reacgan/losses';
import type * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import type { LossConfig } from '../../config/schema.js';

/** Which head of D a conditioning loss reads: the main one, or TAC's twin (`mi_*` outputs). */
export type ConditioningHead = 'main' | 'twin';

export interface ConditioningMethod {
  /** `MODEL.d_cond_mtd`. */
  name: models.DiscriminatorConditioning;
  /** One line for documentation and messages. */
  description: string;
  /**
   * The classifier-based conditioning loss L(out, labels) (StudioGAN's `cond_loss`; with head 'twin', TAC's
   * `cond_loss_mi`), or null for methods that condition through the adversarial output (PD, MD, MH, W/O).
   * `labels` are the labels D used: the batch's (host array), or with ADC D's `label` output (2y or 2y + 1, an
   * int32 tensor made by D itself, so not read back for validation). Returns a float32 scalar.
   */
  loss: ((out: models.DiscriminatorOutput, labels: losses.LabelsLike, loss: LossConfig, head: ConditioningHead) => tf.Scalar) | null;
  /**
   * The loss's name when it contrasts each sample with the other samples of its batch (2C, D2D-CE: exactly 0 at
   * batch size 1); absent for the other methods.
   */
  batchContrastive?: string;
  /** The D output the consistency terms (CR, bCR, zCR) compare besides `advOutput` (StudioGAN `worker.py`). */
  consistencyOutput: 'clsOutput' | 'embed' | null;
  /** Loss keys the method needs (null in a configuration is an error naming the method). */
  requires: readonly { key: keyof LossConfig; expected: string }[];
  /** The adversarial logit summarised in diagnostics (MH: the largest of the C + 1 logits). */
  logit(out: models.DiscriminatorOutput): tf.Tensor;
  /**
   * The paper's diagnostics of the conditioning head on one D output (`run.headDiagnostics`), by name (recorded
   * as `diag/head/<name>`), besides the feature-norm mean/std every method gets; absent for methods without them.
   */
  diagnostics?(out: models.DiscriminatorOutput, labels: losses.LabelsLike, loss: LossConfig): Record<string, tf.Scalar>;
}

const plainLogit = (out: models.DiscriminatorOutput): tf.Tensor => out.advOutput;

function required<T>(value: T | undefined, what: string, method: string): T {
  if (value === undefined || value === null) throw new Error(`trainer: the discriminator returned no ${what} for dCondMtd '${method}'`);
  return value;
}

function contrastiveInputs(out: models.DiscriminatorOutput, labels: losses.LabelsLike, head: ConditioningHead, method: string): losses.ContrastiveInputs {
  return head === 'main'
    ? { embed: required(out.embed, 'embed', method), proxy: required(out.proxy, 'proxy', method), labels }
    : { embed: required(out.miEmbed, 'miEmbed (TAC twin head)', method), proxy: required(out.miProxy, 'miProxy (TAC twin head)', method), labels };
}

const LAMBDA = { key: 'condLambda', expected: 'a number' } as const;
const TEMPERATURE = { key: 'temperature', expected: 'a positive number' } as const;

/** Every conditioning method the trainer implements, by `MODEL.d_cond_mtd`. */
export const CONDITIONING_METHODS: Readonly<Record<string, ConditioningMethod>> = {
  'W/O': { name: 'W/O', description: 'unconditional discriminator', loss: null, consistencyOutput: null, requires: [], logit: plainLogit },
  AC: {
    name: 'AC',
    description: 'ACGAN-Mod: cross-entropy of a linear classifier on h (reals in D, fakes in G)',
    loss: (out, labels, _loss, head) =>
      losses.crossEntropyLoss(required(head === 'main' ? out.clsOutput : out.miClsOutput, head === 'main' ? 'clsOutput' : 'miClsOutput (TAC twin head)', 'AC'), labels, {
        validateLabels: !(labels instanceof tf.Tensor),
      }),
    consistencyOutput: 'clsOutput',
    requires: [LAMBDA],
    logit: plainLogit,
    // StudioGAN misc.compute_gradient on (h, cls_output, label), summarised by mean and std as it logged them.
    diagnostics: (out, labels) => {
      const d = losses.classifierGradientDiagnostics({ features: out.h, logits: required(out.clsOutput, 'clsOutput', 'AC'), labels });
      const p = losses.meanAndStd(d.targetProbability);
      const g = losses.meanAndStd(d.weightGradientNorm);
      tf.dispose([d.featureNorm, d.targetProbability, d.weightGradientNorm]);
      return { targetProbabilityMean: p.mean, targetProbabilityStd: p.std, weightGradientNormMean: g.mean, weightGradientNormStd: g.std };
    },
  },
  '2C': {
    name: '2C',
    description: "ContraGAN's conditional contrastive loss on embed and proxy",
    loss: (out, labels, loss, head) => losses.conditionalContrastiveLoss(contrastiveInputs(out, labels, head, '2C'), { temperature: loss.temperature! }),
    batchContrastive: '2C',
    consistencyOutput: 'embed',
    requires: [LAMBDA, TEMPERATURE],
    logit: plainLogit,
  },
  D2DCE: {
    name: 'D2DCE',
    description: "ReACGAN's data-to-data cross-entropy on embed and proxy",
    loss: (out, labels, loss, head) =>
      losses.data2DataCrossEntropyLoss(contrastiveInputs(out, labels, head, 'D2DCE'), {
        temperature: loss.temperature!,
        positiveMargin: loss.mP!,
        negativeMargin: loss.mN ?? 1 - loss.mP!,
        variant: loss.d2dceVariant,
        falseNegativeMask: loss.falseNegativeMask,
      }),
    batchContrastive: 'D2D-CE',
    consistencyOutput: 'embed',
    requires: [LAMBDA, TEMPERATURE, { key: 'mP', expected: 'a number in [-1, 1]' }],
    logit: plainLogit,
    diagnostics: (out, labels, loss) => {
      const d = losses.d2dceDiagnostics(contrastiveInputs(out, labels, 'main', 'D2DCE'), {
        positiveMargin: loss.mP!,
        negativeMargin: loss.mN ?? 1 - loss.mP!,
        falseNegativeMask: loss.falseNegativeMask,
      });
      return { ...d };
    },
  },
  PD: { name: 'PD', description: 'projection discriminator: ⟨embedding(y), h⟩ added to the adversarial output', loss: null, consistencyOutput: null, requires: [], logit: plainLogit },
  MD: { name: 'MD', description: 'multiple discriminators: the adversarial output of the label', loss: null, consistencyOutput: null, requires: [], logit: plainLogit },
  MH: {
    name: 'MH',
    description: 'multi-hinge (MHGAN): C + 1 adversarial outputs scored with the Crammer–Singer loss',
    loss: null,
    consistencyOutput: null,
    requires: [{ key: 'mhLambda', expected: 'a number' }],
    logit: (out) => tf.max(out.advOutput, 1),
  },
};

/**
 * The registry entry of `MODEL.d_cond_mtd`.
 * @throws Error naming the method and the implemented ones when it has no entry.
 */
export function conditioningMethod(name: string): ConditioningMethod {
  const method = CONDITIONING_METHODS[name];
  if (!method) throw new Error(`model.dCondMtd: expected one of ${Object.keys(CONDITIONING_METHODS).map((m) => `'${m}'`).join(', ')}, received '${name}'`);
  return method;
}

/** Whether a method has a classifier-based conditioning loss (StudioGAN's `MISC.classifier_based_GAN`). */
export function isClassifierBased(name: string): boolean {
  return CONDITIONING_METHODS[name]?.loss != null;
}

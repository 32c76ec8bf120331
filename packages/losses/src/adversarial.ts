import * as tf from '@tensorflow/tfjs-core';
import { checkLogitVector, fail } from './validate.js';

// Adversarial losses of StudioGAN (src/utils/losses.py, `LOSS.adv_loss`), as batch means.
// Logits are D's raw `adv_output` (no sigmoid), float32 [N] or [N, 1]. Real and fake batches may
// differ in size: each term is averaged over its own batch (identical to StudioGAN's
// mean(term_r + term_f) when the sizes agree).

/** A discriminator loss: (D(x_real), D(G(z))) logits → scalar. */
export type DiscriminatorLossFn = (realLogits: tf.Tensor, fakeLogits: tf.Tensor) => tf.Scalar;
/** A generator loss: D(G(z)) logits → scalar. */
export type GeneratorLossFn = (fakeLogits: tf.Tensor) => tf.Scalar;

function twoSided(
  fn: string,
  realLogits: tf.Tensor,
  fakeLogits: tf.Tensor,
  real: (r: tf.Tensor) => tf.Tensor,
  fake: (f: tf.Tensor) => tf.Tensor,
): tf.Scalar {
  checkLogitVector(fn, 'realLogits', realLogits);
  checkLogitVector(fn, 'fakeLogits', fakeLogits);
  return tf.tidy(() => tf.add(tf.mean(real(tf.reshape(realLogits, [-1]))), tf.mean(fake(tf.reshape(fakeLogits, [-1])))) as tf.Scalar);
}

function oneSided(fn: string, fakeLogits: tf.Tensor, fake: (f: tf.Tensor) => tf.Tensor): tf.Scalar {
  checkLogitVector(fn, 'fakeLogits', fakeLogits);
  return tf.tidy(() => tf.mean(fake(tf.reshape(fakeLogits, [-1]))) as tf.Scalar);
}

/**
 * Hinge D loss (SAGAN/BigGAN; StudioGAN `d_hinge`): mean(ReLU(1 − r)) + mean(ReLU(1 + f)).
 * @param realLogits float32 [N] or [N, 1]; @param fakeLogits float32 [M] or [M, 1]. @returns float32 scalar.
 */
export function discriminatorHingeLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return twoSided('discriminatorHingeLoss', realLogits, fakeLogits, (r) => tf.relu(tf.sub(1, r)), (f) => tf.relu(tf.add(1, f)));
}

/** Hinge G loss (StudioGAN `g_hinge`): −mean(f). @param fakeLogits float32 [N] or [N, 1]. */
export function generatorHingeLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return oneSided('generatorHingeLoss', fakeLogits, (f) => tf.neg(f));
}

/**
 * Logistic (non-saturating, "vanilla") D loss: mean(softplus(−r)) + mean(softplus(f)) =
 * −mean(log σ(r)) − mean(log(1 − σ(f))). Exact — no eps clipping (an eps of 1e-6 caps the fake term at
 * 13.8155 and kills its gradient: StudioGAN #112) — and finite for any finite logit (softplus(300) = 300).
 * StudioGAN `d_logistic`, and `d_vanilla` since commit 3f875a9.
 */
export function discriminatorLogisticLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return twoSided('discriminatorLogisticLoss', realLogits, fakeLogits, (r) => tf.softplus(tf.neg(r)), (f) => tf.softplus(f));
}

/** Non-saturating G loss: mean(softplus(−f)) = −mean(log σ(f)). StudioGAN `g_logistic` / `g_vanilla`. */
export function generatorLogisticLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return oneSided('generatorLogisticLoss', fakeLogits, (f) => tf.softplus(tf.neg(f)));
}

/** Least-squares (LSGAN) D loss, StudioGAN `d_ls`: mean(½(r − 1)²) + mean(½ f²). */
export function discriminatorLeastSquaresLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return twoSided(
    'discriminatorLeastSquaresLoss',
    realLogits,
    fakeLogits,
    (r) => tf.mul(0.5, tf.square(tf.sub(r, 1))),
    (f) => tf.mul(0.5, tf.square(f)),
  );
}

/** Least-squares G loss, StudioGAN `g_ls`: mean(½(f − 1)²). */
export function generatorLeastSquaresLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return oneSided('generatorLeastSquaresLoss', fakeLogits, (f) => tf.mul(0.5, tf.square(tf.sub(f, 1))));
}

/**
 * Wasserstein critic loss, StudioGAN `d_wasserstein`: mean(f) − mean(r). Needs a Lipschitz constraint
 * (gradient penalty, DRA or weight clipping), which is not part of this function.
 */
export function discriminatorWassersteinLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return twoSided('discriminatorWassersteinLoss', realLogits, fakeLogits, (r) => tf.neg(r), (f) => f);
}

/** Wasserstein G loss, StudioGAN `g_wasserstein`: −mean(f). */
export function generatorWassersteinLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return oneSided('generatorWassersteinLoss', fakeLogits, (f) => tf.neg(f));
}

/** Canonical adversarial loss names (the issue's spelling). */
export type AdversarialLossKind = 'hinge' | 'logistic' | 'least_squares' | 'wasserstein';

/**
 * Names accepted by {@link adversarialLoss}: the canonical ones plus StudioGAN's config spellings
 * `'vanilla'` (= logistic) and `'least_square'` (= least_squares).
 */
export type AdversarialLossName = AdversarialLossKind | 'vanilla' | 'least_square';

export interface AdversarialLoss {
  /** The canonical name (e.g. 'logistic' for 'vanilla'). */
  readonly name: AdversarialLossKind;
  discriminator: DiscriminatorLossFn;
  generator: GeneratorLossFn;
}

const LOSSES: Record<AdversarialLossKind, AdversarialLoss> = {
  hinge: Object.freeze({ name: 'hinge', discriminator: discriminatorHingeLoss, generator: generatorHingeLoss }),
  logistic: Object.freeze({ name: 'logistic', discriminator: discriminatorLogisticLoss, generator: generatorLogisticLoss }),
  least_squares: Object.freeze({
    name: 'least_squares',
    discriminator: discriminatorLeastSquaresLoss,
    generator: generatorLeastSquaresLoss,
  }),
  wasserstein: Object.freeze({
    name: 'wasserstein',
    discriminator: discriminatorWassersteinLoss,
    generator: generatorWassersteinLoss,
  }),
};

const ALIASES: Record<AdversarialLossName, AdversarialLossKind> = {
  hinge: 'hinge',
  logistic: 'logistic',
  vanilla: 'logistic',
  least_squares: 'least_squares',
  least_square: 'least_squares',
  wasserstein: 'wasserstein',
};

/** Every name {@link adversarialLoss} accepts. */
export const ADVERSARIAL_LOSS_NAMES: readonly AdversarialLossName[] = Object.freeze(Object.keys(ALIASES) as AdversarialLossName[]);

/**
 * Looks up an adversarial loss pair by StudioGAN's `LOSS.adv_loss` name: 'hinge', 'logistic',
 * 'vanilla' (same as logistic), 'least_squares' / 'least_square' (StudioGAN's spelling), 'wasserstein'.
 * 'MH' (multi-hinge) needs class labels: use multiHingeDiscriminatorLoss / multiHingeGeneratorLoss.
 * @throws Error naming the accepted names for anything else.
 */
export function adversarialLoss(name: AdversarialLossName): AdversarialLoss {
  if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(ALIASES, name)) return LOSSES[ALIASES[name]];
  if (name === ('MH' as string)) {
    throw new Error(
      "adversarialLoss: 'MH' (multi-hinge) takes class labels and C + 1 logits per sample; use multiHingeDiscriminatorLoss / multiHingeGeneratorLoss.",
    );
  }
  return fail('adversarialLoss', 'name', `one of ${ADVERSARIAL_LOSS_NAMES.map((n) => `'${n}'`).join(', ')}`, name);
}

/**
 * The registry of loss terms, in StudioGAN's order of accumulation (`worker.py`: D: adversarial, conditioning,
 * TAC/ADC, CR, bCR, zCR, GP, LeCam, R1; G: adversarial, conditioning, TAC/ADC, feature matching, zCR). The
 * order is the order of D's extra forward passes and of the random draws too.
 */
import type { LossTermDefinition } from '../terms.js';
import { adversarialTerms } from './adversarial.js';
import { auxiliaryClassifierTerms } from './auxiliary-classifier.js';
import { conditioningTerms } from './conditioning.js';
import { consistencyTerms } from './consistency.js';
import { featureMatchingTerms } from './feature-matching.js';
import { gradientPenaltyTerms } from './gradient-penalty.js';
import { lecamTerms } from './lecam.js';
import { r1Terms } from './r1.js';

export const LOSS_TERM_DEFINITIONS: readonly LossTermDefinition[] = [
  adversarialTerms,
  conditioningTerms,
  auxiliaryClassifierTerms,
  featureMatchingTerms,
  consistencyTerms,
  gradientPenaltyTerms,
  lecamTerms,
  r1Terms,
];

/**
 * The registry of loss terms, in StudioGAN's order of accumulation (v0.3.0 `worker.py`: adversarial,
 * conditioning, …, then the regularisers). The order is the order of D's extra forward passes too.
 */
import type { LossTermDefinition } from '../terms.js';
import { adversarialTerms } from './adversarial.js';
import { conditioningTerms } from './conditioning.js';
import { featureMatchingTerms } from './feature-matching.js';

export const LOSS_TERM_DEFINITIONS: readonly LossTermDefinition[] = [adversarialTerms, conditioningTerms, featureMatchingTerms];

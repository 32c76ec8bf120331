/**
 * reacgan: the ReACGAN meta-package. Re-exports the published @reacgan/* packages as namespaces
 * and holds the wiring: backend selection, presets, trainer and CLI (no math of its own).
 */
import * as data from '@reacgan/data';
import * as losses from '@reacgan/losses';
import * as metrics from '@reacgan/metrics';
import * as models from '@reacgan/models';

export { data, losses, metrics, models };
export {
  BACKEND_CHOICES,
  formatBackendReport,
  initBackend,
  parseBackendChoice,
  type BackendAttempt,
  type BackendChoice,
  type BackendReport,
  type InitBackendOptions,
} from './backend.js';

import { version as reacganVersion } from './version.js';

/** Versions of this package and of the packages it wires together (tfjs umbrella pattern). */
export const version = {
  reacgan: reacganVersion,
  '@reacgan/losses': losses.version,
  '@reacgan/models': models.version,
  '@reacgan/metrics': metrics.version,
  '@reacgan/data': data.version,
} as const;

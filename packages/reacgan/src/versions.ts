import * as data from '@reacgan/data';
import * as losses from '@reacgan/losses';
import * as metrics from '@reacgan/metrics';
import * as models from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { version as reacganVersion } from './version.js';

/** Versions of this package, the packages it wires together and tfjs-core (recorded in every run). */
export const versions = {
  reacgan: reacganVersion,
  '@reacgan/losses': losses.version,
  '@reacgan/models': models.version,
  '@reacgan/metrics': metrics.version,
  '@reacgan/data': data.version,
  '@tensorflow/tfjs-core': tf.version_core,
} as const;

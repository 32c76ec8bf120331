// The GPU step measurement of the bundle (bench/src/gpu-bench.ts; scripts/gpu/build-bundle.mjs).
import './bundle-prelude.js';
import '../../bench/src/gpu-bench.js';

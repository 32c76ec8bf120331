// The `reacgan` CLI of the GPU bundle (scripts/gpu/build-bundle.mjs).
import './bundle-prelude.js';
import '../../packages/reacgan/src/cli.js';

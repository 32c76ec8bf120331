export { allcloseReport, type AllcloseOptions, type AllcloseReport } from './allclose.js';
export { describeBackends, loadNativeBackend, testBackends } from './backends.js';
export { loadFixture, SHARED_DATA_DIR, sharedDataset } from './fixtures.js';
export { checkGradient, type GradientCheckResult } from './gradcheck.js';
export { expectNoTensorLeak, tensorCountsAcross } from './memory.js';
export { nativeInstalled, nativeStatusFile, readNativeStatus, readWebGpuStatus, repositoryRoot, webGpuStatusFile, type NativeStatus, type WebGpuSetupStatus } from './native-status.js';
export { forbidSyncReads, NO_SYNC_MESSAGE } from './no-sync.js';
export { codesToImages, hashWeights, loadStudioganFixture, studioganDigestTolerance, studioganMomentTolerance, studioganTolerance, STUDIOGAN_DIGEST_FIELDS, STUDIOGAN_FIXTURE_DIR, STUDIOGAN_FIXTURES, type FixtureTensor, type SafetensorsDecoder, type StudioganFixture } from './studiogan.js';

/**
 * First module of every GPU-bundle entry (scripts/gpu/build-bundle.mjs): registers the cpu backend and makes
 * initBackend find the packages bundled with it (a single-file bundle cannot resolve package names at run
 * time). `webgpu` (Dawn's Node bindings, a native addon) stays a real package beside the bundle.
 */
import '@tensorflow/tfjs-backend-cpu';
import { setBackendImporter } from 'reacgan';

setBackendImporter(async (name) => {
  switch (name) {
    case '@tensorflow/tfjs-backend-webgpu':
      return import('@tensorflow/tfjs-backend-webgpu');
    case '@tensorflow/tfjs-backend-cpu':
      return import('@tensorflow/tfjs-backend-cpu');
    case '@tensorflow/tfjs':
      // Only asked for to register the gradients.
      return import('@tensorflow/tfjs-core/dist/register_all_gradients');
    case 'webgpu':
      return import('webgpu');
    default:
      throw Object.assign(new Error(`Cannot find module '${name}' (not in the GPU bundle)`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
});

/**
 * Node ESM resolve hook used by the benchmark workers. @reacgan/models and reacgan import
 * `@tensorflow/tfjs-core/dist/register_all_gradients(.js)` to register tfjs-core's gradients. That file
 * is bundler-only ESM (extensionless and directory imports), so plain Node fails with
 * ERR_MODULE_NOT_FOUND …/tfjs-core/dist/gradients/Abs_grad (reported to the owners). The workers load
 * @tensorflow/tfjs-node first, whose @tensorflow/tfjs umbrella (CommonJS bundle) already registers every
 * gradient in tfjs-core's global registry, so the import is resolved to an empty module here.
 */
type Resolve = (specifier: string, context: { parentURL?: string }, next: Resolve) => Promise<{ url: string; shortCircuit?: boolean }>;

export const resolve: Resolve = async (specifier, context, next) => {
  if (/^@tensorflow\/tfjs-core\/dist\/register_all_gradients(\.js)?$/.test(specifier)) {
    return { url: 'data:text/javascript,export{}', shortCircuit: true };
  }
  return next(specifier, context, next);
};

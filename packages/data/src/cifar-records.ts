import { DatasetError } from './errors.js';

/** CIFAR pixel bytes per record: 1024 R, 1024 G, 1024 B, each a 32×32 row-major plane. */
export const CIFAR_PIXEL_BYTES = 3072;

/** Record layout of a CIFAR binary file. */
export interface CifarRecordLayout {
  /** Label bytes before the pixels: 1 for CIFAR-10, 2 (coarse, fine) for CIFAR-100. */
  labelBytes: 1 | 2;
}

/**
 * Converts one CHW planar CIFAR image (R plane, G plane, B plane; 32×32 each) to HWC RGB, writing
 * into `out` at `outOffset`. `src[srcOffset + c·1024 + y·32 + x]` → `out[outOffset + (y·32 + x)·3 + c]`.
 */
export function cifarPlanarToHwc(src: Uint8Array, srcOffset: number, out: Uint8Array, outOffset: number): void {
  for (let p = 0; p < 1024; p++) {
    const o = outOffset + 3 * p;
    out[o] = src[srcOffset + p];
    out[o + 1] = src[srcOffset + 1024 + p];
    out[o + 2] = src[srcOffset + 2048 + p];
  }
}

/** Parsed records of one CIFAR binary file. */
export interface CifarRecords {
  /** HWC uint8 images, count·3072 bytes. */
  images: Uint8Array;
  /** CIFAR-10: the label; CIFAR-100: the fine label (second byte). */
  labels: Int32Array;
  /** CIFAR-100 only: the coarse label (first byte). */
  coarseLabels?: Int32Array;
}

/**
 * Parses a CIFAR binary file (no header, fixed-size records):
 * - CIFAR-10: `<label 0..9><3072 pixel bytes>` = 3073 bytes per record;
 * - CIFAR-100: `<coarse 0..19><fine 0..99><3072 pixel bytes>` = 3074 bytes per record.
 * Pixels are planar (R, G, B planes of 32×32) and are transposed to HWC.
 *
 * @param numClasses labels must lie in [0, numClasses) (10, or 100 fine with 20 coarse).
 * @throws DatasetError BAD_SIZE when the length is not a multiple of the record size (naming the file,
 *   its length and the record size), BAD_LABEL for a label out of range (naming the record).
 */
export function parseCifarRecords(bytes: Uint8Array, layout: CifarRecordLayout, file: string, numClasses: number): CifarRecords {
  const recordBytes = layout.labelBytes + CIFAR_PIXEL_BYTES;
  const kind = layout.labelBytes === 1 ? 'CIFAR-10' : 'CIFAR-100';
  if (bytes.length === 0 || bytes.length % recordBytes !== 0) {
    const what = layout.labelBytes === 1 ? '1 label byte + 3072 pixel bytes' : '1 coarse + 1 fine label byte + 3072 pixel bytes';
    throw new DatasetError(
      'BAD_SIZE',
      `${file}: ${bytes.length} bytes is not a positive multiple of the ${recordBytes}-byte ${kind} record (${what}); the official files hold 10,000 records (${(10000 * recordBytes).toLocaleString('en')} bytes)${layout.labelBytes === 2 ? ' or 50,000 (train.bin)' : ''}`,
      { problems: [{ file, problem: `${bytes.length} bytes, not a multiple of ${recordBytes}` }] },
    );
  }
  const count = bytes.length / recordBytes;
  const images = new Uint8Array(count * CIFAR_PIXEL_BYTES);
  const labels = new Int32Array(count);
  const coarseLabels = layout.labelBytes === 2 ? new Int32Array(count) : undefined;
  for (let i = 0; i < count; i++) {
    const r = i * recordBytes;
    const label = bytes[r + layout.labelBytes - 1];
    if (label >= numClasses) {
      throw new DatasetError('BAD_LABEL', `${file}: record ${i} has label ${label}, outside [0, ${numClasses}) — is this a ${kind} file?`, { problems: [{ file, problem: `record ${i}: label ${label}` }] });
    }
    labels[i] = label;
    if (coarseLabels) {
      const coarse = bytes[r];
      if (coarse >= 20) throw new DatasetError('BAD_LABEL', `${file}: record ${i} has coarse label ${coarse}, outside [0, 20) — is this a CIFAR-100 file?`, { problems: [{ file, problem: `record ${i}: coarse label ${coarse}` }] });
      coarseLabels[i] = coarse;
    }
    cifarPlanarToHwc(bytes, r + layout.labelBytes, images, i * CIFAR_PIXEL_BYTES);
  }
  return coarseLabels ? { images, labels, coarseLabels } : { images, labels };
}

/** CIFAR-10 class names (`batches.meta.txt`, label order). */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);

/** CIFAR-100 fine class names (`fine_label_names.txt`, alphabetical = label order). */
export const CIFAR100_FINE_CLASSES: readonly string[] = Object.freeze(
  (
    'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can castle ' +
    'caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish ' +
    'forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle ' +
    'mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine ' +
    'possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar ' +
    'sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree ' +
    'wolf woman worm'
  ).split(' '),
);

/** CIFAR-100 coarse (superclass) names (`coarse_label_names.txt`, label order). */
export const CIFAR100_COARSE_CLASSES: readonly string[] = Object.freeze(
  (
    'aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices household_furniture ' +
    'insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes large_omnivores_and_herbivores ' +
    'medium_mammals non-insect_invertebrates people reptiles small_mammals trees vehicles_1 vehicles_2'
  ).split(' '),
);

/** Parses a class-name text file (one per line, trimmed; blank lines dropped). */
export function parseClassNameLines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * Differentiable augmentations of images fed to the discriminator, as StudioGAN applies them (identical at
 * v0.3.0 and master):
 *
 * - DiffAugment (Zhao et al., NeurIPS 2020; StudioGAN `src/utils/diffaug.py`, policy
 *   "color,translation,cutout"), StudioGAN's `AUG.diffaug_type: diffaug`;
 * - the consistency-regularisation augmentation (Zhang et al., ICLR 2020; StudioGAN `src/utils/cr.py`
 *   `apply_cr_aug`: random horizontal flip, then a random translation with reflection padding), StudioGAN's
 *   `cr_aug_type: cr` / `bcr_aug_type: bcr`.
 *
 * Images are NHWC float32 (any range; [−1, 1] in training). Every operation is differentiable with respect to
 * the images (gathers, pads, element-wise arithmetic; twice differentiable too, for R1 through the
 * augmentation). The random draws are explicit arguments ({@link DiffAugmentDraws}, {@link CrAugmentDraws}),
 * sampled by {@link sampleDiffAugmentDraws} / {@link sampleCrAugmentDraws} in StudioGAN's order, so a test can
 * inject the draws of a StudioGAN run.
 */

/** A source of uniform draws (e.g. reacgan's `StepRandom`). */
export interface AugmentRandom {
  /** n floats uniform in [0, 1). */
  uniform(n: number): Float32Array;
  /** n integers uniform in [low, high). */
  integers(n: number, low: number, high: number): Int32Array;
}

/** DiffAugment's operations: `color` (brightness, saturation, contrast), `translation`, `cutout`. */
export type DiffAugmentPolicy = 'color' | 'translation' | 'cutout';

/** StudioGAN's policy (`apply_diffaug`'s default, the only one its worker uses). */
export const DIFF_AUGMENT_POLICY: readonly DiffAugmentPolicy[] = ['color', 'translation', 'cutout'];

/** One batch's draws, each [N] (only the policy's operations are needed). */
export interface DiffAugmentDraws {
  /** `rand_brightness`: r ∈ [0, 1); x + (r − 0.5). */
  brightness?: Float32Array;
  /** `rand_saturation`: r ∈ [0, 1); (x − mean_c x)·2r + mean_c x. */
  saturation?: Float32Array;
  /** `rand_contrast`: r ∈ [0, 1); (x − mean x)·(r + 0.5) + mean x. */
  contrast?: Float32Array;
  /** `rand_translation`: row shift in [−s, s], s = ⌊H/8 + 0.5⌋. */
  translationX?: Int32Array;
  /** Column shift in [−s, s], s = ⌊W/8 + 0.5⌋. */
  translationY?: Int32Array;
  /** `rand_cutout`: row of the square's centre, in [0, H + 1 − (c_h mod 2)) with c_h = ⌊H/2 + 0.5⌋. */
  cutoutX?: Int32Array;
  /** Column of the square's centre, in [0, W + 1 − (c_w mod 2)). */
  cutoutY?: Int32Array;
}

function checkImages(fn: string, x: unknown): asserts x is tf.Tensor4D {
  if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.dtype !== 'float32') {
    throw new Error(`${fn}: images must be a float32 NHWC tf.Tensor4D, received ${x instanceof tf.Tensor ? `a ${x.dtype} tensor of shape [${x.shape.join(', ')}]` : String(x)}`);
  }
}

function parsePolicy(policy: string | readonly DiffAugmentPolicy[]): DiffAugmentPolicy[] {
  const parts = typeof policy === 'string' ? policy.split(',').map((p) => p.trim()).filter(Boolean) : [...policy];
  for (const p of parts) {
    if (!DIFF_AUGMENT_POLICY.includes(p as DiffAugmentPolicy)) throw new Error(`diffAugment: policy: expected a comma-separated list of 'color', 'translation', 'cutout', received '${p}'`);
  }
  return parts as DiffAugmentPolicy[];
}

function draw<T extends Float32Array | Int32Array>(fn: string, name: string, value: T | undefined, n: number, check: (v: number) => boolean, range: string): T {
  if (!value || value.length !== n) throw new Error(`${fn}: draws.${name}: expected ${n} values (one per image), received ${value ? value.length : 'none'}`);
  for (let i = 0; i < n; i++) if (!check(value[i])) throw new Error(`${fn}: draws.${name}[${i}] = ${value[i]}: expected ${range}`);
  return value;
}

const translationShift = (size: number) => Math.floor(size * 0.125 + 0.5);
const cutoutSize = (size: number) => Math.floor(size * 0.5 + 0.5);

/**
 * Draws for one batch in StudioGAN's order (brightness, saturation, contrast, translation rows, columns, cutout
 * rows, columns), as `torch.rand` / `torch.randint` would be called by `apply_diffaug`.
 */
export function sampleDiffAugmentDraws(random: AugmentRandom, n: number, height: number, width: number, policy: string | readonly DiffAugmentPolicy[] = DIFF_AUGMENT_POLICY): DiffAugmentDraws {
  const out: DiffAugmentDraws = {};
  for (const p of parsePolicy(policy)) {
    if (p === 'color') {
      out.brightness = random.uniform(n);
      out.saturation = random.uniform(n);
      out.contrast = random.uniform(n);
    } else if (p === 'translation') {
      const [sx, sy] = [translationShift(height), translationShift(width)];
      out.translationX = random.integers(n, -sx, sx + 1);
      out.translationY = random.integers(n, -sy, sy + 1);
    } else {
      const [ch, cw] = [cutoutSize(height), cutoutSize(width)];
      out.cutoutX = random.integers(n, 0, height + (1 - (ch % 2)));
      out.cutoutY = random.integers(n, 0, width + (1 - (cw % 2)));
    }
  }
  return out;
}

/** out[b, i, j, :] = source[b, rows[k], cols[k], :] with k = (b·H + i)·W + j: one differentiable gather. */
function gatherPixels(source: tf.Tensor4D, rows: Int32Array, cols: Int32Array, h: number, w: number): tf.Tensor4D {
  const [n, sh, sw, c] = source.shape;
  const index = new Int32Array(n * h * w);
  for (let b = 0, k = 0; b < n; b++) {
    for (let i = 0; i < h * w; i++, k++) index[k] = (b * sh + rows[k]) * sw + cols[k];
  }
  return tf.reshape(tf.gather(tf.reshape(source, [n * sh * sw, c]), tf.tensor1d(index, 'int32')), [n, h, w, c]);
}

const perImage = (values: Float32Array) => tf.tensor4d(values, [values.length, 1, 1, 1]);

/**
 * DiffAugment of a batch with given draws (StudioGAN `apply_diffaug`, NCHW there, NHWC here; x is [N, H, W, C]).
 * - color: x + (r_b − 0.5); then (x − mean_C x)·2r_s + mean_C x; then (x − mean_{H,W,C} x)·(r_c + 0.5) + mean;
 * - translation: out[i, j] = pad₀(x)[clamp(i + t_x + 1, 0, H + 1), clamp(j + t_y + 1, 0, W + 1)] (zero padding
 *   of 1 pixel: pixels shifted in from outside are 0);
 * - cutout: a ⌊H/2 + 0.5⌋ × ⌊W/2 + 0.5⌋ square (clipped to the image) centred at the drawn offsets is set to 0.
 * @param policy a subset of 'color,translation,cutout' (default all three, StudioGAN's), applied in that order.
 * @returns float32 [N, H, W, C]; differentiable with respect to `x`.
 * @throws Error for a non-NHWC float32 input, an unknown policy, or draws of the wrong length or range.
 */
export function diffAugment(x: tf.Tensor4D, draws: DiffAugmentDraws, policy: string | readonly DiffAugmentPolicy[] = DIFF_AUGMENT_POLICY): tf.Tensor4D {
  const fn = 'diffAugment';
  checkImages(fn, x);
  const ops = parsePolicy(policy);
  const [n, h, w] = x.shape;
  const unit = (v: number) => v >= 0 && v < 1;
  // Validate every draw before creating tensors.
  const color = ops.includes('color')
    ? { b: draw(fn, 'brightness', draws.brightness, n, unit, 'a number in [0, 1)'), s: draw(fn, 'saturation', draws.saturation, n, unit, 'a number in [0, 1)'), c: draw(fn, 'contrast', draws.contrast, n, unit, 'a number in [0, 1)') }
    : null;
  const [sx, sy] = [translationShift(h), translationShift(w)];
  const shift = ops.includes('translation')
    ? {
        x: draw(fn, 'translationX', draws.translationX, n, (v) => Number.isInteger(v) && Math.abs(v) <= sx, `an integer in [${-sx}, ${sx}]`),
        y: draw(fn, 'translationY', draws.translationY, n, (v) => Number.isInteger(v) && Math.abs(v) <= sy, `an integer in [${-sy}, ${sy}]`),
      }
    : null;
  const [ch, cw] = [cutoutSize(h), cutoutSize(w)];
  const cut = ops.includes('cutout')
    ? {
        x: draw(fn, 'cutoutX', draws.cutoutX, n, (v) => Number.isInteger(v) && v >= 0 && v < h + 1 - (ch % 2), `an integer in [0, ${h + 1 - (ch % 2)})`),
        y: draw(fn, 'cutoutY', draws.cutoutY, n, (v) => Number.isInteger(v) && v >= 0 && v < w + 1 - (cw % 2), `an integer in [0, ${w + 1 - (cw % 2)})`),
      }
    : null;
  return tf.tidy(() => {
    let out: tf.Tensor4D = x;
    for (const op of ops) {
      if (op === 'color') {
        out = tf.add(out, tf.sub(perImage(color!.b), 0.5));
        const channelMean = tf.mean(out, 3, true);
        out = tf.add(tf.mul(tf.sub(out, channelMean), tf.mul(perImage(color!.s), 2)), channelMean);
        const mean = tf.mean(out, [1, 2, 3], true);
        out = tf.add(tf.mul(tf.sub(out, mean), tf.add(perImage(color!.c), 0.5)), mean);
      } else if (op === 'translation') {
        const rows = new Int32Array(n * h * w);
        const cols = new Int32Array(n * h * w);
        const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
        for (let b = 0, k = 0; b < n; b++) {
          for (let i = 0; i < h; i++) {
            for (let j = 0; j < w; j++, k++) {
              rows[k] = clamp(i + shift!.x[b] + 1, h + 1);
              cols[k] = clamp(j + shift!.y[b] + 1, w + 1);
            }
          }
        }
        out = gatherPixels(tf.pad(out, [[0, 0], [1, 1], [1, 1], [0, 0]]), rows, cols, h, w);
      } else {
        const mask = new Float32Array(n * h * w).fill(1);
        for (let b = 0; b < n; b++) {
          for (let i = 0; i < ch; i++) {
            const r = Math.min(Math.max(i + cut!.x[b] - Math.floor(ch / 2), 0), h - 1);
            for (let j = 0; j < cw; j++) {
              const c = Math.min(Math.max(j + cut!.y[b] - Math.floor(cw / 2), 0), w - 1);
              mask[(b * h + r) * w + c] = 0;
            }
          }
        }
        out = tf.mul(out, tf.tensor4d(mask, [n, h, w, 1]));
      }
    }
    return out === x ? tf.clone(x) : out;
  });
}

/** One batch's draws of the CR augmentation, each [N]. */
export interface CrAugmentDraws {
  /** `random_flip`: u ∈ [0, 1); the image is flipped left–right when u < 0.5. */
  flip: Float32Array;
  /** `random_translation`: row shift in [−m, m], m = ⌊H/8⌋. */
  translationX: Int32Array;
  /** Column shift in [−m, m], m = ⌊W/8⌋. */
  translationY: Int32Array;
}

/** Draws for one batch in StudioGAN's order (flip probabilities, row shifts, column shifts). */
export function sampleCrAugmentDraws(random: AugmentRandom, n: number, height: number, width: number): CrAugmentDraws {
  const [mx, my] = [Math.floor(height / 8), Math.floor(width / 8)];
  const flip = random.uniform(n);
  return { flip, translationX: random.integers(n, -mx, mx + 1), translationY: random.integers(n, -my, my + 1) };
}

/**
 * The CR augmentation of a batch with given draws (StudioGAN `cr.apply_cr_aug`): a left–right flip of the
 * images whose draw is < 0.5, then a translation by (t_x, t_y) with reflection padding of ⌊H/8⌋, ⌊W/8⌋:
 * out[i, j] = flipped[reflect(i + t_x), reflect(j + t_y)], reflect(k) = −k below 0 and 2(S − 1) − k above S − 1.
 * @returns float32 [N, H, W, C]; differentiable with respect to `x`.
 * @throws Error for a non-NHWC float32 input or draws of the wrong length or range.
 */
export function crAugment(x: tf.Tensor4D, draws: CrAugmentDraws): tf.Tensor4D {
  const fn = 'crAugment';
  checkImages(fn, x);
  const [n, h, w] = x.shape;
  const [mx, my] = [Math.floor(h / 8), Math.floor(w / 8)];
  const flip = draw(fn, 'flip', draws?.flip, n, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  const tx = draw(fn, 'translationX', draws.translationX, n, (v) => Number.isInteger(v) && Math.abs(v) <= mx, `an integer in [${-mx}, ${mx}]`);
  const ty = draw(fn, 'translationY', draws.translationY, n, (v) => Number.isInteger(v) && Math.abs(v) <= my, `an integer in [${-my}, ${my}]`);
  const reflect = (k: number, size: number) => (k < 0 ? -k : k > size - 1 ? 2 * (size - 1) - k : k);
  const rows = new Int32Array(n * h * w);
  const cols = new Int32Array(n * h * w);
  for (let b = 0, k = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++, k++) {
        rows[k] = reflect(i + tx[b], h);
        const c = reflect(j + ty[b], w);
        cols[k] = flip[b] < 0.5 ? w - 1 - c : c;
      }
    }
  }
  return tf.tidy(() => gatherPixels(x, rows, cols, h, w));
}

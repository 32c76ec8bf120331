/** TensorFlow 'same' padding equals PyTorch's symmetric `padding` (copy of @reacgan/models' helper). */
export function sameEqualsSymmetric(size: number, kernel: number, stride: number, padding: number): boolean {
  const out = Math.ceil(size / stride);
  const torchOut = Math.floor((size + 2 * padding - kernel) / stride) + 1;
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return out === torchOut && before === padding && total - before === padding;
}

// Writers for the exact CIFAR formats (binary records; Python 2 protocol-2 pickles), used to build
// synthetic fixtures at run time.

/** CIFAR records: per record the label byte(s), then 3072 pixel bytes with byte k = (k + shift) mod 251. */
export function cifarRecords(labels: number[][], shift: (record: number) => number = () => 0): Uint8Array {
  const labelBytes = labels[0].length;
  const recordBytes = labelBytes + 3072;
  const out = new Uint8Array(labels.length * recordBytes);
  labels.forEach((ls, r) => {
    ls.forEach((l, j) => (out[r * recordBytes + j] = l));
    for (let k = 0; k < 3072; k++) out[r * recordBytes + labelBytes + k] = (k + shift(r)) % 251;
  });
  return out;
}

/** Planar pixel bytes of one image as cifarRecords writes them. */
export function planarPixels(shift = 0): Uint8Array {
  return Uint8Array.from({ length: 3072 }, (_, k) => (k + shift) % 251);
}

/** A tiny Python-2 protocol-2 pickle writer covering what CIFAR's python files use. */
export class Py2Pickle {
  private parts: number[] = [];
  private memo = 0;
  private bytes(...b: number[]): this {
    this.parts.push(...b);
    return this;
  }
  private u32(n: number): this {
    return this.bytes(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  private put(): this {
    return this.memo < 256 ? this.bytes(0x71, this.memo++) : this.bytes(0x72).u32(this.memo++);
  }
  proto(): this {
    return this.bytes(0x80, 2);
  }
  /** SHORT_BINSTRING / BINSTRING of raw bytes (a Python 2 str). */
  str(value: string | Uint8Array): this {
    const b = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    if (b.length < 256) this.bytes(0x55, b.length);
    else this.bytes(0x54).u32(b.length);
    this.parts.push(...b);
    return this.put();
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.bytes(0x4b, n);
    if (n >= 0 && n < 65536) return this.bytes(0x4d, n & 0xff, n >> 8);
    return this.bytes(0x4a).u32(n);
  }
  bool(v: boolean): this {
    return this.bytes(v ? 0x88 : 0x89);
  }
  mark(): this {
    return this.bytes(0x28);
  }
  tuple(): this {
    return this.bytes(0x74).put();
  }
  emptyDict(): this {
    return this.bytes(0x7d).put();
  }
  emptyList(): this {
    return this.bytes(0x5d).put();
  }
  appends(): this {
    return this.bytes(0x65);
  }
  setitems(): this {
    return this.bytes(0x75);
  }
  global(module: string, name: string): this {
    this.bytes(0x63);
    this.parts.push(...Buffer.from(`${module}\n${name}\n`, 'latin1'));
    return this.put();
  }
  reduce(): this {
    return this.bytes(0x52).put();
  }
  build(): this {
    return this.bytes(0x62);
  }
  stop(): Uint8Array {
    this.bytes(0x2e);
    return Uint8Array.from(this.parts);
  }
  list(values: number[] | string[]): this {
    this.emptyList();
    for (let i = 0; i < values.length; i += 1000) {
      this.mark();
      for (const v of values.slice(i, i + 1000)) {
        if (typeof v === 'number') this.int(v);
        else this.str(v);
      }
      this.appends();
    }
    return this;
  }
  /** numpy.core.multiarray._reconstruct(ndarray, (0,), 'b') + BUILD((1, shape, dtype('u1'), False, raw)). */
  uint8Array(shape: number[], raw: Uint8Array): this {
    this.global('numpy.core.multiarray', '_reconstruct').global('numpy', 'ndarray').int(0).bytes(0x85).put().str('b').bytes(0x87).put().reduce();
    this.mark().int(1);
    this.mark();
    for (const s of shape) this.int(s);
    this.tuple();
    this.global('numpy', 'dtype').str('u1').int(0).int(1).bytes(0x87).put().reduce();
    this.mark().int(3).str('|').bytes(0x4e).bytes(0x4e).bytes(0x4e).bytes(0x4a).u32(0xffffffff).bytes(0x4a).u32(0xffffffff).int(0).tuple().build();
    this.bool(false).str(raw).tuple().build();
    return this;
  }
}

/** A CIFAR python batch dict: { 'batch_label', labelsKey: [...], 'data': uint8 [N, 3072], 'filenames': [...] }. */
export function cifarPythonBatch(labelKeys: Record<string, number[]>, planar: Uint8Array): Uint8Array {
  const n = Object.values(labelKeys)[0].length;
  const p = new Py2Pickle().proto().emptyDict().mark();
  p.str('batch_label').str('training batch 1 of 5');
  for (const [key, values] of Object.entries(labelKeys)) p.str(key).list(values);
  p.str('data').uint8Array([n, 3072], planar);
  p.str('filenames').list(Array.from({ length: n }, (_, i) => `img_${i}.png`));
  return p.setitems().stop();
}

/** CIFAR-10 `batches.meta`: { 'num_cases_per_batch', 'label_names', 'num_vis' } (the real file's opcodes). */
export function cifarPythonMeta(entries: Record<string, string[]>): Uint8Array {
  const p = new Py2Pickle().proto().emptyDict().mark();
  p.str('num_cases_per_batch').int(10000);
  for (const [key, names] of Object.entries(entries)) p.str(key).list(names);
  p.str('num_vis').int(3072);
  return p.setitems().stop();
}

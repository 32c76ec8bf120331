/**
 * TypeScript side of the metric benchmarks, as a line-protocol worker (same protocol as
 * bench/python/metrics_side.py):
 *   {"cmd":"inception-load","weights":path} {"cmd":"inception","n":k,"size":s,"batch":b}
 *   {"cmd":"fid","file":path,"d":d} {"cmd":"mem"} {"cmd":"quit"}
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { serveCommands } from './worker-protocol.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' } } });
process.env.TF_NUM_INTRAOP_THREADS ??= values.threads;
process.env.TF_NUM_INTEROP_THREADS ??= values.threads;
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
const tf = await import('@tensorflow/tfjs-core');
try {
  const { initBackend } = await import('reacgan');
  await initBackend({ backend: 'tensorflow', threads: Number(values.threads) });
} catch {
  await import('@tensorflow/tfjs-node');
  await tf.setBackend('tensorflow');
}
const metrics = await import('@reacgan/metrics');

type Extractor = Awaited<ReturnType<typeof metrics.createInceptionV3FidExtractor>>;
let extractor: Extractor | null = null;

/** Uniform [−1, 1) images from a fixed xorshift stream (the two sides use their own generators). */
function randomImages(n: number, size: number): Float32Array {
  const out = new Float32Array(n * size * size * 3);
  let s = 0x9e3779b9;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

await serveCommands<Record<string, unknown> & { cmd: string }>({
  'inception-load': async (msg) => {
    const bytes = new Uint8Array(readFileSync(String(msg.weights)));
    extractor = await metrics.createInceptionV3FidExtractor({ weights: bytes, verifyHash: false, batchSize: Number(msg.batch ?? 16) });
    const shapes = metrics.inceptionV3FidParameterShapes();
    let params = 0;
    for (const [name, shape] of shapes) if (!/running_|num_batches/.test(name)) params += shape.reduce((a, b) => a * b, 1);
    return { params, backend: tf.getBackend() };
  },
  inception: async (msg) => {
    const n = Number(msg.n);
    const size = Number(msg.size);
    const images = tf.tensor4d(randomImages(n, size), [n, size, size, 3]);
    const t0 = performance.now();
    const result = await extractor!.extract(images, { range: [-1, 1] });
    const ms = performance.now() - t0;
    images.dispose();
    let mean = 0;
    for (const v of result.features) mean += v;
    return { ms, images: n, featureMean: mean / result.features.length, numTensors: tf.memory().numTensors };
  },
  fid: (msg) => {
    const d = Number(msg.d);
    const buf = readFileSync(String(msg.file));
    const raw = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const mu1 = raw.slice(0, d);
    const mu2 = raw.slice(d, 2 * d);
    const s1 = raw.slice(2 * d, 2 * d + d * d);
    const s2 = raw.slice(2 * d + d * d);
    const t0 = performance.now();
    const fid = metrics.frechetInceptionDistance({ mu: mu1, sigma: s1, count: 50_000, dim: d }, { mu: mu2, sigma: s2, count: 50_000, dim: d });
    return { ms: performance.now() - t0, fid };
  },
});

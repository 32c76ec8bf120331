/* global performance, Buffer */
// Benchmarks for @reacgan/metrics (run: pnpm --filter @reacgan/metrics bench; builds dist/ first).
// Prints a table: FID math at d = 2048 (ours vs scipy.linalg.sqrtm as pytorch-fid uses it, same
// matrices, same run), streaming statistics throughput, KID cost per subset, and the
// inception-v3-fid extractor's images/s on the active tfjs backend.
// Options (env): BENCH_DIM (2048), BENCH_REPEATS (1), BENCH_SKIP_SCIPY=1, BENCH_SKIP_EXTRACTOR=1,
// BENCH_BACKEND (tensorflow if installed, else cpu), BENCH_IMAGES (32).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const root = path.resolve(pkg, '../..');
const m = await import(path.join(pkg, 'dist/index.js'));
const d = Number(process.env.BENCH_DIM ?? 2048);
const repeats = Number(process.env.BENCH_REPEATS ?? 1);
const rows = [];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn) => {
  const t = performance.now();
  const r = fn();
  return [performance.now() - t, r];
};

// --- FID math -------------------------------------------------------------------------------
const rng = new m.MetricRng(1);
function randomCovariance(dim, k, scale) {
  const a = Float64Array.from({ length: dim * k }, () => (rng.next() - 0.5) * scale);
  const s = m.gemmNT(a, dim, a, dim, k, { symmetric: true });
  for (let i = 0; i < s.length; i++) s[i] /= k - 1;
  return s;
}
const s1 = randomCovariance(d, d + 512, 1);
const s2 = randomCovariance(d, d + 512, 1.2);
const mu1 = Float64Array.from({ length: d }, () => rng.next());
const mu2 = Float64Array.from({ length: d }, () => rng.next() + 0.01);
const st1 = { mu: mu1, sigma: s1, count: 50_000, dim: d };
const st2 = { mu: mu2, sigma: s2, count: 50_000, dim: d };
const oursMs = [];
let fid;
for (let r = 0; r < repeats; r++) {
  const [ms, v] = time(() => m.frechetInceptionDistance(st1, st2));
  oursMs.push(ms);
  fid = v;
}
rows.push([`FID math, d = ${d} (ours: pivoted Cholesky + Lᵀ Σ2 L eigenvalues, float64 JS)`, `${(median(oursMs) / 1000).toFixed(2)} s`, `FID ${fid.toFixed(6)}`]);
// A breakdown of the same work.
{
  const [tChol, chol] = time(() => m.pivotedCholesky(s1, d));
  const s2p = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) s2p[a * d + b] = s2[chol.perm[a] * d + chol.perm[b]];
  const [tC, c] = time(() => m.gemmNT(chol.lt, chol.rank, s2p, d, d, { upperTrapezoidalA: true }));
  const [tM, mm] = time(() => m.gemmNT(chol.lt, chol.rank, c, chol.rank, d, { upperTrapezoidalA: true, symmetric: true }));
  const [tE] = time(() => m.symmetricEigenvalues(mm, chol.rank));
  rows.push(['  of which: pivoted Cholesky / Lᵀ Σ2 / (Lᵀ Σ2) L / eigenvalues', [tChol, tC, tM, tE].map((t) => `${(t / 1000).toFixed(2)} s`).join(' / '), '']);
}
const python = process.env.REACGAN_PYTHON_REFERENCE ?? path.join(root, '.venv-reference', 'bin', 'python');
if (process.env.BENCH_SKIP_SCIPY !== '1' && fs.existsSync(python)) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reacgan-bench-'));
  for (const [name, arr] of [['s1', s1], ['s2', s2], ['mu1', mu1], ['mu2', mu2]]) fs.writeFileSync(path.join(dir, `${name}.f64`), Buffer.from(arr.buffer));
  const code = `
import numpy as np, scipy.linalg, time, sys, json
d=${d}; r=${repeats}; p=sys.argv[1]
s1=np.fromfile(p+'/s1.f64').reshape(d,d); s2=np.fromfile(p+'/s2.f64').reshape(d,d)
mu1=np.fromfile(p+'/mu1.f64'); mu2=np.fromfile(p+'/mu2.f64')
ts=[]
for _ in range(r):
    t=time.perf_counter()
    covmean,_=scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    covmean=covmean.real
    diff=mu1-mu2
    fid=diff.dot(diff)+np.trace(s1)+np.trace(s2)-2*np.trace(covmean)
    ts.append(time.perf_counter()-t)
t=time.perf_counter(); w=np.linalg.eigvals(s1.dot(s2)); te=time.perf_counter()-t
print(json.dumps({'sqrtm_s': sorted(ts)[len(ts)//2], 'fid': float(fid), 'eigvals_s': te, 'fid_eigvals': float(diff.dot(diff)+np.trace(s1)+np.trace(s2)-2*np.sqrt(np.clip(w.real,0,None)).sum())}))
`;
  try {
    const out = JSON.parse(execFileSync(python, ['-W', 'ignore', '-c', code, dir], { encoding: 'utf8', timeout: 600_000 }).trim().split('\n').pop());
    rows.push([`FID math, d = ${d}, pytorch-fid (numpy dot + scipy.linalg.sqrtm, OpenBLAS)`, `${out.sqrtm_s.toFixed(2)} s`, `FID ${out.fid.toFixed(6)}`]);
    rows.push([`FID math, d = ${d}, numpy eigvals(Σ1Σ2) (torch-fidelity's route)`, `${out.eigvals_s.toFixed(2)} s`, `FID ${out.fid_eigvals.toFixed(6)}`]);
    rows.push(['  ours / scipy sqrtm', `${(median(oursMs) / 1000 / out.sqrtm_s).toFixed(2)}×`, `|ΔFID| ${Math.abs(out.fid - fid).toExponential(2)}`]);
  } catch (error) {
    rows.push(['scipy reference', 'failed', String(error.message).slice(0, 80)]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// --- streaming statistics -----------------------------------------------------------------------
{
  const n = 2000;
  const batch = 500;
  const feats = Float32Array.from({ length: n * d }, () => rng.next());
  const acc = new m.StatisticsAccumulator();
  const [ms] = time(() => {
    for (let s = 0; s < n; s += batch) acc.add({ data: feats.subarray(s * d, (s + batch) * d), shape: [batch, d] });
    acc.statistics();
  });
  rows.push([`StatisticsAccumulator, ${n} × ${d} in batches of ${batch}`, `${(ms / 1000).toFixed(2)} s`, `≈ ${((ms / n) * 50_000 / 1000 / 60).toFixed(1)} min per 50k samples`]);
}

// --- KID ----------------------------------------------------------------------------------------
{
  const n = 1000;
  const x = Float32Array.from({ length: n * d }, () => rng.next());
  const y = Float32Array.from({ length: n * d }, () => rng.next() + 0.01);
  const [ms] = time(() => m.kernelInceptionDistance({ data: x, shape: [n, d] }, { data: y, shape: [n, d] }, { subsets: 1, subsetSize: 1000 }));
  rows.push([`KID, one subset of 1000 at d = ${d}`, `${(ms / 1000).toFixed(2)} s`, 'defaults: 100 subsets']);
}

// --- extractor ------------------------------------------------------------------------------------
if (process.env.BENCH_SKIP_EXTRACTOR !== '1') {
  const tf = await import('@tensorflow/tfjs-core');
  let backend = process.env.BENCH_BACKEND;
  if (!backend) {
    try {
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
      await import('@tensorflow/tfjs-node');
      backend = 'tensorflow';
    } catch {
      await import('@tensorflow/tfjs-backend-cpu');
      backend = 'cpu';
    }
  } else if (backend === 'tensorflow') {
    await import('@tensorflow/tfjs-node');
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
  }
  await tf.setBackend(backend);
  // Random weights in pytorch-fid's layout (the real file is not needed to time the network).
  const sd = new Map();
  for (const [name, shape] of m.inceptionV3FidParameterShapes()) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const fanIn = shape.length === 4 ? shape[1] * shape[2] * shape[3] : shape.length === 2 ? shape[1] : 1;
    for (let i = 0; i < n; i++) data[i] = name.endsWith('running_var') || name.endsWith('bn.weight') ? 1 : name.endsWith('.weight') ? (rng.next() - 0.5) * Math.sqrt(12 * 2 / fanIn) : 0;
    sd.set(name, { dtype: 'float32', shape, data });
  }
  const extractor = await m.createInceptionV3FidExtractor({ weights: sd, weightsHash: 'bench-random' });
  const count = Number(process.env.BENCH_IMAGES ?? 32);
  const batchSize = 16;
  const images = tf.randomUniform([count, 32, 32, 3], -1, 1);
  await extractor.extract(tf.slice(images, [0, 0, 0, 0], [batchSize, -1, -1, -1]), { range: [-1, 1], batchSize }); // warm-up
  const t = performance.now();
  await extractor.extract(images, { range: [-1, 1], batchSize });
  const s = (performance.now() - t) / 1000;
  rows.push([`inception-v3-fid extractor, ${count} images 32×32 → 299, batch ${batchSize}, backend '${backend}'`, `${(count / s).toFixed(1)} images/s`, `${os.cpus().length} CPU threads`]);
  extractor.dispose();
  images.dispose();
}

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`@reacgan/metrics benchmark (${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w)}  ${String(b).padStart(18)}  ${c}`);

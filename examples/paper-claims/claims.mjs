#!/usr/bin/env node
// The paper's claims (Kang et al., NeurIPS 2021, "Rebooting ACGAN"), reproduced with this library on real data:
// the ablation ladder ACGAN → + feature normalisation → + D2D-CE without margins → full ReACGAN → ReACGAN without
// the false-negative mask, with equal budgets (same steps, batch, backbone, seeds), on CIFAR-10 (the JPEG copy of
// all 60,000 images), on MNIST with a 5× learning rate (tried as a harder setting; it did not collapse), and on
// CIFAR-10 with 20 training images per class, the harder setting where ACGAN's early collapse shows (README.md).
// Every run logs the paper's head diagnostics (run.headDiagnostics: ‖h_i‖, p(y_i|x_i), per-class ‖∂L_CE/∂w_c‖,
// D2D-CE similarities and active shares) and is judged by the project's judge classifiers (class accuracy and
// FID in the judge's feature space, not Inception FID) at the same steps.
//
// Usage: node claims.mjs --mode quick|full [--out DIR] [--seeds 0,1] [--settings cifar10,mnist-lr5x,cifar10-20pc]
//                        [--cifar10 PATH] [--backend tensorflow]
// Writes DIR/report.md, DIR/report.json, DIR/<setting>.svg and one run directory per arm and seed
// (DIR/runs/<setting>/<arm>-seed<k>/: metrics.jsonl, diagnostics.svg, grid.png, report.md, checkpoints).
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError, Option } from 'commander';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
/** `shared/data/cifar10-jpeg/cifar10-jpeg.tar.gz` next to the checkout or a folder above it (worktrees sit deeper). */
function defaultCifar10() {
  const rel = join('shared', 'data', 'cifar10-jpeg', 'cifar10-jpeg.tar.gz');
  for (let dir = dirname(repoRoot); ; dir = dirname(dir)) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
    if (dirname(dir) === dir) return join(dirname(repoRoot), rel);
  }
}
/** A comma-separated list of `known` names (commander parser): unknown or repeated names are refused by name. */
const namesArg = (known) => (value) => {
  const names = value.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length || !names.length || names.some((n) => n === '')) throw new InvalidArgumentError(`expected a comma-separated list of ${known.join(', ')}, received '${value}'${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  if (new Set(names).size !== names.length) throw new InvalidArgumentError(`expected distinct names, received '${value}'`);
  return names;
};
const seedsArg = (value) => {
  const seeds = value.split(',').map((n) => (n.trim() === '' ? NaN : Number(n)));
  if (seeds.some((n) => !Number.isInteger(n) || n < 0)) throw new InvalidArgumentError(`expected comma-separated non-negative integers (e.g. 0,1), received '${value}'`);
  if (new Set(seeds).size !== seeds.length) throw new InvalidArgumentError(`expected distinct seeds, received '${value}'`);
  return seeds;
};
// The names --settings and --arms accept (SETTINGS and ARMS below).
const SETTING_NAMES = ['cifar10', 'mnist-lr5x', 'cifar10-20pc'];
const ARM_NAMES = ['acgan', 'acgan-norm', 'd2dce-nomargin', 'reacgan', 'reacgan-nomask'];
const program = new Command('claims.mjs')
  .description("the paper's claims (Rebooting ACGAN, NeurIPS 2021) on real data: the ReACGAN ablation ladder with the paper's head diagnostics, judged by the project's judge classifiers; writes <out>/report.md, report.json, <setting>.svg and one run directory per arm and seed")
  .addOption(new Option('--mode <mode>', 'budget: quick (≈ 5 min on 2 cores) or full (≈ 50 min)').choices(['quick', 'full']).default('quick'))
  .option('--out <dir>', 'output folder (default runs/paper-claims-<mode>)')
  .option('--seeds <list>', 'comma-separated seeds (default 0,1)', seedsArg)
  .option('--settings <list>', `comma-separated settings, some of ${SETTING_NAMES.join(', ')} (default: those with a budget in the mode; cifar10-20pc runs in full mode only)`, namesArg(SETTING_NAMES))
  .option('--arms <list>', `comma-separated arms, some of ${ARM_NAMES.join(', ')} (default: each setting's arms)`, namesArg(ARM_NAMES))
  .option('--cifar10 <path>', 'CIFAR-10: cifar10-jpeg.tar.gz or a folder ($REACGAN_CIFAR10_ROOT, else shared/data/cifar10-jpeg/cifar10-jpeg.tar.gz above the checkout)', process.env.REACGAN_CIFAR10_ROOT ?? defaultCifar10())
  .option('--backend <name>', "TensorFlow.js backend, as reacgan's --backend ($REACGAN_BACKEND, else auto)", process.env.REACGAN_BACKEND || 'auto')
  .option('--keep-checkpoints', "keep each run's checkpoints (deleted by default)")
  .option('--report-only', 'rebuild the report from the run directories under --out, without training')
  .showHelpAfterError()
  .parse();
const opts = program.opts();
const values = { ...opts, 'keep-checkpoints': opts.keepCheckpoints === true, 'report-only': opts.reportOnly === true };
const mode = values.mode;
const out = resolve(values.out ?? join('runs', `paper-claims-${mode}`));

/**
 * The budgets. Equal within a setting for every arm and seed: same steps, batch, backbone, evaluation steps and
 * sample counts. Sized for 2 CPU cores: quick ≤ 10 min, full ≤ 60 min (see README.md for measured times).
 */
const BUDGETS = {
  quick: { seeds: [0, 1], cifar10: { steps: 200, evalEvery: 100, evalNumSamples: 500 }, 'mnist-lr5x': { steps: 200, evalEvery: 100, evalNumSamples: 500 }, hardArms: ['acgan', 'acgan-norm', 'reacgan'], cifarArms: ['acgan', 'reacgan'] },
  full: {
    seeds: [0, 1],
    cifar10: { steps: 400, evalEvery: 100, evalNumSamples: 500, maxTrainSeconds: 300 },
    'mnist-lr5x': { steps: 300, evalEvery: 100, evalNumSamples: 500, maxTrainSeconds: 300 },
    'cifar10-20pc': { steps: 1500, evalEvery: 250, evalNumSamples: 500, maxTrainSeconds: 600 },
    hardArms: ['acgan', 'acgan-norm', 'reacgan'],
    cifarArms: null,
    fewArms: ['acgan', 'reacgan'],
  },
}[mode];

/** The ablation ladder (Table 1 of the paper, in StudioGAN's configuration vocabulary). */
const ARMS = {
  acgan: { name: 'ACGAN', what: 'AC head: linear classifier on h, cross-entropy, λ 1', config: { model: { dCondMtd: 'AC', normalizeDEmbed: false }, loss: { condLambda: 1 } } },
  'acgan-norm': {
    name: 'ACGAN + feature normalisation',
    what: "AC head on h/‖h‖ (StudioGAN's normalize_d_embed for AC: h normalised, classifier weights not), cross-entropy, λ 1",
    config: { model: { dCondMtd: 'AC', normalizeDEmbed: true }, loss: { condLambda: 1 } },
  },
  'd2dce-nomargin': {
    name: '+ D2D-CE without margins',
    what: 'D2D-CE on normalised embed/proxies, τ 0.5, m_p 1, m_n 0 (no margins), false-negative mask on, λ 1',
    config: { model: { dCondMtd: 'D2DCE', normalizeDEmbed: true, dEmbedDim: 128 }, loss: { condLambda: 1, temperature: 0.5, mP: 1, mN: 0 } },
  },
  reacgan: {
    name: 'ReACGAN (full)',
    what: 'D2D-CE, τ 0.5, m_p 0.98, m_n 0.02, false-negative mask on, λ 1',
    config: { model: { dCondMtd: 'D2DCE', normalizeDEmbed: true, dEmbedDim: 128 }, loss: { condLambda: 1, temperature: 0.5, mP: 0.98 } },
  },
  'reacgan-nomask': {
    name: 'ReACGAN w/o false-negative mask',
    what: 'as ReACGAN, but same-class samples stay among the negatives (loss.falseNegativeMask false)',
    config: { model: { dCondMtd: 'D2DCE', normalizeDEmbed: true, dEmbedDim: 128 }, loss: { condLambda: 1, temperature: 0.5, mP: 0.98, falseNegativeMask: false } },
  },
};

/** CIFAR-10 as the `cifar10` settings read it. */
const cifar10Config = () => ({ data: { name: 'CIFAR10', imgSize: 32, numClasses: 10, imgChannels: 3, root: values.cifar10 }, pre: { applyRflip: true } });
const cifar10Available = () => (existsSync(values.cifar10) ? null : `CIFAR-10 not found at ${values.cifar10} (give --cifar10 or REACGAN_CIFAR10_ROOT)`);

/**
 * The settings. All use the CPU-sized DCGAN (`deep_conv`) backbone of the `mnist/*` presets (G 64→8 and D 8→64
 * channels, spectral norm in D, hinge loss, G-EMA, batch 32, Adam β (0, 0.99)).
 */
const SETTINGS = {
  cifar10: {
    title: 'CIFAR-10, 32 px colour (all 50,000 training images)',
    how: 'the `mnist/*` backbone with 3 channels on CIFAR-10 (random horizontal flips), lr 1e-3 as the MNIST presets',
    available: cifar10Available,
    config: cifar10Config,
    arms: BUDGETS.cifarArms ?? Object.keys(ARMS),
  },
  'mnist-lr5x': {
    title: 'MNIST with a 5× learning rate (the harder setting tried)',
    how: 'the `mnist/*` presets with Adam lr 5e-3 for G and D instead of 1e-3 (all 60,000 training images)',
    available: () => null,
    config: () => ({ optimization: { gLr: 0.005, dLr: 0.005 } }),
    arms: BUDGETS.hardArms,
  },
  'cifar10-20pc': {
    title: 'CIFAR-10 with 20 training images per class (the harder setting where ACGAN collapses)',
    how: 'as `cifar10` (same backbone, lr 1e-3, flips), but D and G see only a fixed subset of 20 training images per class (200 images, the first 20 of each class in a permutation drawn once with seed 20; the same subset for every arm and seed), evaluated against the full 10,000-image test split',
    available: cifar10Available,
    config: cifar10Config,
    subset: { perClass: 20, seed: 20 },
    arms: BUDGETS.fewArms,
  },
};

// A setting without a budget in this mode (cifar10-20pc in quick mode) is not run by default.
if (SETTING_NAMES.join() !== Object.keys(SETTINGS).join() || ARM_NAMES.join() !== Object.keys(ARMS).join()) throw new Error('claims.mjs: SETTING_NAMES / ARM_NAMES must list SETTINGS / ARMS');
const selected = values.settings ?? Object.keys(SETTINGS).filter((s) => BUDGETS[s]);
const fullOnly = selected.filter((s) => !BUDGETS[s]);
if (fullOnly.length) program.error(`error: option '--settings <list>': ${fullOnly.join(', ')} run${fullOnly.length === 1 ? 's' : ''} in full mode only (no budget in ${mode} mode); pass --mode full, or drop ${fullOnly.join(', ')}`);
const seeds = values.seeds ?? BUDGETS.seeds;
/** The arms of a setting this invocation runs (--arms narrows them). */
const armsOf = (key) => SETTINGS[key].arms.filter((a) => !values.arms || values.arms.includes(a));
const none = selected.filter((s) => armsOf(s).length === 0);
if (none.length) program.error(`error: option '--arms <list>': none of ${values.arms.join(', ')} runs in ${none.join(', ')} (${none.map((s) => `${s}: ${SETTINGS[s].arms.join(', ')}`).join('; ')})`);
/** The run directory of one setting, arm and seed. */
const runDir = (key, arm, seed) => join(out, 'runs', key, `${arm}-seed${seed}`);
// --report-only rebuilds the report from finished runs: a folder holding none would give an empty report.
if (values['report-only']) {
  const finished = selected.flatMap((key) => armsOf(key).flatMap((arm) => seeds.map((seed) => join(runDir(key, arm, seed), 'report.json')))).filter((f) => existsSync(f));
  if (!finished.length) program.error(`error: option '--report-only': ${out} holds no finished run of ${selected.join(', ')} (looked for runs/<setting>/<arm>-seed<n>/report.json); train them first (without --report-only), or point --out at the folder a run wrote`);
}
// The library is loaded once the options are known to be good (--help and refusals need no build).
const { data, formatBackendReport, initBackend, openConfiguredDataset, renderPanelsSvg, resolvePreset, trainRun } = await import('reacgan/node');

const t0 = performance.now();
const startedAt = new Date().toISOString();
const load0 = loadavg();
const backend = await initBackend({ backend: values.backend }).catch((error) => program.error(`error: option '--backend <name>': ${error.message}`));
console.error(formatBackendReport(backend));
await mkdir(out, { recursive: true });

const results = {};
/** Runs --report-only found unfinished (listed in the report). */
const missing = [];
for (const key of selected) {
  const setting = SETTINGS[key];
  const skipped = setting.available();
  if (skipped) {
    console.error(`skipping ${key}: ${skipped}`);
    results[key] = { skipped };
    continue;
  }
  const budget = BUDGETS[key];
  const runs = [];
  const subset = setting.subset && !values['report-only'] ? await subsetOf(resolvePreset('mnist/acgan', setting.config()), setting.subset) : null;
  for (const arm of armsOf(key)) {
    for (const seed of seeds) {
      const dir = runDir(key, arm, seed);
      const overrides = mergeAll(setting.config(), ARMS[arm].config, {
        optimization: { totalSteps: budget.steps },
        run: { seed, headDiagnostics: true, printEvery: 10, evalEvery: budget.evalEvery, evalNumSamples: budget.evalNumSamples, sampleEvery: budget.steps, saveEvery: budget.steps, maxTrainSeconds: budget.maxTrainSeconds ?? null, tensorboard: false },
      });
      const config = resolvePreset('mnist/acgan', overrides);
      if (!values['report-only']) {
        console.error(`\n== ${key} / ${ARMS[arm].name} / seed ${seed} → ${relative(process.cwd(), dir)}`);
        await trainRun({ config, configSource: `examples/paper-claims ${key}/${arm}`, out: dir, backend, progress: false, ...(subset ? { dataset: subset } : {}) });
        if (!values['keep-checkpoints']) await rm(join(dir, 'checkpoints'), { recursive: true, force: true });
      }
      if (values['report-only'] && !existsSync(join(dir, 'report.json'))) {
        console.error(`--report-only: ${relative(out, dir)} has no report.json (not run or not finished); left out`);
        missing.push(relative(out, dir));
        continue;
      }
      runs.push(await collectRun(dir, arm, seed));
    }
  }
  results[key] = { runs, budget };
  await writeFile(join(out, `${key}.svg`), settingSvg(key, runs));
}

const wallSeconds = (performance.now() - t0) / 1000;
const load1 = loadavg();
const summary = Object.fromEntries(Object.entries(results).map(([key, r]) => [key, r.skipped ? { skipped: r.skipped } : summarise(key, r.runs)]));
// --report-only keeps the timing and load of the run that trained (its report.json), when there is one.
const trained = values['report-only'] && existsSync(join(out, 'report.json')) ? JSON.parse(await readFile(join(out, 'report.json'), 'utf8')).meta : null;
const meta = { mode, seeds, missing, startedAt, wallSeconds, reportOnly: values['report-only'], runSecondsSum: Object.values(results).flatMap((r) => r.runs ?? []).reduce((a, r) => a + r.seconds, 0), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, loadavgStart: load0, loadavgEnd: load1, backend, command: process.argv.slice(1).join(' '), budgets: BUDGETS };
// The commands that trained the runs (a setting may have been added by a later command): listed when rebuilt.
const commands = new Map();
for (const [key, r] of Object.entries(results)) {
  for (const run of r.runs ?? []) {
    const c = commands.get(run.trainedBy) ?? { command: run.trainedBy, settings: [], runs: 0, runSeconds: 0, firstStartedAt: run.startedAt };
    if (!c.settings.includes(key)) c.settings.push(key);
    c.runs += 1;
    c.runSeconds += run.seconds;
    if (run.startedAt && (!c.firstStartedAt || run.startedAt < c.firstStartedAt)) c.firstStartedAt = run.startedAt;
    commands.set(run.trainedBy, c);
  }
}
meta.trainingCommands = [...commands.values()];
if (trained && !trained.reportOnly) Object.assign(meta, { startedAt: trained.startedAt, wallSeconds: trained.wallSeconds, runSecondsSum: trained.runSecondsSum, loadavgStart: trained.loadavgStart, loadavgEnd: trained.loadavgEnd, command: trained.command, reportOnly: false, rebuiltBy: process.argv.slice(1).join(' ') });
await writeFile(join(out, 'report.json'), JSON.stringify({ meta, summary }, null, 2) + '\n');
await writeFile(join(out, 'report.md'), reportMarkdown(meta, summary));
console.error(`\nwritten ${join(out, 'report.md')} in ${wallSeconds.toFixed(0)} s`);

// ---------------------------------------------------------------------------------------------------------------

/**
 * A fixed subset of the training split: the first `perClass` images of each class in the order of a permutation
 * drawn with `seed` (independent of the run seeds, so every arm and seed trains on the same images).
 */
async function subsetOf(config, { perClass, seed }) {
  const full = await openConfiguredDataset(config, 'train');
  const taken = new Array(full.numClasses).fill(0);
  const picked = [];
  for (const i of new data.Rng(seed).permutation(full.count)) {
    if (taken[full.labels[i]] < perClass) {
      taken[full.labels[i]]++;
      picked.push(i);
    }
  }
  const size = full.imageShape.reduce((a, b) => a * b, 1);
  const images = new Uint8Array(picked.length * size);
  picked.forEach((i, k) => images.set(full.getImage(i), k * size));
  console.error(`${full.name}: training on ${picked.length} images (${perClass} per class, permutation seed ${seed})`);
  return data.createInMemoryDataset({ name: `${full.name} (${perClass} per class, subset seed ${seed})`, images, labels: picked.map((i) => full.labels[i]), imageShape: full.imageShape, classNames: full.classNames, source: `${full.source ?? full.name}, indices ${picked.join(',')}` });
}

/** One finished run, read back from its directory (report.json and metrics.jsonl): `--report-only` rebuilds the report. */
async function collectRun(dir, arm, seed) {
  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
  const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const train = lines.filter((l) => l.kind === 'train');
  const recorded = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  return { arm, seed, dir: relative(out, dir), trainedBy: (recorded.command ?? []).join(' '), startedAt: recorded.startedAt ?? null, status: report.status, steps: train.at(-1)?.step ?? 0, seconds: report.timing?.runSeconds ?? NaN, final: report.evaluation ?? null, train, evals: lines.filter((l) => l.kind === 'eval') };
}

function mergeAll(...inputs) {
  const merge = (a, b) => {
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const o = { ...a };
      for (const [k, v] of Object.entries(b)) o[k] = merge(o[k], v);
      return o;
    }
    return b === undefined ? a : b;
  };
  return inputs.reduce((a, b) => merge(a, b), {});
}

function mean(xs) {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
function sd(xs) {
  return xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)) : NaN;
}
function finite(xs) {
  return xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Per step, the mean over seeds of a recorded value (only steps every seed recorded). */
function seedMean(armRuns, pick) {
  const bySteps = new Map();
  for (const r of armRuns) for (const [step, v] of pick(r)) if (Number.isFinite(v)) bySteps.set(step, [...(bySteps.get(step) ?? []), v]);
  return [...bySteps].filter(([, vs]) => vs.length === armRuns.length).sort((a, b) => a[0] - b[0]).map(([step, vs]) => [step, mean(vs)]);
}

function byArm(runs) {
  const arms = new Map();
  for (const r of runs) arms.set(r.arm, [...(arms.get(r.arm) ?? []), r]);
  return arms;
}

function settingSvg(key, runs) {
  const arms = byArm(runs);
  const train = (name) => (r) => r.train.filter((l) => l.values[name] !== undefined).map((l) => [l.step, l.values[name]]);
  const evals = (name) => (r) => r.evals.filter((e) => e[name] !== undefined).map((e) => [e.step, e[name]]);
  const panel = (title, yLabel, pick, logY = false, only = null) => ({
    title,
    yLabel,
    logY,
    series: [...arms].filter(([arm]) => !only || only(arm)).map(([arm, rs]) => ({ name: ARMS[arm].name, points: seedMean(rs, pick) })).filter((s) => s.points.length),
  });
  const isAc = (arm) => ARMS[arm].config.model.dCondMtd === 'AC';
  const isD2 = (arm) => !isAc(arm);
  const panels = [
    panel("‖h_i‖ of D's features, real batch (mean over the batch)", '‖h‖', train('diag/head/featureNormMean'), true),
    panel('‖∇ L_D‖ over the conditioning head (all arms)', '‖∇‖', train('diag/condHeadGradNorm'), true),
    panel('AC arms: per-class ‖∂L_CE/∂w_c‖ (mean over classes)', '‖∂L/∂w_c‖', train('diag/head/weightGradientNormMean'), true, isAc),
    panel('AC arms: p(y_i | x_i) of the real batch (mean)', 'probability', train('diag/head/targetProbabilityMean'), false, isAc),
    panel('D2D-CE arms: mean s⁺ (sample–proxy) and negatives', 'cos', (r) => train('diag/head/positiveSimilarity')(r), false, isD2),
    panel('D2D-CE arms: share of terms active after the margins', 'share', train('diag/head/activePairShare'), false, isD2),
    panel('Class accuracy of generated samples (judge)', 'accuracy', evals('classAccuracy')),
    panel("FID in the judge's feature space (not Inception)", 'FID', evals('fid')),
  ].filter((p) => p.series.length);
  return renderPanelsSvg(panels, { title: `${SETTINGS[key].title}: mean over seeds ${seeds.join(', ')}` });
}

function summarise(key, runs) {
  const arms = byArm(runs);
  const rows = [];
  for (const [arm, rs] of arms) {
    const finals = rs.map((r) => r.final).filter(Boolean);
    const evalSteps = [...new Set(rs.flatMap((r) => r.evals.map((e) => e.step)))].sort((a, b) => a - b);
    const atStep = evalSteps.map((step) => {
      const es = rs.map((r) => r.evals.find((e) => e.step === step)).filter(Boolean);
      return { step, classAccuracy: mean(finite(es.map((e) => e.classAccuracy))), fid: mean(finite(es.map((e) => e.fid))), fidPerSeed: es.map((e) => e.fid) };
    });
    const trace = (name) => {
      const perRun = rs.map((r) => r.train.map((l) => l.values[name]).filter(Number.isFinite));
      const tenth = (xs, last) => (xs.length ? mean(last ? xs.slice(-Math.max(1, Math.floor(xs.length / 10))) : xs.slice(0, Math.max(1, Math.floor(xs.length / 10)))) : NaN);
      return { first: mean(finite(perRun.map((xs) => tenth(xs, false)))), last: mean(finite(perRun.map((xs) => tenth(xs, true)))), max: Math.max(...perRun.flat()) };
    };
    rows.push({
      arm,
      name: ARMS[arm].name,
      what: ARMS[arm].what,
      seeds: rs.map((r) => r.seed),
      status: rs.map((r) => `${r.status}@${r.steps}`),
      secondsPerRun: rs.map((r) => r.seconds),
      final: {
        classAccuracy: { mean: mean(finite(finals.map((f) => f.classAccuracy))), sd: sd(finite(finals.map((f) => f.classAccuracy))), perSeed: finals.map((f) => f.classAccuracy) },
        fid: { mean: mean(finite(finals.map((f) => f.fid))), sd: sd(finite(finals.map((f) => f.fid))), perSeed: finals.map((f) => f.fid) },
        samples: finals[0]?.numSamples ?? null,
      },
      atStep,
      featureNorm: trace('diag/head/featureNormMean'),
      headGradNorm: trace('diag/condHeadGradNorm'),
      acWeightGradNorm: trace('diag/head/weightGradientNormMean'),
      acTargetProbability: trace('diag/head/targetProbabilityMean'),
      positiveSimilarity: trace('diag/head/positiveSimilarity'),
      activePairShare: trace('diag/head/activePairShare'),
      runs: rs.map((r) => r.dir),
    });
  }
  return { title: SETTINGS[key].title, how: SETTINGS[key].how, budget: BUDGETS[key], rows };
}

function reportMarkdown(meta, summary) {
  const f = (x, d = 2) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '–');
  const pct = (x) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
  const pm = (m, s, fmt) => `${fmt(m)}${Number.isFinite(s) ? ` ± ${fmt(s)}` : ''}`;
  const lines = [
    `# The paper's claims, reproduced (${meta.mode} mode)`,
    '',
    `Command: \`${meta.command}\`. Started ${meta.startedAt}; ${meta.reportOnly ? `report rebuilt from finished runs (their wall times add up to **${(meta.runSecondsSum / 60).toFixed(1)} min**)` : `wall time **${(meta.wallSeconds / 60).toFixed(1)} min** (runs: ${(meta.runSecondsSum / 60).toFixed(1)} min)`} on ${meta.cpus} CPU core(s) (${meta.cpuModel ?? 'unknown CPU'}), backend ${meta.backend.backend} (${meta.backend.threads} thread(s)); load average at start ${meta.loadavgStart.map((x) => x.toFixed(1)).join(' / ')}, at end ${meta.loadavgEnd.map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min; the machine is shared). Seeds ${meta.seeds.join(', ')}.`,
    '',
    ...(meta.rebuiltBy ? [`Tables and plots rebuilt from the run directories by \`${meta.rebuiltBy}\` (same runs, same numbers; timing of the training run above).`, ''] : []),
    ...(meta.reportOnly || meta.rebuiltBy
      ? ['The runs were trained by:', '', ...meta.trainingCommands.map((c) => `- \`${c.command || '(not recorded)'}\`: ${c.runs} run(s) of ${c.settings.join(', ')}, first started ${c.firstStartedAt ?? '?'}, run times adding up to ${(c.runSeconds / 60).toFixed(1)} min.`), '']
      : []),
    ...(meta.missing.length ? [`**Incomplete:** ${meta.missing.length} run(s) had not finished when this report was built and are left out: ${meta.missing.join(', ')}.`, ''] : []),
    'Class accuracy: the judge classifier of the dataset on generated samples (EMA generator, equal counts per class). FID: the Fréchet distance in that judge\'s feature space against the test split (**not Inception FID**; not comparable with published FIDs). ± is the standard deviation over seeds.',
    '',
  ];
  for (const [key, s] of Object.entries(summary)) {
    if (s.skipped) {
      lines.push(`## ${SETTINGS[key].title}`, '', `Skipped: ${s.skipped}.`, '');
      continue;
    }
    lines.push(`## ${s.title}`, '', `Setting: ${s.how}. Budget per run: ${s.budget.steps} steps, evaluations every ${s.budget.evalEvery} steps (${s.budget.evalNumSamples} samples) and at the end (${s.rows[0]?.final.samples ?? '?'} samples). Curves: [\`${key}.svg\`](${key}.svg).`, '');
    lines.push('| arm | class accuracy (end) | judge-space FID (end) | ‖h‖ first 10% → last 10% (max) | ‖∇ L_D‖ head: first → last (max) | AC ‖∂L/∂w_c‖ first → last | AC p(y\\|x) first → last | D2D-CE s⁺ first → last | active terms first → last | runs |');
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of s.rows) {
      const tr = (t, d = 2) => (Number.isFinite(t.first) ? `${f(t.first, d)} → ${f(t.last, d)}` : '–');
      lines.push(
        `| ${r.name} | ${pm(r.final.classAccuracy.mean, r.final.classAccuracy.sd, pct)} | ${pm(r.final.fid.mean, r.final.fid.sd, (x) => f(x, 1))} | ${tr(r.featureNorm, 1)} (${f(r.featureNorm.max, 1)}) | ${tr(r.headGradNorm, 3)} (${f(r.headGradNorm.max, 3)}) | ${tr(r.acWeightGradNorm, 3)} | ${tr(r.acTargetProbability)} | ${tr(r.positiveSimilarity)} | ${tr(r.activePairShare)} | ${r.runs.map((d) => `[${d.split('/').pop()}](${d}/)`).join(' ')} |`,
      );
    }
    const steps = Array.from({ length: Math.floor(s.budget.steps / s.budget.evalEvery) }, (_, k) => (k + 1) * s.budget.evalEvery);
    lines.push('', 'At equal steps (mean over seeds: class accuracy / judge-space FID):', '', `| arm | ${steps.map((x) => `step ${x}`).join(' | ')} |`, `| --- |${steps.map(() => ' --- |').join('')}`);
    for (const r of s.rows) {
      const cell = (step) => {
        const a = r.atStep.find((x) => x.step === step);
        return a ? `${pct(a.classAccuracy)} / ${f(a.fid, 1)}${a.fidPerSeed.length < r.seeds.length ? ` (${a.fidPerSeed.length} of ${r.seeds.length} seeds)` : ''}` : '–';
      };
      lines.push(`| ${r.name} | ${steps.map(cell).join(' | ')} |`);
    }
    lines.push('', 'Arms:', '', ...s.rows.map((r) => `- **${r.name}**: ${r.what}; wall ${r.secondsPerRun.map((x) => `${x.toFixed(0)} s`).join(', ')} per run; status ${r.status.join(', ')}.`), '');
    lines.push(...reading(s), '');
  }
  return lines.join('\n');
}

/** Statements computed from the numbers (the interpretation in docs/results-paper-claims.md is written by hand). */
function reading(s) {
  const row = (arm) => s.rows.find((r) => r.arm === arm);
  const out = ['Computed from these numbers:', ''];
  const ac = row('acgan');
  const re = row('reacgan');
  if (ac && Number.isFinite(ac.featureNorm.first)) out.push(`- ACGAN: ‖h‖ grows ×${(ac.featureNorm.last / ac.featureNorm.first).toFixed(1)} (first → last tenth of the run); the per-class classifier gradient ‖∂L_CE/∂w_c‖ goes ${ac.acWeightGradNorm.first.toFixed(3)} → ${ac.acWeightGradNorm.last.toFixed(3)} while p(y|x) on real images goes ${ac.acTargetProbability.first.toFixed(2)} → ${ac.acTargetProbability.last.toFixed(2)}.`);
  const norm = row('acgan-norm');
  if (norm && Number.isFinite(norm.acWeightGradNorm.first)) out.push(`- ACGAN + normalisation: ‖∂L_CE/∂w_c‖ ${norm.acWeightGradNorm.first.toFixed(3)} → ${norm.acWeightGradNorm.last.toFixed(3)} (bounded by 1 since ‖h/‖h‖‖ = 1).`);
  const ranked = [...s.rows].filter((r) => Number.isFinite(r.final.fid.mean)).sort((a, b) => a.final.fid.mean - b.final.fid.mean);
  if (ranked.length) out.push(`- Judge-space FID at the end, best to worst: ${ranked.map((r) => `${r.name} ${r.final.fid.mean.toFixed(1)}`).join(' < ')}.`);
  if (ac && re && Number.isFinite(ac.final.fid.mean) && Number.isFinite(re.final.fid.mean)) {
    const gap = ac.final.fid.mean - re.final.fid.mean;
    const noise = Math.max(ac.final.fid.sd || 0, re.final.fid.sd || 0);
    out.push(`- ReACGAN vs ACGAN: FID ${gap > 0 ? 'lower' : 'higher'} by ${Math.abs(gap).toFixed(1)} (seed spread up to ${noise.toFixed(1)}: ${Math.abs(gap) > 2 * noise ? 'larger than twice the spread' : 'within twice the spread, not a clear difference at this budget'}).`);
  }
  for (const r of s.rows) {
    const fids = r.atStep.map((a) => a.fid);
    const accs = r.atStep.map((a) => a.classAccuracy);
    if (fids.length < 2) continue;
    const best = Math.min(...fids);
    const bestAt = r.atStep[fids.indexOf(best)].step;
    const last = fids[fids.length - 1];
    const peak = Math.max(...accs);
    const peakAt = r.atStep[accs.indexOf(peak)].step;
    const lastAcc = accs[accs.length - 1];
    out.push(
      `- ${r.name}: FID is lowest at step ${bestAt} (${best.toFixed(1)}) and ${last > best * 1.1 ? `rises to ${last.toFixed(1)} by the end (a collapse after an early optimum)` : `${last.toFixed(1)} at the end (no rise beyond 10%)`}; class accuracy peaks at step ${peakAt} (${(peak * 100).toFixed(1)}%) and is ${(lastAcc * 100).toFixed(1)}% at the last evaluation step.`,
    );
  }
  return out;
}

/**
 * Importing a StudioGAN run (POSTECH-CVLab/PyTorch-StudioGAN): its YAML config and its `.pth` checkpoints
 * (`model={G,D,G_ema}-{best,current}-weights-step=N.pth`, written by StudioGAN's `misc.save_model`) become a
 * normal run directory of this package, which `sample`, `evaluate`, `export --web`, `info --run` and (with
 * `which: 'all'`) `train --resume` accept:
 *
 *   <out>/config.json                      the resolved configuration (StudioGAN YAML + the detected cBN layout)
 *   <out>/checkpoints/last.safetensors     G_ema.* / G.* (and D.*, optG.*, optD.* for 'all') + the training state
 *   <out>/checkpoints/last.json            its JSON companion
 *   <out>/import.json                      provenance: source files with size and SHA-256, StudioGAN version
 *                                          guess and its evidence, cBN layout, step, D's record, warnings
 *
 * The `.pth` files are read with @reacgan/metrics' PyTorch reader (nothing in them is executed; numpy scalars
 * such as D's `best_fid` are decoded from their bytes) and mapped with @reacgan/models' StudioGAN key map.
 * Every file's keys and shapes are checked before any tensor is read, and every problem is reported at once by
 * name. The run directory is assembled in a temporary folder next to `out` and renamed at the end: on any
 * error nothing is left behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as metrics from '@reacgan/metrics';
import { readTorchCheckpointFile } from '@reacgan/metrics/node';
import * as models from '@reacgan/models';
import { type ReacganConfig, resolveConfig, unsupportedFeatures } from '../config/resolve.js';
import { parseConfigText } from '../config/yaml.js';
import type { ConfigInput } from '../config/schema.js';
import { defaultClassNames } from '../export/web-export.js';
import type { TrainingStateMeta } from '../train/state.js';
import { versions } from '../versions.js';
import { type CheckpointInfo, saveCheckpoint } from './checkpoint.js';
import { describeFileHead, isZipHead, readConfigFile } from './file-kind.js';
import { assertNewOrEmptyFolder, writeFileAtomic } from './fs-atomic.js';

/** Which networks to import: the EMA generator (default), the generator, or everything a training resume needs. */
export type StudioganImportWhich = 'G_ema' | 'G' | 'all';

/** The networks StudioGAN saves, by the `model=` part of the file name. */
export type StudioganNetwork = 'G' | 'D' | 'G_ema';

export interface ImportStudioganOptions {
  /** The run's StudioGAN YAML config (as StudioGAN reads it; camelCase YAML/JSON works too). */
  config: string;
  /**
   * A StudioGAN checkpoint folder (holding `model=…-weights-step=N.pth` files; a folder with exactly one such
   * sub-folder, e.g. StudioGAN's `checkpoints/`, works too) or one `.pth` file. A file fixes `step` and, unless
   * `which` is given, the network (its siblings in the folder supply the others).
   */
  checkpoint: string;
  /** The run directory to write: must not exist, or be empty. */
  out: string;
  /**
   * 'G_ema' (default): the EMA generator, for sampling — StudioGAN's G_ema file holds weights only;
   * 'G': the generator; 'all': G, D, G_ema (when the config keeps one) and both Adam states, so that
   * `train --resume` continues the run.
   */
  which?: StudioganImportWhich;
  /** 'best', 'current' or a step number. Default: 'best' when the folder has best files, else 'current'. */
  step?: 'best' | 'current' | number;
  /** Class names (default: the dataset's when this package knows it, e.g. CIFAR10; otherwise none). */
  classNames?: string[];
  /** Recorded in import.json (default: process.argv). */
  command?: string[];
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Import time to record (default now; tests fix it). */
  now?: Date;
}

/** One source file as recorded in import.json. */
export interface ImportedFile {
  network: StudioganNetwork;
  file: string;
  path: string;
  bytes: number;
  /** SHA-256 of the file; null for a file read only for its metadata (D with `which` other than 'all'). */
  sha256: string | null;
  /** The top-level keys of the saved dict (`state_dict`, `optimizer`, `seed`, …). */
  keys: string[];
  /** True when only the file's pickle (keys, scalars) was read, not its tensors. */
  metadataOnly: boolean;
}

/** The provenance record `import.json`. */
export interface StudioganImportRecord {
  format: 'reacgan-studiogan-import';
  formatVersion: 1;
  importedAt: string;
  command: string[];
  versions: Record<string, string>;
  config: { path: string; sha256: string };
  checkpoint: string;
  which: StudioganImportWhich;
  /** The networks written to the run's checkpoint (`G_ema`, `G`, `D`). */
  networks: StudioganNetwork[];
  when: 'best' | 'current';
  step: number;
  files: ImportedFile[];
  /** StudioGAN's cBN parameter layout of the generator ('embed': v0.3.0, 'linear': master), null for big_resnet / unconditional G. */
  cbnLayout: models.ModelConfig['gCbnLayout'] | null;
  studiogan: { versionGuess: string; evidence: string[] };
  /** What StudioGAN's D file recorded (step, epoch, best_step, best_fid, run_name, seed, topk, ada_p / aa_p), when read. */
  discriminatorRecord: Record<string, unknown> | null;
  /** With `which: 'all'`: the Adam states mapped onto this package's (per-parameter moments and steps). */
  optimizer: { G: OptimizerSummary; D: OptimizerSummary } | null;
  parameters: { generator: number; discriminator: number };
  warnings: string[];
}

interface OptimizerSummary {
  type: 'Adam';
  parameters: number;
  /** Parameters with state (others were never stepped: zero moments, step 0). */
  withState: number;
  /** Largest per-parameter step. */
  steps: number;
  /** StudioGAN's Adam hyperparameters (param_groups[0]). */
  hyperparameters: { lr: number; betas: number[]; eps: number; weightDecay: number; amsgrad: boolean };
}

export interface ImportStudioganResult {
  /** Absolute path of the written run directory. */
  out: string;
  /** The checkpoint inside it. */
  checkpoint: string;
  record: StudioganImportRecord;
  config: ReacganConfig;
}

const FILE_PATTERN = /^model=(G|D|G_ema)-(best|current)-weights-step=(\d+)\.pth$/;

interface Candidate {
  network: StudioganNetwork;
  when: 'best' | 'current';
  step: number;
  path: string;
}

function describeCandidates(list: Candidate[]): string {
  return list.length ? list.map((c) => basename(c.path)).join(', ') : 'none';
}

async function listCandidates(dir: string): Promise<Candidate[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Candidate[] = [];
  for (const name of names.sort()) {
    const m = FILE_PATTERN.exec(name);
    if (m) out.push({ network: m[1] as StudioganNetwork, when: m[2] as 'best' | 'current', step: Number(m[3]), path: join(dir, name) });
  }
  return out;
}

/** The folder holding the checkpoints: `dir` itself, else its only sub-folder (or `checkpoints/` sub-folder) that has some. */
async function checkpointFolder(dir: string): Promise<{ dir: string; candidates: Candidate[] }> {
  const own = await listCandidates(dir);
  if (own.length) return { dir, candidates: own };
  const found: { dir: string; candidates: Candidate[] }[] = [];
  for (const parent of [dir, join(dir, 'checkpoints')]) {
    const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const sub = join(parent, entry.name);
      const candidates = await listCandidates(sub);
      if (candidates.length) found.push({ dir: sub, candidates });
    }
  }
  if (found.length === 1) return found[0];
  if (found.length > 1) {
    throw new Error(`--checkpoint ${dir}: several StudioGAN runs inside (${found.map((f) => f.dir).join(', ')}); pass one of them`);
  }
  throw new Error(`--checkpoint ${dir}: no StudioGAN checkpoint in it (expected files named model={G,D,G_ema}-{best,current}-weights-step=N.pth, as StudioGAN's save_model writes them)`);
}

/**
 * Reads a StudioGAN .pth file's pickle without its tensors (torch's zip format). A file that is not a zip archive
 * (a YAML config, a legacy torch.save file, anything else) is refused naming `--checkpoint` and what the file is.
 */
async function readStudioganHead(file: string, given: string): Promise<unknown> {
  const head = new Uint8Array(64);
  let size: number;
  const handle = await open(file, 'r');
  try {
    size = (await handle.stat()).size;
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  if (!isZipHead(head)) {
    const which = resolve(given) === file ? given : `${given} (${basename(file)})`;
    throw new Error(`--checkpoint ${which}: expected a StudioGAN .pth checkpoint (a zip archive, as torch.save >= 1.6 writes it in StudioGAN's save_model), received ${describeFileHead(head.subarray(0, Math.min(size, head.length)), size)}`);
  }
  return readTorchCheckpointFile(file, { tensors: false });
}

/** Which network a .pth holds, from its top-level keys (for files that do not carry StudioGAN's name). */
function networkFromKeys(keys: string[]): StudioganNetwork {
  if (keys.includes('run_name') || keys.includes('best_fid')) return 'D';
  if (keys.includes('optimizer')) return 'G';
  return 'G_ema';
}

interface Selection {
  folder: string;
  when: 'best' | 'current';
  step: number;
  files: Map<StudioganNetwork, string>;
  /** D's file when it is only read for its record (not imported). */
  dRecordFile: string | null;
}

async function selectFiles(options: ImportStudioganOptions, applyGEma: boolean): Promise<{ selection: Selection; which: StudioganImportWhich }> {
  const checkpoint = resolve(options.checkpoint);
  let info;
  try {
    info = await stat(checkpoint);
  } catch {
    throw new Error(`--checkpoint ${options.checkpoint}: no such file or folder`);
  }
  let which = options.which;
  let folder: string;
  let candidates: Candidate[];
  let fixed: { when: 'best' | 'current'; step: number } | null = null;
  if (info.isFile()) {
    const m = FILE_PATTERN.exec(basename(checkpoint));
    if (!m) {
      // A renamed file: import it alone, its network known from its content.
      const root = await readStudioganHead(checkpoint, options.checkpoint);
      const keys = root instanceof Map ? [...root.keys()].map(String) : [];
      const network = networkFromKeys(keys);
      if (network === 'D') throw new Error(`--checkpoint ${options.checkpoint}: a discriminator file (keys ${keys.join(', ')}) holds no generator; pass the G or G_ema file, or the run folder with --which all`);
      if (which === 'all') throw new Error(`--which all: needs StudioGAN's file names (model={G,D,G_ema}-{best,current}-weights-step=N.pth) to find the G, D and G_ema files; ${basename(checkpoint)} is not named so`);
      if (which && which !== network) throw new Error(`--which ${which}: ${basename(checkpoint)} holds ${network === 'G' ? 'a generator with its optimizer (a G file)' : 'weights only (a G_ema file)'}`);
      // Without StudioGAN's name the step is unknown: the caller's --step N, else 0.
      const step = typeof options.step === 'number' ? options.step : 0;
      return { selection: { folder: dirname(checkpoint), when: options.step === 'best' ? 'best' : 'current', step, files: new Map([[network, checkpoint]]), dRecordFile: null }, which: network };
    }
    const network = m[1] as StudioganNetwork;
    fixed = { when: m[2] as 'best' | 'current', step: Number(m[3]) };
    if (options.step !== undefined && options.step !== fixed.when && options.step !== fixed.step) {
      throw new Error(`--step ${options.step}: --checkpoint names the file of ${fixed.when} step ${fixed.step} (${basename(checkpoint)}); drop --step or pass the folder`);
    }
    if (!which) {
      if (network === 'D') throw new Error(`--checkpoint ${basename(checkpoint)}: a discriminator file holds no generator; pass the G or G_ema file, or use --which all`);
      which = network;
    }
    folder = dirname(checkpoint);
    candidates = await listCandidates(folder);
  } else {
    ({ dir: folder, candidates } = await checkpointFolder(checkpoint));
  }
  which ??= 'G_ema';
  if (!['G_ema', 'G', 'all'].includes(which)) throw new Error(`--which: expected one of G_ema, G, all, received ${String(which)}`);
  const needed: StudioganNetwork[] = which === 'all' ? ['G', 'D', ...(applyGEma ? (['G_ema'] as const) : [])] : [which];
  if (which === 'G_ema' && !applyGEma) {
    throw new Error(`--which G_ema: the config has MODEL.apply_g_ema false, so the run has no EMA generator; use --which G`);
  }
  let when: 'best' | 'current';
  let step: number;
  let picked: Candidate[];
  const requested = fixed ? fixed.when : options.step;
  if (typeof requested === 'number') {
    picked = candidates.filter((c) => c.step === requested);
    if (!picked.length) throw new Error(`--step ${requested}: no file of that step in ${folder} (found: ${describeCandidates(candidates)})`);
    // Best and current files of one step hold the same state (StudioGAN writes both); prefer current.
    when = picked.some((c) => c.when === 'current') ? 'current' : 'best';
    picked = picked.filter((c) => c.when === when);
    step = requested;
  } else {
    when = requested ?? (candidates.some((c) => c.when === 'best') ? 'best' : 'current');
    picked = candidates.filter((c) => c.when === when);
    if (fixed) picked = picked.filter((c) => c.step === fixed.step);
    const steps = [...new Set(picked.map((c) => c.step))];
    if (!steps.length) throw new Error(`--step ${when}: no ${when} file in ${folder} (found: ${describeCandidates(candidates)})`);
    if (steps.length > 1) throw new Error(`--step ${when}: ${folder} holds ${when} files of several steps (${steps.join(', ')}); pass --step N`);
    step = steps[0];
  }
  const files = new Map<StudioganNetwork, string>();
  const missing: StudioganNetwork[] = [];
  for (const network of needed) {
    const c = picked.find((x) => x.network === network);
    if (c) files.set(network, c.path);
    else missing.push(network);
  }
  if (missing.length) {
    throw new Error(
      `--which ${which}: ${folder} has no ${missing.map((n) => `model=${n}-${when}-weights-step=${step}.pth`).join(', ')} (found: ${describeCandidates(candidates)})` +
        (which === 'G_ema' && candidates.some((c) => c.network === 'G') ? '; --which G imports the generator without EMA' : ''),
    );
  }
  const d = picked.find((x) => x.network === 'D');
  return { selection: { folder, when, step, files, dRecordFile: files.has('D') ? null : (d?.path ?? null) }, which };
}

/**
 * Reads the StudioGAN YAML and validates it as `train --config` does (unknown keys, wrong values); an empty
 * config or a binary file is refused. The cBN layout is set afterwards from the checkpoint's keys.
 */
async function readConfig(path: string): Promise<{ input: ConfigInput; text: string; origins: Map<string, string> }> {
  const text = await readConfigFile(path, '--config', 'a .pth checkpoint goes to --checkpoint');
  const { input, origins } = parseConfigText(text, `--config ${path}`);
  if (Object.keys(input).length === 0) {
    throw new Error(`--config ${path}: expected the run's StudioGAN YAML config (DATA, MODEL, LOSS, OPTIMIZATION, … sections, e.g. src/configs/CIFAR10/ReACGAN.yaml), received ${text.trim() === '' ? 'an empty file' : 'a YAML document without any section'}`);
  }
  resolveConfig(input, { source: `--config ${path}`, origins });
  return { input, text, origins };
}

function isMap(x: unknown): x is Map<unknown, unknown> {
  return x instanceof Map;
}

/** The flat state dict (name → tensor or tensor info) of a StudioGAN file's `state_dict`. */
function stateDictOf(root: unknown, file: string): Map<string, metrics.TorchTensor | metrics.TorchTensorInfo> {
  if (!isMap(root)) throw new Error(`${file}: not a StudioGAN checkpoint (the file holds ${typeof root}, expected a dict with 'state_dict')`);
  const sd = root.get('state_dict');
  if (!isMap(sd)) throw new Error(`${file}: no 'state_dict' entry (keys: ${[...root.keys()].map(String).join(', ')})`);
  const out = new Map<string, metrics.TorchTensor | metrics.TorchTensorInfo>();
  for (const [k, v] of sd) {
    if (metrics.isTorchTensor(v) || metrics.isTorchTensorInfo(v)) out.set(String(k), v);
  }
  return out;
}

/** The cBN layout a generator state dict uses (resnet / deep_conv with cBN), or null when it cannot tell. */
function detectLayout(keys: Iterable<string>): { layout: 'embed' | 'linear' | 'mixed' | null; example: string | null } {
  let embed: string | null = null;
  let linear: string | null = null;
  for (const k of keys) {
    if (!embed && /(^|\.)bn\d\.embed[01]\./.test(k)) embed = k;
    if (!linear && /(^|\.)bn\d\.(gain|bias)\./.test(k)) linear = k;
  }
  if (embed && linear) return { layout: 'mixed', example: `${embed} and ${linear}` };
  return embed ? { layout: 'embed', example: embed } : linear ? { layout: 'linear', example: linear } : { layout: null, example: null };
}

function jsonScalar(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (v === undefined) return null;
  if (isMap(v)) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonScalar(x)]));
  if (Array.isArray(v)) return v.map(jsonScalar);
  if (metrics.isTorchTensor(v) || metrics.isTorchTensorInfo(v)) return `<tensor ${v.dtype} [${v.shape.join(', ')}]>`;
  return String(v);
}

/** D's record: every top-level entry but the state dict and the optimizer. */
function discriminatorRecord(root: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isMap(root)) return out;
  for (const [k, v] of root) if (k !== 'state_dict' && k !== 'optimizer') out[String(k)] = jsonScalar(v);
  return out;
}

/** The StudioGAN version a run's files point to, with the evidence. */
function guessVersion(evidence: { layout: 'embed' | 'linear' | null; dKeys: string[] | null; gKeys: string[] | null }): { versionGuess: string; evidence: string[] } {
  const lines: string[] = [];
  const eras = new Set<string>();
  if (evidence.layout === 'embed') {
    lines.push("G's conditional BN is bnK.embed0/embed1 (StudioGAN before commit 43b43f1 of 2022-01-25)");
    eras.add('v0.3.0 or earlier');
  } else if (evidence.layout === 'linear') {
    lines.push("G's conditional BN of the resnet/deep_conv backbone is bnK.gain/bias (StudioGAN commit 43b43f1 of 2022-01-25 or later)");
    eras.add('after v.0.3.0 (master era)');
  }
  const d = evidence.dKeys;
  if (d) {
    if (d.includes('aa_p') || d.includes('lecam_emas')) {
      lines.push(`the D file has ${['aa_p', 'lecam_emas'].filter((k) => d.includes(k)).join(' and ')} (StudioGAN after v.0.3.0)`);
      eras.add('after v.0.3.0 (master era)');
    } else if (d.includes('ada_p') && d.includes('best_fid_ckpt')) {
      lines.push("the D file has ada_p and best_fid_ckpt, no aa_p / lecam_emas (StudioGAN v.0.3.0's save format)");
      eras.add('v0.3.0 or earlier');
    } else if (d.includes('best_fid_checkpoint_path')) {
      lines.push('the D file has best_fid_checkpoint_path (StudioGAN v0.2 save format)');
      eras.add('v0.2');
    }
  }
  if (evidence.gKeys?.includes('run_name')) {
    lines.push('the G file carries run_name/step (StudioGAN v0.2 save format)');
    eras.add('v0.2');
  }
  if (!lines.length) lines.push('no version-specific keys in the files read (big_resnet keys are the same in v0.2, v.0.3.0 and master)');
  const versionGuess = eras.size === 1 ? [...eras][0] : eras.size === 0 ? 'unknown' : `ambiguous (${[...eras].join(' / ')})`;
  return { versionGuess, evidence: lines };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function shapeKey(mapping: models.StudioganKeyMapping): string {
  return `[${mapping.torchShape.join(', ')}]`;
}

/** Problems of one state dict against a module, as lines naming every key. */
function stateDictProblems(label: string, module: models.Module, tensors: Map<string, { shape: readonly number[] }>): string[] {
  const diff = models.diffStudioganStateDict(module, tensors);
  const lines: string[] = [];
  if (diff.missing.length) lines.push(`${label}: missing ${diff.missing.length} key(s): ${diff.missing.join(', ')}`);
  if (diff.unexpected.length) lines.push(`${label}: unexpected ${diff.unexpected.length} key(s): ${diff.unexpected.join(', ')}`);
  if (diff.mismatched.length) {
    lines.push(`${label}: ${diff.mismatched.length} mis-shaped key(s): ${diff.mismatched.map((m) => `${m.name} expected [${m.expected.join(', ')}] received [${m.received.join(', ')}]`).join('; ')}`);
  }
  return lines;
}

/**
 * Maps a torch.optim.Adam `state_dict()` onto this package's Adam state for `module`: StudioGAN builds its
 * optimizers over `named_parameters()` in order (v.0.3.0 and master), so parameter index i is the i-th
 * parameter of the module's StudioGAN key map; moments take the parameter's layout transform.
 * @throws Error naming what does not fit (parameter count, a moment's shape, amsgrad, a non-Adam state).
 */
function mapAdamState(
  label: string,
  optimizer: unknown,
  module: models.Module,
  tensors: Map<string, models.TensorData>,
  steps: Record<string, number>,
  prefix: string,
): OptimizerSummary {
  if (!isMap(optimizer)) throw new Error(`${label}: no optimizer state ('optimizer' entry) to map`);
  const state = optimizer.get('state');
  const groups = optimizer.get('param_groups');
  if (!isMap(state) || !Array.isArray(groups) || !groups.length || !isMap(groups[0])) {
    throw new Error(`${label}: the 'optimizer' entry is not a torch optimizer state_dict (expected 'state' and 'param_groups')`);
  }
  if (groups.length !== 1) throw new Error(`${label}: ${groups.length} parameter groups; StudioGAN's Adam has one`);
  const group = groups[0];
  const indices = (group.get('params') as unknown[] | undefined)?.map(Number) ?? [];
  const parameters = models.studioganKeyMap(module).filter((m) => m.role === 'parameter');
  if (indices.length !== parameters.length) {
    throw new Error(`${label}: the optimizer holds ${indices.length} parameters, the network has ${parameters.length} (${parameters.slice(0, 3).map((m) => m.studioganName).join(', ')}, …)`);
  }
  const amsgrad = group.get('amsgrad') === true;
  if (amsgrad) throw new Error(`${label}: the optimizer used amsgrad, which this package's Adam does not implement`);
  const problems: string[] = [];
  let withState = 0;
  let maxStep = 0;
  indices.forEach((index, i) => {
    const mapping = parameters[i];
    const slot = state.get(index);
    const zero = (): models.TensorData => ({ dtype: 'float32', shape: mapping.shape.slice(), data: new Float32Array(mapping.shape.reduce((a, b) => a * b, 1)) });
    if (!isMap(slot)) {
      tensors.set(`${prefix}m.${mapping.name}`, zero());
      tensors.set(`${prefix}v.${mapping.name}`, zero());
      steps[mapping.name] = 0;
      return;
    }
    const m = slot.get('exp_avg');
    const v = slot.get('exp_avg_sq');
    if (!metrics.isTorchTensor(m) || !metrics.isTorchTensor(v)) {
      problems.push(`parameter ${index} (${mapping.studioganName}): no exp_avg / exp_avg_sq (keys ${[...slot.keys()].map(String).join(', ')}): not an Adam state`);
      return;
    }
    for (const [kind, t] of [['exp_avg', m], ['exp_avg_sq', v]] as const) {
      if (t.shape.length !== mapping.torchShape.length || t.shape.some((d, j) => d !== mapping.torchShape[j])) {
        problems.push(`parameter ${index} (${mapping.studioganName}): ${kind} has shape [${t.shape.join(', ')}], the parameter ${shapeKey(mapping)}`);
      }
    }
    if (problems.length) return;
    const rawStep = slot.get('step');
    const step = metrics.isTorchTensor(rawStep) ? Number(rawStep.data[0]) : Number(rawStep);
    if (!Number.isFinite(step) || step < 0) {
      problems.push(`parameter ${index} (${mapping.studioganName}): step ${String(rawStep)} is not a count`);
      return;
    }
    tensors.set(`${prefix}m.${mapping.name}`, models.fromStudioganLayout(mapping, m));
    tensors.set(`${prefix}v.${mapping.name}`, models.fromStudioganLayout(mapping, v));
    steps[mapping.name] = Math.round(step);
    withState++;
    maxStep = Math.max(maxStep, Math.round(step));
  });
  if (problems.length) throw new Error(`${label}: the optimizer state does not fit the network: ${problems.join('; ')}`);
  const betas = (group.get('betas') as unknown[] | undefined)?.map(Number) ?? [];
  return {
    type: 'Adam',
    parameters: parameters.length,
    withState,
    steps: maxStep,
    hyperparameters: { lr: Number(group.get('lr')), betas, eps: Number(group.get('eps')), weightDecay: Number(group.get('weight_decay') ?? 0), amsgrad },
  };
}

/** Differences between StudioGAN's recorded Adam hyperparameters and the configuration's (the config wins on resume). */
function hyperparameterWarnings(network: 'G' | 'D', summary: OptimizerSummary, config: ReacganConfig): string[] {
  const o = config.optimization;
  const ours = { lr: network === 'G' ? o.gLr : o.dLr, beta1: o.beta1, beta2: o.beta2, eps: o.epsilon, weightDecay: network === 'G' ? o.gWeightDecay : o.dWeightDecay };
  const h = summary.hyperparameters;
  const theirs = { lr: h.lr, beta1: h.betas[0], beta2: h.betas[1], eps: h.eps, weightDecay: h.weightDecay };
  const out: string[] = [];
  for (const key of Object.keys(ours) as (keyof typeof ours)[]) {
    const a = ours[key];
    const b = theirs[key];
    if (!(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)))) out.push(`${network} optimizer ${key}: the checkpoint's Adam used ${b}, the config says ${a}; a resumed run uses the config's`);
  }
  return out;
}

/**
 * Imports a StudioGAN run (see the module comment): reads the config and the selected `.pth` files, checks
 * every key and shape, converts the weights (and with `which: 'all'` the Adam states) to this package's layouts
 * and writes a run directory.
 * @throws Error listing every missing, unexpected or mis-shaped key by file, or naming the option that is wrong
 *   (unknown step, missing files, an `out` that already holds something); nothing is written then.
 */
export async function importStudioganCheckpoint(options: ImportStudioganOptions): Promise<ImportStudioganResult> {
  const log = options.log ?? (() => undefined);
  const out = resolve(options.out);
  const existing = await assertNewOrEmptyFolder(options.out, '--out');

  // ---- config (before the files: apply_g_ema decides which files are needed)
  const { input, text: configText, origins } = await readConfig(options.config);
  const applyGEma = Boolean((input.model as { applyGEma?: unknown } | undefined)?.applyGEma);
  const { selection, which } = await selectFiles(options, applyGEma);
  const order: StudioganNetwork[] = (['G_ema', 'G', 'D'] as const).filter((n) => selection.files.has(n));
  log(`StudioGAN ${selection.when} step ${selection.step} in ${selection.folder}: ${order.map((n) => basename(selection.files.get(n)!)).join(', ')}`);

  // ---- pass 1: keys and shapes of every file (no tensor data read)
  const heads = new Map<StudioganNetwork, { root: unknown; keys: string[]; sd: Map<string, metrics.TorchTensor | metrics.TorchTensorInfo> }>();
  for (const network of order) {
    const file = selection.files.get(network)!;
    const root = await readStudioganHead(file, options.checkpoint);
    heads.set(network, { root, keys: isMap(root) ? [...root.keys()].map(String) : [], sd: stateDictOf(root, basename(file)) });
  }
  const warnings: string[] = [];
  let dHead: unknown = null;
  if (selection.dRecordFile) {
    // D's pickle only (its step, best_fid, version-specific keys): no tensor is read.
    dHead = await readTorchCheckpointFile(selection.dRecordFile, { tensors: false }).catch((error: Error) => {
      warnings.push(`${basename(selection.dRecordFile!)}: not readable for its record (${error.message})`);
      return null;
    });
  }
  const generatorHead = heads.get('G_ema') ?? heads.get('G')!;
  const detected = detectLayout(generatorHead.sd.keys());
  if (detected.layout === 'mixed') throw new Error(`${basename(selection.files.get(order[0])!)}: both StudioGAN cBN layouts in one state dict (${detected.example})`);
  const model = { ...((input.model ?? {}) as Record<string, unknown>) };
  const backbone = String(model.backbone ?? models.DEFAULT_MODEL_CONFIG.backbone);
  const cbnApplies = (backbone === 'resnet' || backbone === 'deep_conv') && model.gCondMtd === 'cBN';
  let cbnLayout: 'embed' | 'linear' | null = null;
  if (cbnApplies && detected.layout) {
    if (model.gCbnLayout !== undefined && model.gCbnLayout !== detected.layout) {
      throw new Error(`--config ${options.config}: model.gCbnLayout is '${String(model.gCbnLayout)}' but the checkpoint's generator uses the '${detected.layout}' layout (${detected.example})`);
    }
    model.gCbnLayout = detected.layout;
    cbnLayout = detected.layout;
  }
  if (backbone === 'deep_conv' && (model.gConvDim !== 'N/A' || model.dConvDim !== 'N/A')) {
    // StudioGAN's deep_conv ignores g_conv_dim / d_conv_dim (its widths are fixed at 64); here they would scale
    // the widths, so the import sets them to 'N/A' (= 64), which is what the run trained with.
    warnings.push(`model.gConvDim / dConvDim: StudioGAN's deep_conv ignores them (fixed widths 64); imported as 'N/A' instead of ${String(model.gConvDim)} / ${String(model.dConvDim)}`);
    model.gConvDim = 'N/A';
    model.dConvDim = 'N/A';
  }
  const config = resolveConfig({ ...input, model } as ConfigInput, { source: options.config, origins });
  const dataOptions = { imgSize: config.data.imgSize, imgChannels: config.data.imgChannels, numClasses: config.data.numClasses, initialize: false, seed: 0 };
  const generator = models.createGenerator(config.model, dataOptions);
  const discriminator = models.createDiscriminator(config.model, dataOptions);
  try {
    const problems: string[] = [];
    for (const network of order) {
      const head = heads.get(network)!;
      problems.push(...stateDictProblems(basename(selection.files.get(network)!), network === 'D' ? discriminator : generator, head.sd));
    }
    if (problems.length) {
      const hint = `the config (${options.config}: ${config.data.name} ${config.data.imgSize} px, ${backbone}, ${config.model.dCondMtd}) must be the run's own`;
      throw new Error(`the checkpoint does not fit the config's networks; ${hint}:\n  - ${problems.join('\n  - ')}`);
    }
    if (which === 'all') {
      const missingFeatures = unsupportedFeatures(config);
      if (missingFeatures.length) warnings.push(`train --resume will refuse this run: not implemented here yet: ${missingFeatures.join(', ')}`);
    }

    // ---- pass 2: tensors, one file at a time
    const tensors = new Map<string, models.TensorData>();
    const optimizerSteps: TrainingStateMeta['optimizerSteps'] = { G: {}, D: {} };
    let optimizer: StudioganImportRecord['optimizer'] = null;
    const summaries: Partial<Record<'G' | 'D', OptimizerSummary>> = {};
    const files: ImportedFile[] = [];
    for (const network of order) {
      const file = selection.files.get(network)!;
      log(`reading ${basename(file)}`);
      const root = await readTorchCheckpointFile(file);
      const module = network === 'D' ? discriminator : generator;
      const converted = models.fromStudioganStateDict(module, stateDictOf(root, basename(file)) as Map<string, models.TorchTensorData>);
      for (const [name, t] of converted) tensors.set(`${network}.${name}`, t);
      if (which === 'all' && network !== 'G_ema') {
        const key = network as 'G' | 'D';
        summaries[key] = mapAdamState(basename(file), (root as Map<string, unknown>).get('optimizer'), module, tensors, optimizerSteps[key], `opt${key}.`);
        warnings.push(...hyperparameterWarnings(key, summaries[key], config));
      }
      const stats = await stat(file);
      files.push({ network, file: basename(file), path: file, bytes: stats.size, sha256: await sha256File(file), keys: heads.get(network)!.keys, metadataOnly: false });
    }
    if (summaries.G && summaries.D) optimizer = { G: summaries.G, D: summaries.D };
    // Every converted state must load into the networks (counters, dtypes): strict, as the run's loaders will.
    for (const network of order) {
      const own = new Map<string, models.TensorData>();
      for (const [name, t] of tensors) if (name.startsWith(`${network}.`)) own.set(name.slice(network.length + 1), t);
      (network === 'D' ? discriminator : generator).loadStateDict(own, { strict: true });
    }
    const dRoot = heads.get('D')?.root ?? dHead;
    if (dHead && selection.dRecordFile) {
      const stats = await stat(selection.dRecordFile);
      files.push({ network: 'D', file: basename(selection.dRecordFile), path: selection.dRecordFile, bytes: stats.size, sha256: null, keys: isMap(dHead) ? [...dHead.keys()].map(String) : [], metadataOnly: true });
    }
    const record = dRoot ? discriminatorRecord(dRoot) : null;
    const dStep = record && typeof record.step === 'number' ? record.step : null;
    if (dStep !== null && dStep !== selection.step) warnings.push(`the D file records step ${dStep}, its name step ${selection.step}; the name's is used`);
    const version = guessVersion({
      layout: cbnLayout,
      dKeys: isMap(dRoot) ? [...dRoot.keys()].map(String) : null,
      gKeys: heads.get('G')?.keys ?? null,
    });
    const now = options.now ?? new Date();
    const parameters = { generator: generator.numParameters(), discriminator: discriminator.numParameters() };
    const importRecord: StudioganImportRecord = {
      format: 'reacgan-studiogan-import',
      formatVersion: 1,
      importedAt: now.toISOString(),
      command: options.command ?? process.argv.slice(1),
      versions,
      config: { path: resolve(options.config), sha256: createHash('sha256').update(configText).digest('hex') },
      checkpoint: resolve(options.checkpoint),
      which,
      networks: order,
      when: selection.when,
      step: selection.step,
      files,
      cbnLayout,
      studiogan: version,
      discriminatorRecord: record,
      optimizer,
      parameters,
      warnings,
    };

    // ---- write: a temporary folder next to out, renamed at the end
    const parent = dirname(out);
    await mkdir(parent, { recursive: true });
    const tmp = join(parent, `.${basename(out)}.import-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(join(tmp, 'checkpoints'), { recursive: true });
      const meta: TrainingStateMeta = {
        format: 'reacgan-training-state',
        version: 1,
        step: selection.step,
        samplerRng: null,
        batches: null,
        fmBatches: null,
        optimizerSteps,
        config,
      };
      const known = defaultClassNames(config.data.name, config.data.numClasses);
      const classNames = options.classNames ?? (known[0] === 'class 0' ? undefined : known);
      if (classNames && classNames.length !== config.data.numClasses) {
        throw new Error(`classNames: expected ${config.data.numClasses} names (data.numClasses), received ${classNames.length}`);
      }
      const info: CheckpointInfo & { import: { which: StudioganImportWhich; networks: StudioganNetwork[]; when: string; step: number; source: string } } = {
        reason: 'import',
        savedAt: now.toISOString(),
        best: null,
        versions,
        ...(classNames ? { classNames } : {}),
        import: { which, networks: order, when: selection.when, step: selection.step, source: selection.folder },
      };
      await saveCheckpoint(join(tmp, 'checkpoints', 'last.safetensors'), { tensors, meta }, info);
      const runInfo = {
        config,
        configSource: `StudioGAN import: ${resolve(options.config)}`,
        versions,
        parameters,
        command: importRecord.command,
        startedAt: importRecord.importedAt,
        resumedFrom: null,
        import: { which, networks: order, when: selection.when, step: selection.step, checkpoint: importRecord.checkpoint, record: 'import.json' },
      };
      await writeFileAtomic(join(tmp, 'config.json'), JSON.stringify(runInfo, null, 2) + '\n');
      await writeFileAtomic(join(tmp, 'import.json'), JSON.stringify(importRecord, null, 2) + '\n');
      if (existing) await rmdir(out);
      await rename(tmp, out);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    return { out, checkpoint: join(out, 'checkpoints', 'last.safetensors'), record: importRecord, config };
  } finally {
    generator.dispose();
    discriminator.dispose();
  }
}

/**
 * The demo page: loads a web generator file (`reacgan export --web`), picks a backend (WebGL → wasm → cpu),
 * checks that this backend reproduces the exporter's output, and draws a grid of samples for the chosen
 * class plus a latent interpolation strip.
 *
 * URL parameters: `model` (URL of a .web.safetensors file; default the shipped MNIST generator),
 * `backend` (webgl | wasm | cpu, tried first), `class` (index), `seed` (grid seed), `grid` (samples in
 * the grid, default 64), `strip` (images in the interpolation strip, default 10).
 * `window.reacganDemo` exposes the page state for tests and the curious.
 */
import type { Generator } from '@reacgan/models';
import * as tf from '@tensorflow/tfjs-core';
import { loadWebGenerator, runSelfCheck, type WebGeneratorDescriptor } from 'reacgan/web';
import { type BackendChoice, requestedBackend, selectBackend } from './backend.js';
import { defaultSampleCounts, generateBatch, interpolateLatents, latentsForSeed, median, sizeWarning, type Tiled, tileBatch } from './samples.js';

const DEFAULT_MODEL = 'mnist-reacgan.web.safetensors';
const GAP = 2;
const params = new URLSearchParams(location.search);

function intParam(name: string, fallback: number, min: number, max: number): number {
  const value = Number.parseInt(params.get(name) ?? '', 10);
  return Number.isInteger(value) ? Math.min(max, Math.max(min, value)) : fallback;
}
/**
 * Samples in the grid (`?grid=`) and images in the interpolation strip (`?strip=`); without them, per model:
 * 64 (8 × 8) and 10 up to 32 px, fewer for larger images (see `defaultSampleCounts`).
 */
let GRID_SAMPLES = 64;
let GRID_COLUMNS = 8;
let STRIP_STEPS = 10;
function setSampleCounts(imgSize: number): void {
  const defaults = defaultSampleCounts(imgSize);
  GRID_SAMPLES = intParam('grid', defaults.grid, 1, 256);
  GRID_COLUMNS = Math.ceil(Math.sqrt(GRID_SAMPLES));
  STRIP_STEPS = intParam('strip', defaults.strip, 2, 32);
  demo.gridBatchSize = GRID_SAMPLES;
}

export interface DemoState {
  state: 'loading' | 'ready' | 'error';
  /** Completed renders (grid + strip); tests wait for it to change. */
  renders: number;
  backend: string | null;
  backendDetail: string | null;
  backendFailures: { name: string; reason: string }[];
  /** Milliseconds of the last grid batch, the median over this model's batches, and the first (warm-up) one. */
  gridMs: number | null;
  gridMedianMs: number | null;
  firstGridMs: number | null;
  stripMs: number | null;
  gridBatchSize: number;
  selfCheck: { maxAbsDiff: number; tolerance: number; ok: boolean } | null;
  model: { source: string; bytes: number; descriptor: Omit<WebGeneratorDescriptor, 'selfCheck'> } | null;
  /** The warning shown for a large generator file (null for small ones). */
  sizeWarning: string | null;
  /** tfjs tensors alive after the last render (must stay flat). */
  numTensors: number;
  error: string | null;
}

declare global {
  interface Window {
    reacganDemo: DemoState;
  }
}

const demo: DemoState = {
  state: 'loading',
  renders: 0,
  backend: null,
  backendDetail: null,
  backendFailures: [],
  gridMs: null,
  gridMedianMs: null,
  firstGridMs: null,
  stripMs: null,
  gridBatchSize: GRID_SAMPLES,
  selfCheck: null,
  model: null,
  sizeWarning: null,
  numTensors: 0,
  error: null,
};
window.reacganDemo = demo;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  classSelect: element<HTMLSelectElement>('class'),
  className: element<HTMLSpanElement>('class-name'),
  newNoise: element<HTMLButtonElement>('new-noise'),
  truncation: element<HTMLInputElement>('truncation'),
  truncationValue: element<HTMLOutputElement>('truncation-value'),
  gridSeed: element<HTMLOutputElement>('grid-seed'),
  seedA: element<HTMLInputElement>('seed-a'),
  seedB: element<HTMLInputElement>('seed-b'),
  grid: element<HTMLCanvasElement>('grid'),
  strip: element<HTMLCanvasElement>('strip'),
  backend: element<HTMLElement>('backend'),
  ms: element<HTMLElement>('ms'),
  selfCheck: element<HTMLElement>('self-check'),
  modelInfo: element<HTMLElement>('model-info'),
  sizeWarning: element<HTMLElement>('size-warning'),
  file: element<HTMLInputElement>('file'),
  status: element<HTMLElement>('status'),
};

const settings = {
  classIndex: intParam('class', 0, 0, 1_000_000),
  gridSeed: intParam('seed', 0, 0, 2 ** 31 - 1),
  truncation: null as number | null,
  seedA: Number(ui.seedA.value),
  seedB: Number(ui.seedB.value),
};
let current: { generator: Generator; descriptor: WebGeneratorDescriptor } | null = null;
let gridTimes: number[] = [];

function setStatus(message: string, isError = false): void {
  ui.status.textContent = message;
  ui.status.classList.toggle('error', isError);
}

function fail(error: unknown, context: string): void {
  const message = `${context}: ${(error as Error)?.message ?? String(error)}`;
  demo.error = message;
  setStatus(message, true);
  console.error(message);
}

function setEnabled(enabled: boolean): void {
  for (const control of [ui.classSelect, ui.newNoise, ui.truncation, ui.seedA, ui.seedB]) control.disabled = !enabled;
  if (enabled && current?.descriptor.generation.zPrior === 'uniform') {
    ui.truncation.disabled = true;
    ui.truncation.title = 'truncation applies to the gaussian prior only';
  }
}

function draw(canvas: HTMLCanvasElement, tiled: Tiled): void {
  canvas.width = tiled.width;
  canvas.height = tiled.height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D canvas context');
  context.putImageData(new ImageData(tiled.rgba, tiled.width, tiled.height), 0, 0);
}

const formatMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

function showTimings(): void {
  if (demo.gridMs === null) return;
  const parts = [`grid of ${GRID_SAMPLES}: ${formatMs(demo.gridMs)} ms`];
  if (gridTimes.length > 2) parts.push(`median ${formatMs(demo.gridMedianMs!)} ms over ${gridTimes.length - 1} batches after the first (${formatMs(demo.firstGridMs!)} ms, includes warm-up)`);
  else parts.push(`first batch includes warm-up`);
  if (demo.stripMs !== null) parts.push(`strip of ${STRIP_STEPS}: ${formatMs(demo.stripMs)} ms`);
  ui.ms.textContent = parts.join(' · ');
}

type Part = 'grid' | 'strip';

async function render(parts: Set<Part>): Promise<void> {
  if (!current) return;
  const { generator, descriptor } = current;
  const classIndex = Math.min(Math.max(0, settings.classIndex), descriptor.data.numClasses - 1);
  const latentOptions = { prior: descriptor.generation.zPrior, truncation: settings.truncation };
  const bn = descriptor.generation.batchNormStatistics;

  if (parts.has('grid')) {
    const z = latentsForSeed(settings.gridSeed, GRID_SAMPLES, generator.zDim, latentOptions);
    const grid = await generateBatch(generator, z, new Int32Array(GRID_SAMPLES).fill(classIndex), bn);
    draw(ui.grid, tileBatch(grid, GRID_COLUMNS, GAP));
    gridTimes.push(grid.ms);
    demo.gridMs = grid.ms;
    demo.firstGridMs = gridTimes[0];
    demo.gridMedianMs = gridTimes.length > 1 ? median(gridTimes.slice(1)) : grid.ms;
    ui.className.textContent = `“${descriptor.data.classNames[classIndex]}” (class ${classIndex})`;
    ui.gridSeed.textContent = String(settings.gridSeed);
  }
  if (parts.has('strip')) {
    const zA = latentsForSeed(settings.seedA, 1, generator.zDim, latentOptions);
    const zB = latentsForSeed(settings.seedB, 1, generator.zDim, latentOptions);
    const strip = await generateBatch(generator, interpolateLatents(zA, zB, STRIP_STEPS), new Int32Array(STRIP_STEPS).fill(classIndex), bn);
    draw(ui.strip, tileBatch(strip, STRIP_STEPS, GAP));
    demo.stripMs = strip.ms;
  }
  demo.numTensors = tf.memory().numTensors;
  showTimings();
  demo.renders += 1;
  document.body.dataset.renders = String(demo.renders);
}

// One render at a time; changes made meanwhile are merged into one more render with the latest settings.
let rendering = false;
const pending = new Set<Part>();
function requestRender(...parts: Part[]): void {
  for (const part of parts.length ? parts : (['grid', 'strip'] as Part[])) pending.add(part);
  if (rendering) return;
  rendering = true;
  void (async () => {
    try {
      while (pending.size) {
        const now = new Set(pending);
        pending.clear();
        await render(now);
      }
      if (demo.state !== 'error') document.body.dataset.state = demo.state = 'ready';
    } catch (error) {
      pending.clear();
      demo.state = 'error';
      document.body.dataset.state = 'error';
      fail(error, 'generation failed');
    } finally {
      rendering = false;
    }
  })();
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`;
}

function showSizeWarning(warning: string | null): void {
  demo.sizeWarning = warning;
  ui.sizeWarning.textContent = warning ?? '';
  ui.sizeWarning.hidden = warning === null;
}

function describeModel(descriptor: WebGeneratorDescriptor, bytes: number, source: string): string {
  const p = descriptor.provenance;
  const d = descriptor.data;
  const c = descriptor.modelConfig;
  return [
    `${source} (${formatBytes(bytes)})`,
    `${d.name}: ${d.numClasses} classes, ${d.imgSize}×${d.imgSize}×${d.imgChannels}`,
    `${c.backbone} generator, ${c.gCondMtd} conditioning, z ${c.zDim}, ${p.parameters.toLocaleString('en-US')} parameters`,
    `${p.generator === 'G_ema' ? 'EMA generator' : 'generator (no EMA)'} at step ${p.step ?? '?'}, BN ${descriptor.generation.batchNormStatistics} statistics`,
    `exported ${p.exportedAt.slice(0, 10)} from ${p.checkpoint}`,
  ].join(' · ');
}

async function loadModel(bytes: ArrayBuffer, source: string): Promise<void> {
  setStatus(`loading ${source} (${formatBytes(bytes.byteLength)})…`);
  document.body.dataset.state = demo.state = 'loading';
  setEnabled(false);
  let loaded: { generator: Generator; descriptor: WebGeneratorDescriptor };
  try {
    loaded = loadWebGenerator(bytes);
  } catch (error) {
    fail(error, `cannot load ${source}`);
    // Keep the previous generator when there is one.
    if (current) {
      setEnabled(true);
      document.body.dataset.state = demo.state = 'ready';
    } else {
      document.body.dataset.state = demo.state = 'error';
    }
    return;
  }
  current?.generator.dispose();
  current = loaded;
  gridTimes = [];
  demo.gridMs = demo.gridMedianMs = demo.firstGridMs = demo.stripMs = null;
  demo.error = null;
  const { descriptor } = loaded;
  const { selfCheck: _omit, ...rest } = descriptor;
  demo.model = { source, bytes: bytes.byteLength, descriptor: rest };
  showSizeWarning(sizeWarning(bytes.byteLength, descriptor.data.imgSize));
  setSampleCounts(descriptor.data.imgSize);

  ui.classSelect.replaceChildren(
    ...descriptor.data.classNames.map((name, i) => {
      const option = document.createElement('option');
      option.value = String(i);
      option.textContent = `${i}: ${name}`;
      return option;
    }),
  );
  settings.classIndex = Math.min(Math.max(0, settings.classIndex), descriptor.data.numClasses - 1);
  ui.classSelect.value = String(settings.classIndex);
  ui.modelInfo.textContent = describeModel(descriptor, bytes.byteLength, source);

  if (descriptor.selfCheck) {
    const maxAbsDiff = await runSelfCheck(loaded.generator, descriptor.selfCheck);
    const ok = maxAbsDiff <= descriptor.selfCheck.tolerance;
    demo.selfCheck = { maxAbsDiff, tolerance: descriptor.selfCheck.tolerance, ok };
    ui.selfCheck.className = ok ? 'ok' : 'bad';
    ui.selfCheck.textContent = `${ok ? 'ok' : 'FAILED'}: max |Δ| ${maxAbsDiff.toExponential(2)} from the exporter's output on ${descriptor.provenance.exportBackend} (tolerance ${descriptor.selfCheck.tolerance})`;
    if (!ok) console.error(`self-check failed: this backend's images differ from the exporter's by up to ${maxAbsDiff} (tolerance ${descriptor.selfCheck.tolerance})`);
  } else {
    demo.selfCheck = null;
    ui.selfCheck.textContent = 'not recorded in this file';
  }
  setStatus('');
  setEnabled(true);
  requestRender();
}

async function loadUrl(url: string): Promise<void> {
  const name = url.split('/').pop() ?? url;
  let response: Response;
  try {
    response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  } catch (error) {
    fail(error, `cannot fetch ${url}`);
    document.body.dataset.state = demo.state = 'error';
    return;
  }
  const length = Number(response.headers.get('content-length'));
  if (length > 0) {
    showSizeWarning(sizeWarning(length));
    setStatus(`downloading ${name} (${formatBytes(length)})…`);
  }
  await loadModel(await response.arrayBuffer(), name);
}

async function loadFile(file: File): Promise<void> {
  showSizeWarning(sizeWarning(file.size));
  setStatus(`reading ${file.name} (${formatBytes(file.size)})…`);
  await loadModel(await file.arrayBuffer(), file.name);
}

function wireControls(): void {
  ui.classSelect.addEventListener('change', () => {
    settings.classIndex = Number(ui.classSelect.value);
    requestRender();
  });
  ui.newNoise.addEventListener('click', () => {
    settings.gridSeed = crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000;
    requestRender('grid');
  });
  ui.truncation.addEventListener('input', () => {
    const t = Number(ui.truncation.value);
    settings.truncation = t > 0 ? t : null;
    ui.truncationValue.textContent = t > 0 ? t.toFixed(2) : 'off';
    requestRender();
  });
  for (const [input, key] of [
    [ui.seedA, 'seedA'],
    [ui.seedB, 'seedB'],
  ] as const) {
    input.addEventListener('change', () => {
      const seed = Math.max(0, Math.floor(Number(input.value)) || 0);
      input.value = String(seed);
      settings[key] = seed;
      requestRender('strip');
    });
  }
  ui.file.addEventListener('change', () => {
    const file = ui.file.files?.[0];
    if (file) void loadFile(file);
  });
  document.addEventListener('dragover', (event) => {
    event.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    document.body.classList.remove('dragging');
    const file = event.dataTransfer?.files?.[0];
    if (file) void loadFile(file);
  });
}

async function start(): Promise<void> {
  wireControls();
  let backend: BackendChoice;
  try {
    backend = await selectBackend(requestedBackend(location.search));
  } catch (error) {
    document.body.dataset.state = demo.state = 'error';
    fail(error, 'no backend');
    return;
  }
  demo.backend = backend.name;
  demo.backendDetail = backend.detail;
  demo.backendFailures = backend.failures;
  ui.backend.textContent = `${backend.name} (${backend.detail})${backend.failures.length ? ` — passed over: ${backend.failures.map((f) => `${f.name} (${f.reason})`).join(', ')}` : ''}`;
  document.body.dataset.backend = backend.name;
  await loadUrl(params.get('model') ?? new URL(DEFAULT_MODEL, document.baseURI).href);
}

void start();

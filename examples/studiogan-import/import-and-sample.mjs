#!/usr/bin/env node
// From a StudioGAN run folder to samples in Node and to the browser demo:
//   1. import the run (StudioGAN YAML + model=G_ema-…-weights-step=N.pth) as a run directory of this project;
//   2. draw a class grid (one row per class) with the EMA generator → <out>/grid.png;
//   3. export the generator for the browser demo → <out>/generator.web.safetensors (open it in examples/web).
//
// Usage: node import-and-sample.mjs --config <StudioGAN YAML> --checkpoint <run folder or .pth> --out <dir>
//          [--which G_ema|G] [--step best|current|N] [--classes 0,1,2] [--per-class 8] [--seed 0] [--backend …]
// The same three steps are `reacgan import-studiogan`, `reacgan sample` and `reacgan export --web` (README).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { disposeLoaded, encodePng, exportWebGenerator, formatBackendReport, importStudioganCheckpoint, initBackend, loadGenerator, prepareLoadedGenerator, sampleLoaded, tileImages, imagesFromNhwc, writeFileAtomic } from 'reacgan/node';

/**
 * The classes a grid shows: `classes` when given, else every class up to 20, else 10 spread evenly (ImageNet has
 * 1,000: a row each would be a 128,000-pixel-tall image).
 */
export function gridClasses(numClasses, classes) {
  if (classes?.length) {
    for (const c of classes) if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new Error(`--classes: expected class indices in [0, ${numClasses}), received ${c}`);
    return classes;
  }
  if (numClasses <= 20) return Array.from({ length: numClasses }, (_, i) => i);
  return Array.from({ length: 10 }, (_, i) => Math.floor((i * numClasses) / 10));
}

/**
 * Runs the three steps; returns what it wrote. Options as the command line (camelCase), plus `log`.
 * @returns {Promise<{ run: string, grid: string, web: string, classes: number[], import: object, export: object }>}
 */
export async function importAndSample(options) {
  const log = options.log ?? ((line) => console.error(line));
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const run = join(out, 'run');
  const imported = await importStudioganCheckpoint({ config: options.config, checkpoint: options.checkpoint, out: run, which: options.which, step: options.step, log });
  const r = imported.record;
  log(`imported StudioGAN ${r.networks.join(', ')} (${r.when}, step ${r.step}; StudioGAN ${r.studiogan.versionGuess}) into ${run}`);

  const loaded = await loadGenerator(imported.checkpoint);
  let classes;
  try {
    prepareLoadedGenerator(loaded);
    classes = gridClasses(loaded.config.data.numClasses, options.classes);
    const perClass = options.perClass ?? 8;
    const labels = Int32Array.from(classes.flatMap((c) => Array(perClass).fill(c)));
    const images = sampleLoaded(loaded, labels, { seed: options.seed ?? 0 });
    const values = await images.data();
    const shape = images.shape;
    images.dispose();
    await writeFileAtomic(join(out, 'grid.png'), encodePng(tileImages(imagesFromNhwc(values, shape), perClass)));
    log(`wrote ${join(out, 'grid.png')}: classes ${classes.join(', ')} (one row each) × ${perClass}`);
  } finally {
    disposeLoaded(loaded);
  }

  const web = await exportWebGenerator({ checkpoint: run, out: join(out, 'generator.web.safetensors') });
  log(`wrote ${web.out} (${(web.bytes / 1024 / 1024).toFixed(1)} MB, ${web.descriptor.provenance.parameters.toLocaleString('en-US')} parameters) for the browser demo`);
  return { run, grid: join(out, 'grid.png'), web: web.out, classes, import: r, export: web };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      checkpoint: { type: 'string' },
      out: { type: 'string', default: join('runs', 'studiogan-import') },
      which: { type: 'string' },
      step: { type: 'string' },
      classes: { type: 'string' },
      'per-class': { type: 'string' },
      seed: { type: 'string', default: '0' },
      backend: { type: 'string', default: process.env.REACGAN_BACKEND ?? 'auto' },
    },
  });
  if (!values.config || !values.checkpoint) {
    console.error('usage: node import-and-sample.mjs --config <StudioGAN YAML> --checkpoint <run folder or .pth> [--out <dir>] [--which G_ema|G] [--step best|current|N] [--classes 0,1,2] [--per-class 8]');
    process.exit(2);
  }
  const backend = await initBackend({ backend: values.backend });
  console.error(formatBackendReport(backend));
  const step = values.step === undefined || values.step === 'best' || values.step === 'current' ? values.step : Number(values.step);
  const result = await importAndSample({
    config: values.config,
    checkpoint: values.checkpoint,
    out: values.out,
    which: values.which,
    step,
    classes: values.classes?.split(',').map(Number),
    perClass: values['per-class'] ? Number(values['per-class']) : undefined,
    seed: Number(values.seed),
  });
  console.log(`grid: ${result.grid}`);
  console.log(`browser: pnpm --filter @reacgan/example-web dev, then drop ${result.web} onto the page (or copy it to examples/web/public/ and open ?model=${result.web.split('/').pop()})`);
}

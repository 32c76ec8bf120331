import { type Command, Option } from 'commander';
import { initBackend } from '../backend.js';
import { importStudioganCheckpoint, type StudioganImportRecord, type StudioganImportWhich } from '../node/studiogan-import.js';
import { backendOption } from './backend-command.js';
import { cliAction, formatBytes } from './messages.js';
import { intArg } from './config-options.js';

/**
 * The import record as text lines (import-studiogan and info --run print the same): each file read with its size and
 * SHA-256, the config's SHA-256, the StudioGAN version and its evidence, D's record (best FID), the Adam states, warnings.
 */
export function importRecordLines(r: StudioganImportRecord): string[] {
  const lines = r.files.map((f) => `${f.metadataOnly ? 'read' : 'from'} ${f.file} (${formatBytes(f.bytes)}${f.sha256 ? `, SHA-256 ${f.sha256}` : ', record only'})`);
  lines.push(`config ${r.config.path} (SHA-256 ${r.config.sha256})`);
  lines.push(`StudioGAN version: ${r.studiogan.versionGuess} (${r.studiogan.evidence.join('; ')})`);
  const d = r.discriminatorRecord;
  if (d && d.best_fid !== undefined) lines.push(`D's record: step ${String(d.step)}, best FID ${String(d.best_fid)} at step ${String(d.best_step)}`);
  if (r.optimizer) lines.push(`Adam states: G ${r.optimizer.G.withState}/${r.optimizer.G.parameters} parameters (step ${r.optimizer.G.steps}), D ${r.optimizer.D.withState}/${r.optimizer.D.parameters} (step ${r.optimizer.D.steps})`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines;
}

/** `--step best|current|N`. */
function stepArg(value: string): 'best' | 'current' | number {
  if (value === 'best' || value === 'current') return value;
  return intArg('--step')(value);
}

/**
 * `reacgan import-studiogan --config <StudioGAN YAML> --checkpoint <run folder or .pth> --out <run dir>`: a
 * StudioGAN run's checkpoints as a run directory of this package (see `node/studiogan-import.ts`).
 */
export function registerImportCommand(program: Command): void {
  program
    .command('import-studiogan')
    .description("import a StudioGAN run (its YAML config and model=…-weights-step=N.pth files) as a run directory that sample, evaluate, export --web, info --run and train --resume accept")
    .requiredOption('--config <file>', "the run's StudioGAN YAML config (e.g. src/configs/CIFAR10/ReACGAN.yaml, with the run's overrides)")
    .requiredOption('--checkpoint <path>', 'a StudioGAN checkpoint folder (model={G,D,G_ema}-{best,current}-weights-step=N.pth) or one .pth file')
    .requiredOption('--out <dir>', 'the run directory to write (new or empty)')
    .addOption(new Option('--which <networks>', "G_ema: the EMA generator (weights only); G: the generator; all: G, D, G_ema and both Adam states (for train --resume)").choices(['G_ema', 'G', 'all']))
    .option('--step <step>', "'best', 'current' or a step number (default: best when the folder has best files, else current)", stepArg)
    .option('--json', 'print the import record (import.json) as JSON')
    .addOption(backendOption())
    .action(
      cliAction(async (options: { config: string; checkpoint: string; out: string; which?: StudioganImportWhich; step?: 'best' | 'current' | number; json?: boolean; backend?: string }) => {
      await initBackend({ backend: options.backend });
      const result = await importStudioganCheckpoint({
        config: options.config,
        checkpoint: options.checkpoint,
        out: options.out,
        which: options.which,
        step: options.step,
        log: options.json ? undefined : (line) => console.error(line),
      });
      const r = result.record;
      if (options.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      const c = result.config;
      console.log(`imported StudioGAN ${r.networks.join(', ')} (${r.when}, step ${r.step}) into ${result.out}`);
      console.log(
        `  ${c.data.name} ${c.data.imgSize} px, ${c.data.numClasses} classes, ${c.model.backbone} ${c.model.dCondMtd}; G ${r.parameters.generator.toLocaleString('en-US')} parameters` +
          (r.cbnLayout ? `; cBN layout '${r.cbnLayout}'` : ''),
      );
      for (const line of importRecordLines(r)) console.log(`  ${line}`);
      console.log(`wrote config.json, import.json, checkpoints/last.safetensors`);
      console.log(`next: reacgan sample --run ${options.out}; reacgan export --web ${options.out}${r.which === 'all' ? `; reacgan train --resume ${options.out} --steps N` : ''}`);
      }),
    );
}

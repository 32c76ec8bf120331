import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ReacganConfig } from '../config/resolve.js';
import type { StudioganImportRecord } from '../node/studiogan-import.js';
import * as models from '@reacgan/models';
import { getPreset, presetNames, PRESETS } from '../config/presets.js';
import { initBackend } from '../backend.js';
import { backendOption } from './backend-command.js';
import { addConfigOptions, configFromCli, type ConfigCliOptions } from './config-options.js';
import { importRecordLines } from './import-command.js';
import { cliAction } from './messages.js';

/**
 * `reacgan info --preset <name> [--json]`: the resolved configuration and the parameter counts of G and D
 * (networks built without random initialisation, so even ImageNet presets are quick). `--run <dir>`: a run
 * directory's configuration, its checkpoints (step, why written) and, for a run imported from StudioGAN, the
 * import record. Without a preset, config or run: the list of presets.
 */
export function registerInfoCommand(program: Command): void {
  const command = program
    .command('info')
    .description('print a preset\'s (or config file\'s) resolved configuration and parameter counts; with --dataset folder --root <dir>, the configuration sized for that folder; without any of them, list the presets')
    .option('--json', 'print JSON')
    .option('--run <dir>', "a run directory (trained or imported): its config, checkpoints and import record")
    .addOption(backendOption());
  addConfigOptions(command).action(
    cliAction({ onBadFile: true, root: true }, async (options: ConfigCliOptions & { json?: boolean; backend?: string; run?: string }) => {
    if (options.run) {
      if (options.preset || options.config) throw new Error('--run: shows the run\'s own configuration; drop --preset / --config');
      const doc = await runInfo(options.run);
      if (options.json) console.log(JSON.stringify(doc, null, 2));
      else {
        const c = doc.config;
        console.log(`${doc.run}: ${c.data.name} ${c.data.imgSize} px, ${c.data.numClasses} classes, ${c.model.backbone} ${c.model.dCondMtd}`);
        if (doc.parameters) console.log(`generator: ${doc.parameters.generator.toLocaleString('en-US')} parameters; discriminator: ${doc.parameters.discriminator.toLocaleString('en-US')} parameters`);
        for (const ck of doc.checkpoints) console.log(`checkpoint ${ck.file}: step ${ck.step ?? '?'} (${ck.reason ?? '?'}, ${ck.networks.join(', ')})${ck.best ? `; best ${ck.best.metric} ${ck.best.value} at step ${ck.best.step}` : ''}`);
        if (doc.import) {
          const r = doc.import;
          console.log(`imported from StudioGAN: ${r.networks.join(', ')} of ${r.when} step ${r.step}${r.cbnLayout ? `, cBN layout '${r.cbnLayout}'` : ''}`);
          for (const line of importRecordLines(r)) console.log(`  ${line}`);
        }
      }
      return;
    }
    if (!options.preset && !options.config && options.dataset !== 'folder') {
      const list = presetNames().map((name) => ({ name, description: PRESETS[name].description, source: PRESETS[name].source }));
      console.log(options.json ? JSON.stringify(list, null, 2) : list.map((p) => `${p.name.padEnd(24)} ${p.description}`).join('\n'));
      return;
    }
    const { config, source, notes, warnings } = await configFromCli(options, { onBadFile: options.onBadFile, log: (line) => console.error(line) });
    for (const note of notes) console.error(note);
    for (const warning of warnings) console.error(`warning: ${warning}`);
    await initBackend({ backend: options.backend });
    const dataOptions = { imgSize: config.data.imgSize, imgChannels: config.data.imgChannels, numClasses: config.data.numClasses, initialize: false, seed: 0 };
    const generator = models.createGenerator(config.model, dataOptions);
    const discriminator = models.createDiscriminator(config.model, dataOptions);
    const parameters = { generator: { parameters: generator.numParameters() }, discriminator: { parameters: discriminator.numParameters() } };
    generator.dispose();
    discriminator.dispose();
    const doc = { source, warnings, ...(options.preset ? { preset: options.preset, description: getPreset(options.preset).description, presetSource: getPreset(options.preset).source } : {}), config, ...parameters };
    if (options.json) console.log(JSON.stringify(doc, null, 2));
    else {
      console.log(`${source}`);
      console.log(`generator: ${parameters.generator.parameters.toLocaleString('en-US')} parameters; discriminator: ${parameters.discriminator.parameters.toLocaleString('en-US')} parameters`);
      console.log(JSON.stringify(config, null, 2));
    }
    }),
  );
}

interface RunInfo {
  run: string;
  config: ReacganConfig;
  configSource: string | null;
  parameters: { generator: number; discriminator: number } | null;
  checkpoints: { file: string; step: number | null; reason: string | null; networks: string[]; best?: { metric: string; value: number; step: number } }[];
  import: StudioganImportRecord | null;
}

/** A run directory's config.json, its checkpoints' JSON companions and import.json (no tensor is read). */
async function runInfo(dir: string): Promise<RunInfo> {
  const text = await readFile(join(dir, 'config.json'), 'utf8').catch((error: Error) => {
    throw new Error(`--run ${dir}: not a run directory (no readable config.json: ${error.message})`);
  });
  const doc = JSON.parse(text) as { config: ReacganConfig; configSource?: string; parameters?: RunInfo['parameters'] };
  const checkpoints: RunInfo['checkpoints'] = [];
  for (const name of (await readdir(join(dir, 'checkpoints')).catch(() => [] as string[])).sort()) {
    if (!name.endsWith('.json') || name.endsWith('.web.json')) continue;
    const companion = JSON.parse(await readFile(join(dir, 'checkpoints', name), 'utf8')) as {
      meta?: { step?: number };
      info?: { reason?: string; import?: { networks?: string[] }; best?: { metric: string; value: number; step: number } | null };
    };
    const networks = companion.info?.import?.networks ?? ['G', 'D', ...(doc.config.model.applyGEma ? ['G_ema'] : [])];
    checkpoints.push({ file: `checkpoints/${name.replace(/\.json$/, '.safetensors')}`, step: companion.meta?.step ?? null, reason: companion.info?.reason ?? null, networks, ...(companion.info?.best ? { best: companion.info.best } : {}) });
  }
  const record = await readFile(join(dir, 'import.json'), 'utf8').then((t) => JSON.parse(t) as StudioganImportRecord, () => null);
  return { run: dir, config: doc.config, configSource: doc.configSource ?? null, parameters: doc.parameters ?? null, checkpoints, import: record };
}

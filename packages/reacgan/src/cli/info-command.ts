import type { Command } from 'commander';
import * as models from '@reacgan/models';
import { getPreset, presetNames, PRESETS } from '../config/presets.js';
import { initBackend } from '../backend.js';
import { backendOption } from './backend-command.js';
import { addConfigOptions, configFromCli, type ConfigCliOptions } from './config-options.js';
import { cliAction } from './messages.js';

/**
 * `reacgan info --preset <name> [--json]`: the resolved configuration and the parameter counts of G and D
 * (networks built without random initialisation, so even ImageNet presets are quick). Without a preset or
 * config: the list of presets.
 */
export function registerInfoCommand(program: Command): void {
  const command = program
    .command('info')
    .description('print a preset\'s (or config file\'s) resolved configuration and parameter counts; with --dataset folder --root <dir>, the configuration sized for that folder; without any of them, list the presets')
    .option('--json', 'print JSON')
    .addOption(backendOption());
  addConfigOptions(command).action(
    cliAction({ onBadFile: true, root: true }, async (options: ConfigCliOptions & { json?: boolean; backend?: string }) => {
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

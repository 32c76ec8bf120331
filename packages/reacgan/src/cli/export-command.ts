import { type Command, Option } from 'commander';
import { initBackend } from '../backend.js';
import { backendOption } from './backend-command.js';
import { cliAction, formatBytes } from './messages.js';
import { exportWebGenerator, type ExportedGeneratorChoice } from '../export/web-export.js';

/**
 * `reacgan export --web <checkpoint> [--out <file>] [--generator auto|ema|g] [--class-names a,b,…] [--json]`:
 * writes the checkpoint's generator (EMA by default) as one self-contained safetensors file for the browser
 * demo (`examples/web`); see `src/export/web-export.ts` for the format.
 */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a trained generator (EMA by default) with its config as one self-contained file for the browser (examples/web)')
    .requiredOption('--web <checkpoint>', 'checkpoint file (…/checkpoints/last.safetensors), checkpoints folder or run folder (best, else last)')
    .option('--out <file>', 'output file (default: <checkpoint>.web.safetensors next to the checkpoint)')
    .addOption(new Option('--generator <which>', "which generator: 'auto' (G_ema when the run has one), 'ema', 'g'").choices(['auto', 'ema', 'g']).default('auto'))
    .option('--class-names <names>', 'comma-separated class names (default: the checkpoint\'s, else the dataset\'s)', (v) => v.split(',').map((s) => s.trim()))
    .addOption(backendOption())
    .option('--json', 'print the result as JSON')
    .action(
      cliAction(async (options: { web: string; out?: string; generator: ExportedGeneratorChoice; classNames?: string[]; backend?: string; json?: boolean }) => {
      await initBackend({ backend: options.backend });
      const result = await exportWebGenerator({ checkpoint: options.web, out: options.out, generator: options.generator, classNames: options.classNames });
      if (options.json) {
        const { descriptor } = result;
        console.log(
          JSON.stringify(
            { out: result.out, bytes: result.bytes, checkpoint: result.checkpoint, tensors: result.tensors, data: descriptor.data, generation: descriptor.generation, provenance: descriptor.provenance },
            null,
            2,
          ),
        );
        return;
      }
      const p = result.descriptor.provenance;
      console.log(
        `wrote ${result.out} (${formatBytes(result.bytes)}): ${p.generator} of ${result.checkpoint} at step ${p.step ?? '?'}, ` +
          `${p.parameters.toLocaleString('en-US')} parameters, ${result.tensors} tensors, float32`,
      );
      }),
    );
}

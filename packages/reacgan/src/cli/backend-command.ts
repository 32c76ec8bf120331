import { type Command, Option } from 'commander';
import { BACKEND_CHOICES, formatBackendReport, initBackend } from '../backend.js';
import { positiveIntArg } from './config-options.js';
import { cliAction } from './messages.js';

/** `--backend` option shared by every command that computes (env REACGAN_BACKEND when absent). */
export function backendOption(): Option {
  return new Option('--backend <name>', `TensorFlow.js backend: ${BACKEND_CHOICES.join(' | ')}`).env('REACGAN_BACKEND');
}

/** `reacgan backend`: initialise the backend and print what was obtained, and why others were skipped. */
export function registerBackendCommand(program: Command): void {
  program
    .command('backend')
    .description('initialise the backend (tfjs-node-gpu → webgpu on a GPU → tfjs-node → wasm → cpu unless told) and report it (with the WebGPU adapter)')
    .addOption(backendOption())
    .option('--threads <n>', 'threads for native TensorFlow (TF_NUM_INTRAOP_THREADS)', positiveIntArg('--threads'))
    .option('--json', 'print the report as JSON')
    .action(
      cliAction(async (options: { backend?: string; threads?: number; json?: boolean }) => {
      const report = await initBackend({ backend: options.backend, threads: options.threads });
      console.log(options.json ? JSON.stringify(report, null, 2) : formatBackendReport(report));
      }),
    );
}

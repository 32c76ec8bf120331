import { Command } from 'commander';
import { version } from '../version.js';
import { registerBackendCommand } from './backend-command.js';
import { registerDatasetCommand } from './dataset-command.js';
import { registerEvaluateCommand } from './evaluate-command.js';
import { registerExportCommand } from './export-command.js';
import { registerImportCommand } from './import-command.js';
import { registerInfoCommand } from './info-command.js';
import { registerSampleCommand } from './sample-command.js';
import { registerTrainCommand } from './train-command.js';

/** The `reacgan` program with every subcommand registered (tests drive it with parseAsync). */
export function buildProgram(): Command {
  const program = new Command('reacgan')
    .description('ReACGAN (Rebooting ACGAN, NeurIPS 2021) on TensorFlow.js: train, sample, evaluate')
    .version(version)
    .showHelpAfterError();
  registerTrainCommand(program);
  registerSampleCommand(program);
  registerEvaluateCommand(program);
  registerExportCommand(program);
  registerImportCommand(program);
  registerInfoCommand(program);
  registerDatasetCommand(program);
  registerBackendCommand(program);
  return program;
}

import { Command } from 'commander';
import { version } from '../version.js';
import { registerBackendCommand } from './backend-command.js';

/** The `reacgan` program with every subcommand registered (tests drive it with parseAsync). */
export function buildProgram(): Command {
  const program = new Command('reacgan')
    .description('ReACGAN (Rebooting ACGAN, NeurIPS 2021) on TensorFlow.js: train, sample, evaluate')
    .version(version)
    .showHelpAfterError();
  registerBackendCommand(program);
  return program;
}

#!/usr/bin/env node
// Entry point of the `reacgan` command (package.json "bin").
import { buildProgram } from './cli/program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(`reacgan: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  });

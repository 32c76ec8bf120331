#!/usr/bin/env node
// `pnpm check`: every static check CI runs after the tests, one after the other, stopping at the first
// failure, with the time of each part. The parts are ordinary root scripts, so each also runs alone
// (`pnpm typecheck`, `pnpm lint`, `pnpm build`, `pnpm publint`).
import { spawnSync } from 'node:child_process';

// publint lints each published package's manifest against its packed files, so it runs after the build.
const parts = ['typecheck', 'lint', 'build', 'publint'];
if (process.argv.includes('--list')) {
  console.log(parts.join('\n'));
  process.exit(0);
}
const times = [];
const summary = () => times.map(([name, s]) => `${name} ${s} s`).join(', ');
for (const part of parts) {
  const start = Date.now();
  console.log(`[check] pnpm ${part} ...`);
  const result = spawnSync('pnpm', ['run', '--silent', part], { stdio: 'inherit' });
  const seconds = Math.round((Date.now() - start) / 1000);
  times.push([part, seconds]);
  console.log(`[check] pnpm ${part}: ${result.status === 0 ? 'ok' : 'FAILED'} in ${seconds} s`);
  if (result.status !== 0) {
    console.error(`[check] stopped: pnpm ${part} failed (exit ${result.status ?? result.signal}); times: ${summary()}`);
    process.exit(result.status || 1);
  }
}
console.log(`[check] all passed: ${summary()}`);

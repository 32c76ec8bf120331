/**
 * The benchmark workers' protocol (bench/src/worker-client.ts is the other end): one JSON command
 * `{ cmd, … }` per stdin line, exactly one JSON reply per command on stdout. `mem` (resident memory) and
 * `quit` are answered here for every worker; an unknown command or a thrown error becomes `{ error }`.
 */
import { createInterface } from 'node:readline';
import { residentMemoryMiB } from './proc.js';

export type CommandHandlers<M extends { cmd: string }> = Record<string, (msg: M) => unknown>;

/** Serves commands until `quit` or the end of stdin. */
export async function serveCommands<M extends { cmd: string }>(handlers: CommandHandlers<M>): Promise<void> {
  const send = (obj: unknown) => process.stdout.write(`${JSON.stringify(obj)}\n`);
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as M;
    if (msg.cmd === 'quit') break;
    try {
      const handler = msg.cmd === 'mem' ? residentMemoryMiB : Object.hasOwn(handlers, msg.cmd) ? handlers[msg.cmd] : undefined;
      send(handler ? await handler(msg) : { error: `unknown command ${msg.cmd}` });
    } catch (error) {
      send({ error: (error as Error).stack ?? String(error) });
    }
  }
  rl.close();
}

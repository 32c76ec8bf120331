import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

/** A line-protocol worker process (ours-worker.js, studiogan_step.py, metrics_side.py): one JSON request → one JSON reply. */
export class WorkerClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly queue: ((line: string) => void)[] = [];
  private readonly buffered: string[] = [];
  private stderr = '';
  private exited: string | null = null;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => {
      const waiter = this.queue.shift();
      if (waiter) waiter(line);
      else this.buffered.push(line);
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `exited with ${signal ?? code}`;
      for (const waiter of this.queue.splice(0)) waiter('');
    });
  }

  async request<T = Record<string, unknown>>(message: Record<string, unknown>): Promise<T> {
    if (this.exited) throw new Error(`${this.label} worker ${this.exited}: ${this.stderr.trim()}`);
    const reply = new Promise<string>((resolve) => {
      const line = this.buffered.shift();
      if (line !== undefined) resolve(line);
      else this.queue.push(resolve);
    });
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
    const line = await reply;
    if (!line) throw new Error(`${this.label} worker ${this.exited ?? 'closed its output'}: ${this.stderr.trim()}`);
    const parsed = JSON.parse(line) as T & { error?: string };
    if (parsed.error) throw new Error(`${this.label} worker: ${parsed.error}`);
    return parsed;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.write(`${JSON.stringify({ cmd: 'quit' })}\n`);
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGTERM'), 30_000);
    await done;
    clearTimeout(timer);
  }
}

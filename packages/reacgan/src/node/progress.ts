import cliProgress from 'cli-progress';

/** Latest numbers shown next to the bar. */
export interface ProgressPayload {
  d?: number;
  g?: number;
  cond?: number;
  note?: string;
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '  -   ' : v.toFixed(3).padStart(6));

/**
 * The training progress bar (cli-progress): step/total, it/s, ETA and the latest losses. On a terminal it
 * redraws in place; otherwise (CI, files) it prints a line every `notTTYSchedule` ms.
 */
export class TrainingProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly started = performance.now();
  private startStep = 0;
  private payload: ProgressPayload = {};
  private active = false;

  constructor(
    private readonly total: number,
    options: { stream?: NodeJS.WritableStream; enabled?: boolean } = {},
  ) {
    this.bar = options.enabled === false ? null : new cliProgress.SingleBar(
      {
        format: 'step {value}/{total} |{bar}| {speed} it/s | ETA {eta_formatted} | D {d} G {g} cond {cond}{note}',
        stream: (options.stream ?? process.stderr) as NodeJS.WriteStream,
        barsize: 24,
        hideCursor: null,
        etaBuffer: 50,
        fps: 5,
        noTTYOutput: true,
        notTTYSchedule: 15000,
        clearOnComplete: false,
        // cli-progress rounds seconds separately from minutes ("1m60s"); whole seconds first, then split.
        formatTime: formatEta,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(step: number): void {
    this.startStep = step;
    this.active = this.bar !== null;
    this.bar?.start(this.total, step, this.tokens(step));
  }

  private tokens(step: number): Record<string, string> {
    const seconds = (performance.now() - this.started) / 1000;
    const speed = seconds > 0 ? (step - this.startStep) / seconds : 0;
    return { speed: speed.toFixed(2), d: fmt(this.payload.d), g: fmt(this.payload.g), cond: fmt(this.payload.cond), note: this.payload.note ? ` | ${this.payload.note}` : '' };
  }

  update(step: number, payload?: ProgressPayload): void {
    if (payload) this.payload = { ...this.payload, ...payload };
    if (this.active) this.bar?.update(step, this.tokens(step));
  }

  /** Prints a line above the bar (the bar is redrawn after it). */
  log(line: string): void {
    if (this.bar && this.active && process.stderr.isTTY) {
      this.bar.stop();
      console.error(line);
      this.bar.start(this.total, this.lastValue(), this.tokens(this.lastValue()));
    } else console.error(line);
  }

  private lastValue(): number {
    return (this.bar as unknown as { value: number }).value ?? this.startStep;
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.bar?.stop();
  }
}

/** Seconds as `45s`, `2m05s`, `1h02m`; whole seconds are rounded before splitting (no `1m60s`). */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

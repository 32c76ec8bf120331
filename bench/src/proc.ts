import { readFileSync } from 'node:fs';

/** VmRSS and VmHWM (peak resident set size) of this process in MiB, from /proc/self/status (Linux). */
export function residentMemoryMiB(): { rssMiB: number; peakRssMiB: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (key: string) => Number(/^(\w+):\s+(\d+)/m.exec(status.split('\n').find((l) => l.startsWith(`${key}:`)) ?? '')?.[2] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
  } catch {
    const ru = process.resourceUsage();
    return { rssMiB: process.memoryUsage().rss / 2 ** 20, peakRssMiB: ru.maxRSS / 1024 };
  }
}

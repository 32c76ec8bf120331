/**
 * A small line-chart renderer that writes SVG text from data (browser-safe, no dependencies): panels of
 * series against the training step, with axes, ticks, a legend and optional log-scale y.
 */

export interface Series {
  name: string;
  /** [step, value] pairs; non-finite values are skipped (a gap is drawn). */
  points: [number, number][];
  /** CSS colour; default from a fixed palette. */
  color?: string;
}

export interface Panel {
  title: string;
  yLabel?: string;
  series: Series[];
  /** Logarithmic y axis (values ≤ 0 are skipped). */
  logY?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[ch]!);
}

/** "Nice" tick values covering [lo, hi] (about `count` of them). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const span = hi - lo;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return Number(v.toPrecision(4)).toString();
}

/** Moving average over `window` points (for noisy per-step curves). */
export function smooth(points: [number, number][], window: number): [number, number][] {
  if (window <= 1) return points;
  const out: [number, number][] = [];
  let sum = 0;
  let count = 0;
  const queue: number[] = [];
  for (const [x, y] of points) {
    if (!Number.isFinite(y)) continue;
    queue.push(y);
    sum += y;
    count++;
    if (queue.length > window) {
      sum -= queue.shift()!;
      count--;
    }
    out.push([x, sum / count]);
  }
  return out;
}

/**
 * Renders panels as one SVG document (two columns). Each panel: title, axes with ticks, one polyline
 * per series, legend.
 */
export function renderPanelsSvg(panels: Panel[], options: { title?: string; columns?: number; panelWidth?: number; panelHeight?: number } = {}): string {
  const columns = options.columns ?? 2;
  const pw = options.panelWidth ?? 520;
  const ph = options.panelHeight ?? 300;
  const header = options.title ? 40 : 10;
  const rows = Math.ceil(panels.length / columns);
  const width = columns * pw;
  const height = header + rows * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (options.title) parts.push(`<text x="${width / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`);
  panels.forEach((panel, index) => {
    const ox = (index % columns) * pw;
    const oy = header + Math.floor(index / columns) * ph;
    const m = { left: 62, right: 14, top: 26, bottom: 70 };
    const w = pw - m.left - m.right;
    const h = ph - m.top - m.bottom;
    const tr = (v: number) => (panel.logY ? Math.log10(v) : v);
    const usable = (y: number) => Number.isFinite(y) && (!panel.logY || y > 0);
    let xmin = Infinity;
    let xmax = -Infinity;
    let ymin = Infinity;
    let ymax = -Infinity;
    for (const s of panel.series) {
      for (const [x, y] of s.points) {
        if (!usable(y) || !Number.isFinite(x)) continue;
        xmin = Math.min(xmin, x);
        xmax = Math.max(xmax, x);
        ymin = Math.min(ymin, tr(y));
        ymax = Math.max(ymax, tr(y));
      }
    }
    parts.push(`<g transform="translate(${ox},${oy})">`);
    parts.push(`<text x="${m.left + w / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`);
    parts.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
    if (!Number.isFinite(xmin)) {
      parts.push(`<text x="${m.left + w / 2}" y="${m.top + h / 2}" text-anchor="middle" fill="#888">no data</text></g>`);
      return;
    }
    if (xmax === xmin) xmax = xmin + 1;
    if (ymax === ymin) {
      ymax += 0.5;
      ymin -= 0.5;
    }
    const pad = (ymax - ymin) * 0.05;
    ymin -= pad;
    ymax += pad;
    const sx = (x: number) => m.left + ((x - xmin) / (xmax - xmin)) * w;
    const sy = (y: number) => m.top + h - ((y - ymin) / (ymax - ymin)) * h;
    for (const t of niceTicks(xmin, xmax, 5)) {
      parts.push(`<line x1="${sx(t).toFixed(1)}" y1="${m.top + h}" x2="${sx(t).toFixed(1)}" y2="${m.top + h + 4}" stroke="#555"/>`);
      parts.push(`<text x="${sx(t).toFixed(1)}" y="${m.top + h + 16}" text-anchor="middle">${formatTick(t)}</text>`);
    }
    for (const t of niceTicks(ymin, ymax, 5)) {
      const y = sy(t).toFixed(1);
      parts.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + w}" y2="${y}" stroke="#eee"/>`);
      parts.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(panel.logY ? 10 ** t : t)}</text>`);
    }
    parts.push(`<text x="${m.left + w / 2}" y="${m.top + h + 32}" text-anchor="middle">step</text>`);
    if (panel.yLabel) {
      parts.push(`<text transform="translate(14,${m.top + h / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}${panel.logY ? ' (log)' : ''}</text>`);
    }
    panel.series.forEach((s, k) => {
      const color = s.color ?? PALETTE[k % PALETTE.length];
      const segments: string[][] = [[]];
      for (const [x, y] of s.points) {
        if (!usable(y) || !Number.isFinite(x)) {
          if (segments[segments.length - 1].length) segments.push([]);
          continue;
        }
        segments[segments.length - 1].push(`${sx(x).toFixed(1)},${sy(tr(y)).toFixed(1)}`);
      }
      for (const seg of segments) {
        if (seg.length === 1) parts.push(`<circle cx="${seg[0].split(',')[0]}" cy="${seg[0].split(',')[1]}" r="2.5" fill="${color}"/>`);
        else if (seg.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.4" points="${seg.join(' ')}"/>`);
      }
      const lx = m.left + 8 + (k % 3) * Math.floor(w / 3);
      const ly = m.top + h + 44 + Math.floor(k / 3) * 13;
      parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 16}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
      parts.push(`<text x="${lx + 20}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
    });
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}

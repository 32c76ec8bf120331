/**
 * The run's diagnostics figure: losses, D's pooled-feature norm, the conditioning head's gradient norm
 * (the quantities of the paper's analysis of ACGAN's instability), step time and evaluation metrics, as
 * one SVG drawn from metrics.jsonl records.
 */
import { type Panel, renderPanelsSvg, type Series, smooth } from './plot.js';

/** One line of metrics.jsonl of kind 'train'. */
export interface TrainLine {
  kind: 'train';
  step: number;
  ms: number;
  values: Record<string, number>;
}

/** One line of metrics.jsonl of kind 'eval'. */
export interface EvalLine {
  kind: 'eval';
  step: number;
  /** Class accuracy of the generated samples (the MNIST judge on MNIST only). */
  classAccuracy?: number;
  fid: number;
  /** The feature extractor of the FID (absent in runs written before extractors could be chosen: the MNIST judge). */
  extractor?: string;
}

function series(lines: TrainLine[], key: string, name: string, window: number): Series | null {
  const points = lines.filter((l) => l.values[key] !== undefined).map((l) => [l.step, l.values[key]] as [number, number]);
  return points.length ? { name, points: smooth(points, window) } : null;
}

/**
 * Panels of the paper's head diagnostics (`run.headDiagnostics`: `diag/head/…`, recorded every printEvery
 * steps, drawn unsmoothed), only those the run recorded: ‖h‖ mean and std; AC: p(y|x) and the per-class
 * gradient norm ‖∂L_CE/∂w_c‖ (mean and std over classes); D2D-CE: similarities and active shares.
 */
export function headPanels(train: TrainLine[]): Panel[] {
  const keep = (xs: (Series | null)[]) => xs.filter((x): x is Series => x !== null);
  const head = (key: string, name: string) => series(train, `diag/head/${key}`, name, 1);
  const candidates: Panel[] = [
    { title: "Head diagnostics: norm of D's features ‖h_i‖ (real batch)", yLabel: '‖h‖', logY: true, series: keep([head('featureNormMean', 'mean'), head('featureNormStd', 'std')]) },
    { title: 'Head diagnostics (AC): p(y_i | x_i) of the real batch', yLabel: 'probability', series: keep([head('targetProbabilityMean', 'mean'), head('targetProbabilityStd', 'std')]) },
    { title: 'Head diagnostics (AC): per-class ‖∂L_CE/∂w_c‖', yLabel: '‖∂L/∂w_c‖', logY: true, series: keep([head('weightGradientNormMean', 'mean over classes'), head('weightGradientNormStd', 'std over classes')]) },
    {
      title: 'Head diagnostics (D2D-CE): cosine similarities',
      yLabel: 'cos',
      series: keep([head('positiveSimilarity', 's⁺ (sample–proxy)'), head('negativeSimilarity', 'negative pairs'), head('sameClassSimilarity', 'same-class pairs')]),
    },
    {
      title: 'Head diagnostics (D2D-CE): share of terms active after the margins',
      yLabel: 'share',
      series: keep([head('activePositiveShare', 'positives (s⁺ < m_p)'), head('activeNegativeShare', 'negatives (s > m_n)'), head('activePairShare', 'all terms')]),
    },
  ];
  return candidates.filter((p) => p.series.length > 0);
}

/** Panels of the diagnostics figure for one run. */
export function diagnosticsPanels(train: TrainLine[], evals: EvalLine[], label = ''): Panel[] {
  const window = Math.max(1, Math.round(train.length / 100));
  const keep = (xs: (Series | null)[]) => xs.filter((x): x is Series => x !== null);
  const suffix = window > 1 ? ` (moving average of ${window} steps)` : '';
  const panels: Panel[] = [
    { title: `Discriminator loss${suffix}`, yLabel: 'loss', series: keep([series(train, 'd/loss', 'total', window), series(train, 'd/adv', 'adversarial', window), series(train, 'd/cond', 'conditioning (real)', window)]) },
    { title: `Generator loss${suffix}`, yLabel: 'loss', series: keep([series(train, 'g/loss', 'total', window), series(train, 'g/adv', 'adversarial', window), series(train, 'g/cond', 'conditioning (fake)', window)]) },
    { title: "Norm of D's pooled features ‖h‖ (batch mean)", yLabel: '‖h‖', logY: true, series: keep([series(train, 'diag/dFeatureNormReal', 'real', window), series(train, 'diag/dFeatureNormFake', 'fake', window)]) },
    { title: 'Gradient norm of the conditioning head (D loss)', yLabel: '‖∇‖', logY: true, series: keep([series(train, 'diag/condHeadGradNorm', 'conditioning head', window)]) },
    { title: 'Wall time per step', yLabel: 'ms', series: [{ name: 'ms/step', points: smooth(train.map((l) => [l.step, l.ms] as [number, number]), window) }] },
  ];
  panels.push(...headPanels(train));
  const judged = evals.filter((e): e is EvalLine & { classAccuracy: number } => e.classAccuracy !== undefined);
  if (judged.length) panels.push({ title: 'Evaluation: class accuracy of generated samples', yLabel: 'accuracy', series: [{ name: 'judge accuracy', points: judged.map((e) => [e.step, e.classAccuracy]) }] });
  if (evals.length) {
    const judge = !evals[0].extractor || evals[0].extractor.includes('-judge');
    panels.push({ title: judge ? "Evaluation: FID in the judge's feature space (not Inception)" : `Evaluation: FID (${evals[0].extractor})`, yLabel: 'FID', series: [{ name: 'FID', points: evals.map((e) => [e.step, e.fid]) }] });
  }
  if (label) for (const p of panels) p.title = `${label}: ${p.title}`;
  return panels;
}

/** The diagnostics SVG of one run. */
export function diagnosticsSvg(train: TrainLine[], evals: EvalLine[], title: string): string {
  return renderPanelsSvg(diagnosticsPanels(train, evals), { title });
}

/** Side-by-side comparison of several runs: each panel overlays the runs (e.g. ACGAN vs ReACGAN). */
export function comparisonSvg(runs: { name: string; train: TrainLine[]; evals: EvalLine[] }[], title: string): string {
  const window = Math.max(1, Math.round(Math.max(...runs.map((r) => r.train.length)) / 100));
  const pick = (key: string) => runs.map((r) => series(r.train, key, r.name, window)).filter((x): x is Series => x !== null);
  const panels: Panel[] = [
    { title: 'Gradient norm of the conditioning head', yLabel: '‖∇‖', logY: true, series: pick('diag/condHeadGradNorm') },
    { title: "Norm of D's pooled features (real)", yLabel: '‖h‖', logY: true, series: pick('diag/dFeatureNormReal') },
    { title: 'Discriminator loss', yLabel: 'loss', series: pick('d/loss') },
    { title: 'Generator loss', yLabel: 'loss', series: pick('g/loss') },
    { title: 'Class accuracy of generated samples (judge)', yLabel: 'accuracy', series: runs.map((r) => ({ name: r.name, points: r.evals.filter((e) => e.classAccuracy !== undefined).map((e) => [e.step, e.classAccuracy!] as [number, number]) })) },
    { title: "FID in the judge's feature space (not Inception)", yLabel: 'FID', series: runs.map((r) => ({ name: r.name, points: r.evals.map((e) => [e.step, e.fid] as [number, number]) })) },
  ];
  return renderPanelsSvg(panels, { title });
}

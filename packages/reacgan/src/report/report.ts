import type { JudgeResult } from '../eval/judge.js';

/** An evaluation by FID with a chosen extractor (any dataset), during or at the end of training. */
export interface FidEvaluation {
  extractor: string;
  numSamples: number;
  fid: number;
  referenceCount: number;
  fidDescription: string;
  weightsSha256: string;
}

/** report.json of a run. */
export interface RunReport {
  title: string;
  status: string;
  configSource: string;
  /** model.dCondMtd (D2DCE = ReACGAN, AC = ACGAN-Mod, …). */
  method: string;
  steps: number;
  totalSteps: number;
  seed: number;
  batchSize: number;
  backend: { backend: string; threads: number; tensorflowVersion: string | null };
  parameters: { generator: number; discriminator: number };
  timing: {
    /** Seconds since the process started (module loading, backend, data, judge, training, evaluation). */
    wallSeconds: number;
    /** Seconds inside the run function. */
    runSeconds: number;
    judgeSetupSeconds: number;
    judgeTrainedThisRun: boolean;
    judgeTrainSeconds: number;
    trainSeconds: number;
    evalSeconds: number;
    stepsThisRun: number;
    msPerStepMedian: number | null;
    msPerStepMean: number | null;
  };
  /** The final evaluation: the judge classifier's (MNIST), an FID with the chosen extractor, or null. */
  evaluation: JudgeResult | FidEvaluation | null;
  best: { metric: string; value: number; step: number } | null;
  judge: { testAccuracy: number; hash: string; cachePath: string } | null;
  versions: Record<string, string>;
  files: Record<string, string | string[]>;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** report.md: a short human-readable summary of report.json. */
export function renderReportMarkdown(r: RunReport): string {
  const t = r.timing;
  const lines = [
    `# ${r.title}`,
    '',
    `Status: **${r.status}** after ${r.steps} of ${r.totalSteps} steps (seed ${r.seed}, batch ${r.batchSize}, conditioning ${r.method}).`,
    `Backend: ${r.backend.backend}${r.backend.tensorflowVersion ? ` (TensorFlow ${r.backend.tensorflowVersion})` : ''}, ${r.backend.threads} thread(s). Parameters: G ${r.parameters.generator.toLocaleString('en-US')}, D ${r.parameters.discriminator.toLocaleString('en-US')}.`,
    '',
    '## Evaluation',
    '',
  ];
  const e = r.evaluation;
  if (e && !('classAccuracy' in e)) {
    lines.push(`| metric | value |`, `| --- | --- |`, `| FID of ${e.numSamples} generated samples vs ${e.referenceCount} reference images (${e.extractor}) | **${e.fid.toFixed(3)}** |`, '', `The FID here is ${e.fidDescription}.`);
    if (r.best) lines.push('', `Lowest FID of the smaller evaluations during training (run.evalNumSamples samples each; not comparable with the final evaluation above): ${r.best.value.toFixed(3)} at step ${r.best.step} (checkpoints/best.safetensors).`);
  } else if (e) {
    lines.push(
      `| metric | value |`,
      `| --- | --- |`,
      `| class accuracy of ${e.numSamples} generated samples (${e.perClass} per class), judged by the independent MNIST classifier | **${pct(e.classAccuracy)}** |`,
      `| FID in the classifier's feature space vs ${e.referenceCount} reference images (not Inception FID) | **${e.fid.toFixed(3)}** |`,
      `| judge's mean confidence on generated samples | ${pct(e.meanConfidence)} |`,
      `| judge classifier's own accuracy on the MNIST test set | ${pct(e.classifierTestAccuracy)} |`,
      '',
      `Per-class accuracy: ${e.perClassAccuracy.map((a, k) => `${k}: ${pct(a)}`).join(', ')}.`,
      '',
      `The FID here is ${e.fidDescription}. Samples come from the EMA generator (if enabled) in evaluation mode.`,
    );
    if (r.best) lines.push('', `Lowest FID of the smaller evaluations during training (run.evalNumSamples samples each; not comparable with the final evaluation above): ${r.best.value.toFixed(3)} at step ${r.best.step} (checkpoints/best.safetensors).`);
  } else {
    lines.push('No evaluation in this run (choose an extractor with `reacgan train --eval-extractor`, or use `reacgan evaluate`).');
  }
  lines.push(
    '',
    '## Time',
    '',
    `| part | seconds |`,
    `| --- | --- |`,
    `| whole process (startup, data, judge, training, evaluation, writing) | ${t.wallSeconds.toFixed(1)} |`,
    ...(r.judge
      ? [`| judge classifier${t.judgeTrainedThisRun ? ` (trained in this run: ${t.judgeTrainSeconds.toFixed(1)} s, then cached)` : ' (loaded from cache)'} + reference features | ${t.judgeSetupSeconds.toFixed(1)} |`]
      : r.evaluation
        ? [`| feature extractor + reference features | ${t.judgeSetupSeconds.toFixed(1)} |`]
        : []),
    `| training (${t.stepsThisRun} steps, median ${t.msPerStepMedian?.toFixed(0) ?? '-'} ms/step) | ${t.trainSeconds.toFixed(1)} |`,
    `| final evaluation | ${t.evalSeconds.toFixed(1)} |`,
    '',
    `Files: ${Object.values(r.files).flat().map((f) => `\`${f}\``).join(', ')}.`,
    '',
  );
  return lines.join('\n');
}

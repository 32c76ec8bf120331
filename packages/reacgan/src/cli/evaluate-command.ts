import { dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { initBackend } from '../backend.js';
import { DEFAULT_EVALUATION_METRICS, type EvaluationMetric, evaluateGenerator, type ExtractorName, parseEvaluationMetrics } from '../node/evaluate.js';
import { writeFileAtomic } from '../node/fs-atomic.js';
import { checkpointPath, disposeLoaded, loadGenerator } from '../node/generator.js';
import { backendOption } from './backend-command.js';
import { intArg, numberArg } from './config-options.js';
import { addGenerationStatisticsOptions, generationStatisticsRequest, type GenerationStatisticsCliOptions } from './statistics-options.js';

interface EvaluateCliOptions extends GenerationStatisticsCliOptions {
  run?: string;
  checkpoint?: string;
  best?: boolean;
  split?: 'train' | 'test' | 'valid' | 'val';
  numSamples?: number;
  extractor?: ExtractorName;
  inceptionWeights?: string;
  quantize?: 'none' | 'uint8';
  seed: number;
  truncation?: number;
  metrics?: EvaluationMetric[];
  kidSubsets?: number;
  kidSubsetSize?: number;
  prdcK?: number;
  prdcSamples?: number;
  ema: boolean;
  out?: string;
  backend?: string;
}

/**
 * `reacgan evaluate`: FID, IS, KID and precision / recall / density / coverage (`--metrics`; default fid,is)
 * and class accuracy (mnist-judge) of a checkpoint, with the protocol in the JSON output.
 */
export function registerEvaluateCommand(program: Command): void {
  const command = program
    .command('evaluate')
    .description('evaluate a checkpoint with @reacgan/metrics against a dataset split; prints JSON with the protocol')
    .option('--run <dir>', 'run directory (uses checkpoints/last.safetensors)')
    .option('--checkpoint <file>', 'a checkpoint file')
    .option('--best', "use the run's checkpoints/best.safetensors")
    .addOption(new Option('--split <split>', 'reference split (default: test for MNIST/CIFAR, valid otherwise)').choices(['train', 'test', 'valid', 'val']))
    .option('--num-samples <n>', 'generated samples (default: the reference split size)', intArg('--num-samples'))
    .addOption(new Option('--extractor <name>', 'feature extractor (default mnist-judge for MNIST, else inception-v3-fid)').choices(['mnist-judge', 'inception-v3-fid']))
    .option('--inception-weights <file>', "pytorch-fid's pt_inception-2015-12-05-6726825d.pth (for inception-v3-fid)")
    .addOption(new Option('--quantize <mode>', 'quantise images to uint8 before the extractor (StudioGAN >= 2022) or not (v0.3.0)').choices(['none', 'uint8']).default('none'))
    .option(
      '--metrics <list>',
      `comma-separated subset of fid,is,kid,prdc or 'all' (default ${DEFAULT_EVALUATION_METRICS.join(',')}; is needs inception-v3-fid and is skipped for mnist-judge by default)`,
      parseEvaluationMetrics,
    )
    .option('--kid-subsets <n>', 'KID: number of random subsets (torch-fidelity default 100)', intArg('--kid-subsets'))
    .option('--kid-subset-size <n>', 'KID: samples per subset (default 1000, cut to the sample count when larger)', intArg('--kid-subset-size'))
    .option('--prdc-k <k>', 'PRDC: nearest-neighbour k (clovaai / StudioGAN default 5)', intArg('--prdc-k'))
    .option('--prdc-samples <n>', 'PRDC: use at most n samples of each set (memory: 3 n×n float64 matrices; default min(reference, generated))', intArg('--prdc-samples'))
    .option('--seed <n>', 'seed of z', intArg('--seed'), 0)
    .option('--truncation <t>', 'truncated-normal z threshold (-1 = none)', numberArg('--truncation'))
    .option('--no-ema', 'evaluate G instead of the EMA generator')
    .option('--out <file>', 'also write the JSON here (default <run>/evaluation-<step>.json)')
    .addOption(backendOption());
  addGenerationStatisticsOptions(command).action(async (options: EvaluateCliOptions) => {
      const statistics = generationStatisticsRequest(options);
      await initBackend({ backend: options.backend });
      const file = checkpointPath(options.run, options.checkpoint, options.best ? 'best' : 'last');
      const loaded = await loadGenerator(file, { ema: options.ema });
      try {
        const result = await evaluateGenerator(loaded, {
          split: options.split,
          numSamples: options.numSamples,
          extractor: options.extractor,
          inceptionWeights: options.inceptionWeights,
          quantize: options.quantize,
          metrics: options.metrics,
          kid: { subsets: options.kidSubsets, subsetSize: options.kidSubsetSize },
          prdc: { nearestK: options.prdcK, maxSamples: options.prdcSamples },
          seed: options.seed,
          truncation: options.truncation ?? null,
          statistics,
          log: (line) => console.error(line),
        });
        const json = JSON.stringify(result, null, 2);
        const out = options.out ?? join(options.run ?? dirname(dirname(file)), `evaluation-step-${loaded.step}.json`);
        await writeFileAtomic(out, json + '\n');
        console.log(json);
      } finally {
        disposeLoaded(loaded);
      }
    });
}

import { dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { initBackend } from '../backend.js';
import { evaluateGenerator, type ExtractorName } from '../node/evaluate.js';
import { writeFileAtomic } from '../node/fs-atomic.js';
import { checkpointPath, disposeLoaded, loadGenerator } from '../node/generator.js';
import { backendOption } from './backend-command.js';
import { intArg, numberArg } from './config-options.js';

interface EvaluateCliOptions {
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
  batchStatistics?: boolean;
  ema: boolean;
  out?: string;
  backend?: string;
}

/** `reacgan evaluate`: FID (and IS / class accuracy where the extractor allows) of a checkpoint. */
export function registerEvaluateCommand(program: Command): void {
  program
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
    .option('--seed <n>', 'seed of z', intArg('--seed'), 0)
    .option('--truncation <t>', 'truncated-normal z threshold (-1 = none)', numberArg('--truncation'))
    .option('--batch-statistics', 'generate with batch statistics (StudioGAN -batch_stat)')
    .option('--no-ema', 'evaluate G instead of the EMA generator')
    .option('--out <file>', 'also write the JSON here (default <run>/evaluation-<step>.json)')
    .addOption(backendOption())
    .action(async (options: EvaluateCliOptions) => {
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
          seed: options.seed,
          truncation: options.truncation ?? null,
          batchNormStatistics: options.batchStatistics ? 'batch' : undefined,
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

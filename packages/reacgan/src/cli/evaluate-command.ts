import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as dataNode from '@reacgan/data/node';
import { Option, type Command } from 'commander';
import { initBackend } from '../backend.js';
import { DEFAULT_EVALUATION_METRICS, EVALUATION_METRICS, type EvaluationMetric, evaluateGenerator, evaluateImages, type EvaluationResult, type ExtractorName, parseEvaluationMetrics } from '../node/evaluate.js';
import { FID_INCEPTION_WEIGHTS_URL } from '../node/evaluator.js';
import { writeFileAtomic } from '../node/fs-atomic.js';
import { checkpointPath, disposeLoaded, loadGenerator } from '../node/generator.js';
import { backendOption } from './backend-command.js';
import { integerArg, intArg, numberArg, positiveIntArg } from './config-options.js';
import { cliAction } from './messages.js';
import { addGenerationStatisticsOptions, generationStatisticsRequest, type GenerationStatisticsCliOptions } from './statistics-options.js';

interface EvaluateCliOptions extends GenerationStatisticsCliOptions {
  run?: string;
  checkpoint?: string;
  best?: boolean;
  images?: string;
  dataset?: dataNode.DatasetName;
  root?: string;
  split?: dataNode.SplitName;
  imgSize?: number;
  numSamples?: number;
  extractor?: ExtractorName;
  inceptionWeights?: string;
  allowUnverifiedWeights?: boolean;
  judgeData?: string;
  quantize?: 'none' | 'uint8';
  seed?: number;
  truncation?: number;
  metrics?: EvaluationMetric[] | 'all';
  kidSubsets?: number;
  kidSubsetSize?: number;
  prdcK?: number;
  prdcSamples?: number;
  ema: boolean;
  cache: boolean;
  onBadFile?: 'error' | 'skip';
  out?: string;
  backend?: string;
}

/** Flags that choose how a generator generates: meaningless for a folder of finished images. */
const GENERATOR_ONLY: [keyof EvaluateCliOptions, string][] = [
  ['run', '--run'],
  ['checkpoint', '--checkpoint'],
  ['best', '--best'],
  ['numSamples', '--num-samples'],
  ['seed', '--seed'],
  ['truncation', '--truncation'],
  ['batchStatistics', '--batch-statistics'],
  ['standingStatistics', '--standing-statistics'],
  ['standingStep', '--standing-step'],
  ['standingMaxBatch', '--standing-max-batch'],
];

/**
 * `reacgan evaluate`: FID, IS, KID, precision / recall / density / coverage and intra-class FID (`--metrics`;
 * default fid,is) and class accuracy (mnist-judge) of a checkpoint's generator or of a folder of images, against a
 * dataset split, with the protocol in the JSON output.
 */
export function registerEvaluateCommand(program: Command): void {
  const command = program
    .command('evaluate')
    .description('evaluate a checkpoint (or a folder of generated images) with @reacgan/metrics against a dataset split; prints JSON with the protocol')
    .option('--run <dir>', 'run directory (uses checkpoints/last.safetensors)')
    .option('--checkpoint <file>', 'a checkpoint file')
    .option('--best', "use the run's checkpoints/best.safetensors")
    .option('--images <folder>', 'evaluate these image files instead of a generator: <folder>/<class name>/<image> (labelled, as sample --per-class writes) or <folder>/<image>; needs --dataset')
    .addOption(new Option('--dataset <name>', "reference dataset (default: the run's)").choices([...dataNode.DATASET_NAMES]))
    .option('--root <dir>', "reference dataset folder (default: the run's data.root, or the loader's own location); --dataset folder --root <dir> compares with another folder")
    .addOption(new Option('--split <split>', "reference split (default: the split the run's evaluations during training used, else test for MNIST/CIFAR, valid (or val, else test) for folders with train/ + split subfolders, else the whole folder)").choices(['train', 'test', 'valid', 'val']))
    .option('--img-size <n>', 'with --images: the size images are brought to before the extractor (default: the most frequent size of the images)', positiveIntArg('--img-size'))
    .option('--num-samples <n>', 'generated samples, at least 2 (default: the reference split size)', integerArg('--num-samples', 2))
    .addOption(new Option('--extractor <name>', "feature extractor (default: the run's own evaluation extractor (train --eval-extractor) unless --dataset is given, else mnist-judge for an MNIST reference, cifar10-judge for CIFAR-10, else inception-v3-fid)").choices(['mnist-judge', 'cifar10-judge', 'inception-v3-fid']))
    .option('--inception-weights <file>', `pytorch-fid's pt_inception-2015-12-05-6726825d.pth for inception-v3-fid (from ${FID_INCEPTION_WEIGHTS_URL}; default: that file in the cache folder)`)
    .option('--judge-data <path>', "CIFAR-10 for the cifar10-judge, read only when that judge is not cached yet (it trains once on the training split; a cached judge needs no data): the official .tar.gz or its folder, or train/<class>/ + test/<class>/ image folders or an archive of them (default: the reference when it is CIFAR-10, else the dataset cache, $REACGAN_DATA_DIR)")
    .option('--allow-unverified-weights', "accept an --inception-weights file that is not pytorch-fid's (its SHA-256 goes into the output; FIDs not comparable with published ones)")
    .addOption(new Option('--quantize <mode>', 'quantise images to uint8 before the extractor (StudioGAN >= 2022) or not (v0.3.0)').choices(['none', 'uint8']).default('none'))
    .option(
      '--metrics <list>',
      `comma-separated subset of ${EVALUATION_METRICS.join(',')}, or 'all' (every metric the extractor and labels allow) (default ${DEFAULT_EVALUATION_METRICS.join(',')}; is needs inception-v3-fid, ifid class labels)`,
      parseEvaluationMetrics,
    )
    .option('--kid-subsets <n>', 'KID: number of random subsets (torch-fidelity default 100)', intArg('--kid-subsets'))
    .option('--kid-subset-size <n>', 'KID: samples per subset (default 1000, cut to the sample count when larger)', intArg('--kid-subset-size'))
    .option('--prdc-k <k>', 'PRDC: nearest-neighbour k (clovaai / StudioGAN default 5)', intArg('--prdc-k'))
    .option('--prdc-samples <n>', 'PRDC: use at most n samples of each set (memory: 3 n×n float64 matrices; default min(reference, generated))', intArg('--prdc-samples'))
    .option('--seed <n>', 'seed of z (default 0)', intArg('--seed'))
    .option('--truncation <t>', 'truncated-normal z threshold (-1 = none)', numberArg('--truncation'))
    .option('--no-ema', 'evaluate G instead of the EMA generator')
    .option('--no-cache', "recompute the reference statistics instead of using @reacgan/metrics' cache (<cache>/metrics/statistics)")
    .addOption(new Option('--on-bad-file <mode>', "unreadable image files: 'error' lists them and stops, 'skip' leaves them out with a warning").choices(['error', 'skip']))
    .option('--out <file>', 'also write the JSON here (its folder is created when missing; a run\'s evaluation is always written to <run>/evaluation-step-<k>.json as well; with --images, printed only unless --out)')
    .addOption(backendOption());
  addGenerationStatisticsOptions(command).action(
    cliAction({ split: '--split', onBadFile: true, root: true, kidSubsetSize: true, inceptionWeights: true }, async (options: EvaluateCliOptions) => {
      const common = {
        dataset: options.dataset,
        root: options.root,
        split: options.split,
        extractor: options.extractor,
        inceptionWeights: options.inceptionWeights,
        allowUnverifiedWeights: options.allowUnverifiedWeights,
        judgeData: options.judgeData,
        quantize: options.quantize,
        metrics: options.metrics,
        kid: { subsets: options.kidSubsets, subsetSize: options.kidSubsetSize },
        prdc: { nearestK: options.prdcK, maxSamples: options.prdcSamples },
        cache: options.cache,
        onBadFile: options.onBadFile,
        log: (line: string) => console.error(line),
      };
      let result: EvaluationResult;
      const out = options.out;
      let runRecord: string | null = null;
      if (options.images) {
        const given = GENERATOR_ONLY.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
        if (!options.ema) given.push('--no-ema');
        if (given.length) throw new Error(`--images evaluates finished image files, so ${given.join(', ')} (which choose a generator and how it samples) cannot be combined with it`);
        await initBackend({ backend: options.backend });
        result = await evaluateImages(options.images, { ...common, imgSize: options.imgSize });
      } else {
        if (options.imgSize !== undefined) throw new Error('--img-size applies to --images; a generator is evaluated at its own size');
        const statistics = generationStatisticsRequest(options);
        await initBackend({ backend: options.backend });
        const file = checkpointPath(options.run, options.checkpoint, options.best ? 'best' : 'last');
        const loaded = await loadGenerator(file, { ema: options.ema });
        try {
          // Without --extractor (and --dataset), a run is measured with the extractor it was evaluated with during training (recorded in its checkpoints).
          const recorded = loaded.info.evaluation?.extractor;
          const extractor = options.extractor ?? (recorded && recorded !== 'none' && options.dataset === undefined ? recorded : undefined);
          if (!options.extractor && extractor) console.error(`extractor ${extractor}: the run's evaluation extractor (recorded in ${file}); pass --extractor to choose another`);
          // Likewise the reference split (a folder's test/ or valid/), unless another dataset is named.
          const recordedSplit = loaded.info.evaluation?.split;
          const split = options.split ?? (recordedSplit && options.dataset === undefined ? recordedSplit : undefined);
          if (!options.split && split) console.error(`reference split ${split}: the split the run's evaluations used (recorded in ${file}); pass --split to choose another`);
          // And the Inception weights file the run's evaluations used (with its --allow-unverified-weights), when the
          // recorded extractor is the one used here and --inception-weights is not given.
          const recordedWeights = extractor !== undefined && extractor === recorded && options.inceptionWeights === undefined ? (loaded.info.evaluation?.inceptionWeights ?? null) : null;
          if (recordedWeights) console.error(`--inception-weights ${recordedWeights}: the weights file the run's evaluations used (recorded in ${file}); pass --inception-weights to choose another`);
          const weights = recordedWeights ? { inceptionWeights: recordedWeights, allowUnverifiedWeights: options.allowUnverifiedWeights || loaded.info.evaluation?.allowUnverifiedWeights === true } : {};
          result = await evaluateGenerator(loaded, { ...common, ...weights, split, extractor, numSamples: options.numSamples, seed: options.seed, truncation: options.truncation ?? null, statistics, spectralNorm: options.spectralNorm });
        } finally {
          disposeLoaded(loaded);
        }
        // The run keeps its own record of every evaluation, --out or not.
        runRecord = join(options.run ?? dirname(dirname(file)), `evaluation-step-${loaded.step}.json`);
      }
      const json = JSON.stringify(result, null, 2);
      // Like sample and export, --out's folder is created when missing.
      for (const file of new Set([runRecord && resolve(runRecord), out && resolve(out)])) {
        if (!file) continue;
        await mkdir(dirname(file), { recursive: true });
        await writeFileAtomic(file, json + '\n');
      }
      console.log(json);
    }),
  );
}

import { Option, type Command } from 'commander';
import * as dataNode from '@reacgan/data/node';
import { cliAction } from './messages.js';

/** `reacgan dataset info --dataset <name> --root <dir> [--split] [--json]` (wiring to @reacgan/data's openDataset / datasetInfo). */
export function registerDatasetCommand(program: Command): void {
  const dataset = program.command('dataset').description('dataset tools');
  dataset
    .command('info')
    .description('summarise a dataset split: count, classes, class counts, image shape, first labels')
    .addOption(new Option('--dataset <name>', 'dataset loader').choices([...dataNode.DATASET_NAMES]).makeOptionMandatory())
    .option('--root <dir>', 'dataset folder (optional for mnist, fashion-mnist; required for folder)')
    .addOption(new Option('--split <split>', 'split').choices(['train', 'test', 'valid', 'val']).default('train'))
    .addOption(new Option('--on-bad-file <mode>', "unreadable image files: 'error' lists them and stops, 'skip' leaves them out with a warning").choices(['error', 'skip']))
    .option('--json', 'print JSON')
    .action(
      cliAction({ split: '--split', onBadFile: true, root: true }, async (options: { dataset: dataNode.DatasetName; root?: string; split: dataNode.SplitName; onBadFile?: 'error' | 'skip'; json?: boolean }) => {
      const ds = await dataNode.openDataset({ dataset: options.dataset, split: options.split, ...(options.root ? { root: options.root } : {}), ...(options.onBadFile ? { onBadFile: options.onBadFile } : {}), onWarning: (m) => console.error(m) });
      const info = await dataNode.datasetInfo(ds);
      if (options.json) {
        console.log(JSON.stringify(info, null, 2));
        return;
      }
      console.log(`${ds.name}${ds.source ? ` (${ds.source})` : ''}`);
      console.log(`images: ${info.count}, image shape: ${info.imageShape.join('×')}, classes: ${info.numClasses}`);
      for (let k = 0; k < info.numClasses; k++) console.log(`  ${String(k).padStart(4)}  ${info.classNames[k].padEnd(24)} ${info.classCounts[k]}`);
      console.log(`first labels: ${info.firstLabels.join(', ')}; mean of the first image: ${info.firstImageMean.toFixed(3)}`);
      }),
    );
}

import type { Dataset, DatasetInfo, InMemoryDataset, StreamedDataset } from './types.js';

function summarize(dataset: Dataset, first: Uint8Array | null): DatasetInfo {
  const classCounts = new Array<number>(dataset.numClasses).fill(0);
  for (let i = 0; i < dataset.labels.length; i++) classCounts[dataset.labels[i]]++;
  let firstImageMean = Number.NaN;
  if (first && first.length > 0) {
    let sum = 0;
    for (let i = 0; i < first.length; i++) sum += first[i];
    firstImageMean = sum / first.length;
  }
  return {
    count: dataset.count,
    numClasses: dataset.numClasses,
    classNames: [...dataset.classNames],
    classCounts,
    imageShape: [dataset.imageShape[0], dataset.imageShape[1], dataset.imageShape[2]],
    firstLabels: Array.from(dataset.labels.subarray(0, 10)),
    firstImageMean,
  };
}

/**
 * Summary of a dataset: `{ count, numClasses, classNames, classCounts, imageShape: [H, W, C],
 * firstLabels (first 10 in file order), firstImageMean (mean of image 0's uint8 HWC values) }` —
 * what `reacgan dataset info --json` prints. Synchronous for in-memory datasets; a promise for
 * streamed ones (image 0 must be decoded). `await datasetInfo(ds)` works for both. firstImageMean
 * is NaN for an empty dataset.
 */
export function datasetInfo(dataset: InMemoryDataset): DatasetInfo;
export function datasetInfo(dataset: StreamedDataset): Promise<DatasetInfo>;
export function datasetInfo(dataset: Dataset): DatasetInfo | Promise<DatasetInfo>;
export function datasetInfo(dataset: Dataset): DatasetInfo | Promise<DatasetInfo> {
  if (dataset.streamed) {
    if (dataset.count === 0) return Promise.resolve(summarize(dataset, null));
    return dataset.getImage(0).then((first) => summarize(dataset, first));
  }
  return summarize(dataset, dataset.count > 0 ? dataset.getImage(0) : null);
}

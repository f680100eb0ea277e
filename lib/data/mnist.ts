// MNIST and Fashion-MNIST from their IDX files (raw or .gz): [N, 1, 28, 28] uint8, 10 classes.
import { checkDatasetDir, DatasetError, downloadHint, DOWNLOADS, findPlainOrGzipped } from './dataset-files';
import { readIdx } from './idx';
import { augmentationOf, normalizationOf, PresetName } from './presets';
import type { DatasetSplits, ArraySet } from './types';

const NUM_CLASSES = 10;
const SIDE = 28;

async function readSplit(name: string, imagesFile: string, labelsFile: string): Promise<ArraySet> {
  const [images, labels] = await Promise.all([readIdx(imagesFile, 3, 'images'), readIdx(labelsFile, 1, 'labels')]);
  const [n, height, width] = images.dims;
  if (height !== SIDE || width !== SIDE) {
    throw new DatasetError(`${imagesFile}: images are ${height}×${width}, expected ${SIDE}×${SIDE}`);
  }
  if (labels.dims[0] !== n) {
    throw new DatasetError(`${labelsFile}: ${labels.dims[0]} labels, but ${imagesFile} holds ${n} images`);
  }
  const bad = labels.data.findIndex((y) => y >= NUM_CLASSES);
  if (bad >= 0) {
    throw new DatasetError(`${labelsFile}: label ${labels.data[bad]} at index ${bad} is out of range: expected 0..${NUM_CLASSES - 1}`);
  }
  return { name, kind: 'pixels', images: images.data, labels: labels.data, shape: [n, 1, SIDE, SIDE], numClasses: NUM_CLASSES };
}

async function readMnistLike(dataset: string, preset: PresetName, dir: string, page: string): Promise<DatasetSplits> {
  checkDatasetDir(`datasets.${preset}`, dir);
  const [trainImages, trainLabels, testImages, testLabels] = await findPlainOrGzipped(
    dataset,
    dir,
    ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
    downloadHint(dataset, dir, page),
  );
  const [train, test] = await Promise.all([
    readSplit(`${dataset}/train`, trainImages, trainLabels),
    readSplit(`${dataset}/test`, testImages, testLabels),
  ]);
  return {
    train: { ...train, normalization: normalizationOf(preset), augmentation: augmentationOf(preset) },
    test: { ...test, normalization: normalizationOf(preset) },
  };
}

/** Fashion-MNIST from `dir` holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. */
export function fashionMnist(dir: string): Promise<DatasetSplits> {
  return readMnistLike('fashion-mnist', 'fashionMnist', dir, DOWNLOADS.fashionMnist);
}

/** MNIST from `dir` holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. */
export function mnist(dir: string): Promise<DatasetSplits> {
  return readMnistLike('mnist', 'mnist', dir, DOWNLOADS.mnist);
}

// --dataset / --data-dir / --train-size / --test-size: the splits a command works on.
import { cifar10, cifar100, fashionMnist, mnist, svhn, toy } from '../data/readers';
import { subset } from '../data/subset';
import type { DatasetSplits } from '../data/types';
import { choiceFlag, Flag, Flags, numberFlag, stringFlag, UsageError } from './args';

export const DATASET_NAMES = ['cifar10', 'cifar100', 'svhn', 'fashion-mnist', 'mnist', 'toy'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export const DATASET_FLAGS: Record<string, Flag> = {
  dataset: { type: 'string', help: `one of ${DATASET_NAMES.join(', ')}`, required: true },
  'data-dir': { type: 'string', help: 'directory holding the dataset\'s standard download (not needed for toy)' },
  'svhn-extra': { type: 'boolean', help: 'SVHN: train on train + extra, as the paper does' },
  'train-size': { type: 'string', help: 'use a seeded random subset of this many training examples' },
  'test-size': { type: 'string', help: 'use a seeded random subset of this many test examples' },
};

export interface LoadedData extends DatasetSplits {
  dataset: DatasetName;
}

/** The splits the flags name; `sizes` are the subset sizes when --train-size / --test-size are not given. */
export async function loadDatasetFlags(flags: Flags, seed = 0, sizes: { train?: number; test?: number } = {}): Promise<LoadedData> {
  const dataset = choiceFlag(flags, 'dataset', 'toy', DATASET_NAMES);
  const dir = stringFlag(flags, 'data-dir');
  if (dataset !== 'toy' && dir === undefined) throw new UsageError(`--dataset ${dataset} needs --data-dir DIR (the directory of its download)`);
  if (flags['svhn-extra'] && dataset !== 'svhn') throw new UsageError('--svhn-extra applies to --dataset svhn only');
  const splits = await read(dataset, dir ?? '', flags['svhn-extra'] === true);
  const trainSize = numberFlag(flags, 'train-size', sizes.train ?? 0, { integer: true, min: 1 });
  const testSize = numberFlag(flags, 'test-size', sizes.test ?? 0, { integer: true, min: 1 });
  return {
    dataset,
    train: trainSize ? subset(splits.train, Math.min(trainSize, splits.train.shape[0]), seed) : splits.train,
    test: testSize ? subset(splits.test, Math.min(testSize, splits.test.shape[0]), seed + 1) : splits.test,
  };
}

function read(dataset: DatasetName, dir: string, extra: boolean): Promise<DatasetSplits> | DatasetSplits {
  switch (dataset) {
    case 'cifar10': return cifar10(dir);
    case 'cifar100': return cifar100(dir);
    case 'svhn': return svhn(dir, { extra });
    case 'fashion-mnist': return fashionMnist(dir);
    case 'mnist': return mnist(dir);
    case 'toy': return toy();
  }
}

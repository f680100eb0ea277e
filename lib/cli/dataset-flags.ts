// --dataset / --data-dir / --train-size / --test-size: the splits a command works on.
import { cifar10, cifar100, fashionMnist, mnist, svhn, toy } from '../data/readers';
import { subset } from '../data/subset';
import type { ArraySet, DatasetSplits, ImageSet } from '../data/types';
import { choiceFlag, Flag, Flags, optionalNumberFlag, stringFlag, UsageError } from './args';

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
  dataDir?: string;
}

export function datasetFlag(flags: Flags): DatasetName {
  return choiceFlag(flags, 'dataset', 'toy', DATASET_NAMES);
}

/** The splits the flags name; `sizes` are the subset sizes when --train-size / --test-size are not given. */
export async function loadDatasetFlags(flags: Flags, seed = 0, sizes: { train?: number; test?: number } = {}): Promise<LoadedData> {
  const dataset = datasetFlag(flags);
  const dir = stringFlag(flags, 'data-dir');
  if (dataset !== 'toy' && dir === undefined) throw new UsageError(`--dataset ${dataset} needs --data-dir DIR (the directory of its download)`);
  if (dataset === 'toy' && dir !== undefined) throw new UsageError('--data-dir does not apply to --dataset toy (it is generated)');
  if (flags['svhn-extra'] && dataset !== 'svhn') throw new UsageError('--svhn-extra applies to --dataset svhn only');
  const trainSize = optionalNumberFlag(flags, 'train-size', { integer: true, min: 1 });
  const testSize = optionalNumberFlag(flags, 'test-size', { integer: true, min: 1 });
  const splits = await read(dataset, dir ?? '', flags['svhn-extra'] === true);
  return {
    dataset, dataDir: dir,
    train: sized(splits.train, 'train-size', trainSize, sizes.train, seed, `${dataset}'s training split`),
    test: sized(splits.test, 'test-size', testSize, sizes.test, seed + 1, `${dataset}'s test split`),
  };
}

/** The split, or a seeded subset of it: a size asked for must fit; a default one is capped at the split. */
export function sized(split: ArraySet, flag: string, asked: number | undefined, fallback: number | undefined, seed: number, what: string): ArraySet {
  const total = split.shape[0];
  if (asked !== undefined && asked > total) throw new UsageError(`--${flag} ${asked} exceeds the ${total} examples of ${what}`);
  const size = asked ?? (fallback === undefined ? undefined : Math.min(fallback, total));
  return size === undefined ? split : subset(split, size, seed);
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

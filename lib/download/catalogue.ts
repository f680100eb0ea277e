// Where each dataset's official files live and what they must hash to. The MD5s are the ones the
// dataset authors publish (CIFAR: www.cs.toronto.edu/~kriz/cifar.html) or that torchvision's dataset
// classes check (SVHN, MNIST, Fashion-MNIST); the sizes are those of the same files. The readers in
// lib/data load what ends up in the directory: a plain file under its name, or an archive's members
// under their paths in it (the archive itself is removed once they are out).

import type { TarMember } from './tar';

export const DOWNLOADABLE_DATASETS = ['cifar10', 'cifar100', 'svhn', 'fashion-mnist', 'mnist'] as const;
export type DownloadableDataset = (typeof DOWNLOADABLE_DATASETS)[number];

/** A file inside a .tar.gz that a reader loads, written to the same relative path in the download directory. */
export type ArchiveMember = TarMember;

export interface RemoteFile {
  /** The file's name in the download directory. */
  name: string;
  url: string;
  /** Lower-case hex MD5 of the whole file. */
  md5: string;
  bytes: number;
  /** For a .tar.gz archive: the members to extract; nothing else in it is written. */
  members?: ArchiveMember[];
  /** Fetched only when asked for (SVHN's extra split, 1.3 GB). */
  extra?: boolean;
}

export type Catalogue = Record<DownloadableDataset, RemoteFile[]>;

const CIFAR_RECORD = 3 * 32 * 32;
const KRIZ = 'https://www.cs.toronto.edu/~kriz';
const SVHN = 'http://ufldl.stanford.edu/housenumbers';
// yann.lecun.com refuses most downloads now; torchvision falls back to this mirror of the same files.
const MNIST = 'https://ossci-datasets.s3.amazonaws.com/mnist';
// An S3 website endpoint: plain http only.
const FASHION_MNIST = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com';

/** The four IDX files of an MNIST-like set, gzipped as published (the readers take .gz as it is). */
function idxFiles(base: string, md5: [string, string, string, string], bytes: [number, number, number, number]): RemoteFile[] {
  const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
  return names.map((name, i) => ({ name, url: `${base}/${name}`, md5: md5[i], bytes: bytes[i] }));
}

export const OFFICIAL_CATALOGUE: Catalogue = {
  cifar10: [{
    name: 'cifar-10-binary.tar.gz', url: `${KRIZ}/cifar-10-binary.tar.gz`, md5: 'c32a1d4ab5d03f1284b67883e8d87530', bytes: 170_052_171,
    // Five training batches and the test batch of 10000 records each: one label byte, then the pixels.
    members: [...[1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), 'test_batch.bin']
      .map((name) => ({ path: `cifar-10-batches-bin/${name}`, bytes: 10_000 * (1 + CIFAR_RECORD) })),
  }],
  cifar100: [{
    name: 'cifar-100-binary.tar.gz', url: `${KRIZ}/cifar-100-binary.tar.gz`, md5: '03b5dce01913d631647c71ecec9e9cb8', bytes: 168_513_733,
    // Records of a coarse and a fine label byte, then the pixels.
    members: [
      { path: 'cifar-100-binary/train.bin', bytes: 50_000 * (2 + CIFAR_RECORD) },
      { path: 'cifar-100-binary/test.bin', bytes: 10_000 * (2 + CIFAR_RECORD) },
    ],
  }],
  svhn: [
    { name: 'train_32x32.mat', url: `${SVHN}/train_32x32.mat`, md5: 'e26dedcc434d2e4c54c9b2d4a06d8373', bytes: 182_040_794 },
    { name: 'test_32x32.mat', url: `${SVHN}/test_32x32.mat`, md5: 'eb5a983be6a315427106f1b164d9cef3', bytes: 64_275_384 },
    { name: 'extra_32x32.mat', url: `${SVHN}/extra_32x32.mat`, md5: 'a93ce644f1a588dc4d68dda5feec44a7', bytes: 1_329_278_602, extra: true },
  ],
  'fashion-mnist': idxFiles(FASHION_MNIST,
    ['8d4fb7e6c68d591d4c3dfef9ec88bf0d', '25c81989df183df01b3e8a0aad5dffbe', 'bef4ecab320f06d8554ea6380940ec79', 'bb300cfdad3c16e7a12a480ee83cd310'],
    [26_421_880, 29_515, 4_422_102, 5_148]),
  mnist: idxFiles(MNIST,
    ['f68b3c2dcbeaaa9fbdd348bbdeb94873', 'd53e105ee54ea40749a09fcbcd1e9432', '9fb629c4189551a2d022fa330f9573f3', 'ec29112dd5afa0611ce80d1b7f02629c'],
    [9_912_422, 28_881, 1_648_877, 4_542]),
};

/** The files of `dataset` to fetch: SVHN's extra split only with `extra`. */
export function filesOf(catalogue: Catalogue, dataset: DownloadableDataset, extra: boolean): RemoteFile[] {
  return catalogue[dataset].filter((file) => extra || !file.extra);
}

/**
 * `url` with its scheme and host (and port) replaced by those of `mirror`, whose path, if any, goes
 * before the original path: http://127.0.0.1:8000/data + https://host/a/b.gz -> http://127.0.0.1:8000/data/a/b.gz.
 */
export function mirrored(url: string, mirror: string | undefined): string {
  if (mirror === undefined) return url;
  const original = new URL(url);
  const base = new URL(mirror);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.protocol}//${base.host}${prefix}${original.pathname}${original.search}`;
}

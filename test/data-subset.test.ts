import test from 'ava';
import { DatasetError, datasets, OptionError } from '../lib';

const n = 50, pixels = 2 * 3 * 3;
const images = Uint8Array.from({ length: n * pixels }, (_, k) => Math.floor(k / pixels)); // every pixel holds its example's index
const labels = Int32Array.from({ length: n }, (_, i) => i % 7);
const full = datasets.fromArrays({ images, labels, shape: [n, 2, 3, 3], numClasses: 7, name: 'ramp', augmentation: { cropPadding: 1, flip: true, cutout: 0 } });

test('a subset holds whole, distinct examples with their labels, in original order, and keeps the settings', (t) => {
  const part = datasets.subset(full, 20, 3);
  t.deepEqual(part.shape, [20, 2, 3, 3]);
  t.is(part.name, 'ramp[20]');
  t.deepEqual(part.augmentation, full.augmentation);
  const picked: number[] = [];
  for (let k = 0; k < 20; k += 1) {
    const from = part.images[k * pixels];
    t.true(part.images.subarray(k * pixels, (k + 1) * pixels).every((v) => v === from));
    t.is(part.labels[k], from % 7);
    picked.push(from);
  }
  t.deepEqual(picked, [...new Set(picked)].sort((a, b) => a - b));
});

test('the same seed draws the same subset, another seed another; the whole set is itself', (t) => {
  t.deepEqual(datasets.subset(full, 10, 1).images, datasets.subset(full, 10, 1).images);
  t.notDeepEqual(datasets.subset(full, 10, 1).images, datasets.subset(full, 10, 2).images);
  t.is(datasets.subset(full, n), full);
});

test('a subset larger than the split is an error', (t) => {
  t.throws(() => datasets.subset(full, 51), { instanceOf: OptionError, message: /size 51 exceeds the 50 examples of ramp/ });
  t.throws(() => datasets.subset(full, 0), { instanceOf: OptionError });
});

test('subset of something that is not an ImageSet is an OptionError', (t) => {
  for (const data of [null, undefined, 5]) {
    t.throws(() => datasets.subset(data as never, 10), {
      instanceOf: OptionError, message: /^datasets\.subset: data must be an ImageSet \(from datasets\.fromArrays or a dataset reader\), got /,
    });
  }
});

test('subset of a set whose shape lies about its arrays is a DatasetError, not 0 images for 100 labels', (t) => {
  const lies = [
    { ...full, shape: [100, 2, 3, 3] },
    { ...full, images: full.images.subarray(0, 10 * pixels) },
    { ...full, labels: full.labels.subarray(0, 10) },
  ];
  t.throws(() => datasets.subset(lies[0], 20), {
    instanceOf: DatasetError, code: 'ERR_POF_DATASET',
    message: /^datasets\.subset: data 'ramp': shape \[100,2,3,3\] holds 1800 values but images has 900; its fields were changed/,
  });
  t.throws(() => datasets.subset(lies[1], 20), { instanceOf: DatasetError, message: /holds 900 values but images has 180/ });
  t.throws(() => datasets.subset(lies[2], 20), { instanceOf: DatasetError, message: /data 'ramp' has 50 examples but 10 labels/ });
  const altered = { ...full, shape: [...full.shape] };
  altered.shape[1] = 1;
  t.throws(() => datasets.subset(altered, 20), { instanceOf: DatasetError });
});

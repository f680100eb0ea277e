// The crops for large images: torchvision's RandomResizedCrop (its box draws, then an antialiased bilinear
// resize) and flip for training, the centre crop for evaluation, on the device (native/data/resized_crop.cc).
import test from 'ava';
import { execFileSync } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { DatasetError, datasets, models, OptionError, PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import { nativeDataset } from './helpers/native-dataset';
import { patternImages, tempDir } from './helpers/fixtures';
import { testDevice } from './helpers/synthetic';

const DEFAULTS = [0.08, 1, 3 / 4, 4 / 3];

/** The boxes (top, left, height, width) and images of one draw through the native test hook. */
function crop(images: Uint8Array, shape: number[], options: { resizedCrop: number[]; flip?: boolean; seed: number;
  shardIndex?: number; shardCount?: number }) {
  const out = native.resizedCrop(new native.Tensor(images, shape, testDevice), options);
  const flat = Array.from(out.boxes.toArray() as BigInt64Array, Number);
  const boxes = Array.from({ length: shape[0] }, (_, b) => flat.slice(4 * b, 4 * b + 4));
  return { boxes, images: out.images.to('cpu').toArray() as Float32Array, shape: out.images.shape };
}

test('boxes lie within the image, with area fraction and aspect ratio in range (rounding aside), spread over the range', (t) => {
  const [N, C, H, W] = [512, 1, 48, 64];
  const images = new Uint8Array(N * C * H * W);
  for (const [scale, ratio] of [[[0.08, 1], [3 / 4, 4 / 3]], [[0.3, 0.6], [0.5, 2]]]) {
    const { boxes } = crop(images, [N, C, H, W], { resizedCrop: [8, ...scale, ...ratio], seed: 7 });
    const fractions: number[] = [];
    for (const [top, left, h, w] of boxes) {
      t.true(top >= 0 && left >= 0 && h > 0 && w > 0 && top + h <= H && left + w <= W, `box ${[top, left, h, w]}`);
      // w = round(sqrt(a r)), h = round(sqrt(a / r)): each within 0.5 of the real side.
      t.true((w + 0.5) * (h + 0.5) >= scale[0] * H * W && (w - 0.5) * (h - 0.5) <= scale[1] * H * W, `area of ${[h, w]}`);
      t.true((w + 0.5) / (h - 0.5) >= ratio[0] && (w - 0.5) / (h + 0.5) <= ratio[1], `ratio of ${[h, w]}`);
      fractions.push((h * w) / (H * W));
    }
    const span = scale[1] - scale[0];
    t.true(Math.min(...fractions) < scale[0] + 0.1 * span && Math.max(...fractions) > scale[1] - 0.25 * span, `fractions ${span}`);
    t.true(new Set(boxes.map((b) => b[0])).size > 10 && new Set(boxes.map((b) => b[1])).size > 10, 'tops and lefts vary');
  }
});

test('when no attempt fits, the box is torchvision\'s fallback: the centre at the nearest allowed ratio', (t) => {
  // Scale 1 at ratio 2..3 never fits a square: w = width, h = round(w / 2), centred.
  const { boxes } = crop(new Uint8Array(4 * 32 * 32), [4, 1, 32, 32], { resizedCrop: [16, 1, 1, 2, 3], seed: 1 });
  t.deepEqual(boxes, Array(4).fill([8, 0, 16, 32]));
});

test('scale [1, 1] and ratio [1, 1] on a square image is the identity: pixels equal after / 255 normalisation', (t) => {
  const [N, C, S] = [6, 3, 24];
  const images = patternImages(N, C, S, S);
  const ds = nativeDataset({ inputs: images, shape: [N, C, S, S], labels: new Int32Array(N), numClasses: 2,
    resizedCrop: [S, 1, 1, 1, 1], device: testDevice });
  const x = ds.batch(Int32Array.from({ length: N }, (_, i) => i), { train: true, seed: 3 }).inputs;
  t.deepEqual(x.shape, [N, C, S, S]);
  const values = x.to('cpu').toArray() as Float32Array;
  t.true(values.every((v, i) => Math.abs(v * 255 - images[i]) < 1e-3));
});

test('the flip mirrors about half the crops: each is the image or its mirror (scale 1, ratio 1 on a square)', (t) => {
  const [N, C, S] = [32, 2, 10];
  const images = patternImages(N, C, S, S, 3);
  const out = crop(images, [N, C, S, S], { resizedCrop: [S, 1, 1, 1, 1], flip: true, seed: 2 }).images;
  let mirrored = 0;
  for (let b = 0; b < N; b += 1) {
    const same = (flip: boolean) => {
      for (let i = 0; i < C * S * S; i += 1) {
        const x = i % S, row = i - x;
        if (Math.abs(out[b * C * S * S + i] - images[b * C * S * S + row + (flip ? S - 1 - x : x)]) > 1e-3) return false;
      }
      return true;
    };
    const plain = same(false), flipped = same(true);
    t.true(plain !== flipped, `image ${b} is exactly one of the image and its mirror`);
    if (flipped) mirrored += 1;
  }
  t.true(mirrored > 4 && mirrored < N - 4, `${mirrored} of ${N} mirrored`);
});

test('a set with only a centre crop trains and evaluates on it; cutout applies within the resized crop', (t) => {
  const [N, C, H, W] = [6, 3, 30, 34];
  const images = patternImages(N, C, H, W).map((v) => Math.max(v, 1));  // no zero pixel but cutout's
  const idx = Int32Array.from({ length: N }, (_, i) => i);
  const centred = nativeDataset({ inputs: images, shape: [N, C, H, W], labels: new Int32Array(N), numClasses: 2, centerCrop: 16,
    flip: true, device: testDevice });
  for (const train of [true, false]) t.deepEqual(centred.batch(idx, { train, seed: 1 }).inputs.shape, [N, C, 16, 16]);
  const cut = nativeDataset({ inputs: images, shape: [N, C, H, W], labels: new Int32Array(N), numClasses: 2,
    resizedCrop: [20, ...DEFAULTS], cutout: 8, device: testDevice });
  const x = cut.batch(idx, { train: true, seed: 4 }).inputs;
  t.deepEqual(x.shape, [N, C, 20, 20]);
  const zeros = (x.to('cpu').toArray() as Float32Array).filter((v) => v === 0).length;
  t.true(zeros >= N * C * 4 * 4 && zeros <= N * C * 8 * 8, `${zeros} zeroed values`);
});

test('the same seed gives the same batch, another seed another; train crops to size, evaluation centre-crops to it', (t) => {
  const [N, C, H, W] = [8, 3, 40, 36];
  const images = patternImages(N, C, H, W);
  const ds = nativeDataset({ inputs: images, shape: [N, C, H, W], labels: new Int32Array(N), numClasses: 2,
    resizedCrop: [20, ...DEFAULTS], flip: true, mean: [0.5], std: [0.25], device: testDevice });
  const idx = Int32Array.from([3, 1, 7, 3]);
  const run = (train: boolean, seed: number) => ds.batch(idx, { train, seed }).inputs;
  const a = run(true, 5), b = run(true, 5), c = run(true, 6);
  t.deepEqual(a.shape, [4, C, 20, 20]);
  t.deepEqual(a.toArray(), b.toArray());
  t.notDeepEqual(a.toArray(), c.toArray());
  const evaluated = run(false, 5);
  t.deepEqual(evaluated.shape, [4, C, 20, 20]);
  // Evaluation: rows 10..29 and columns 8..27 of each image, normalised.
  const values = evaluated.to('cpu').toArray() as Float32Array;
  let ok = true;
  idx.forEach((i, b) => {
    for (let ch = 0; ch < C; ch += 1) for (let y = 0; y < 20; y += 1) for (let x = 0; x < 20; x += 1) {
      const pixel = images[((i * C + ch) * H + y + 10) * W + x + 8];
      ok &&= Math.abs(values[((b * C + ch) * 20 + y) * 20 + x] - (pixel / 255 - 0.5) / 0.25) < 1e-5;
    }
  });
  t.true(ok);
});

test('data parallel: each shard\'s crops and flips are its rows of the one-process batch', (t) => {
  const [N, C, H, W] = [8, 2, 30, 26];
  const images = patternImages(N, C, H, W, 4);
  const options = { resizedCrop: [12, ...DEFAULTS], flip: true, seed: 11 };
  const whole = crop(images, [N, C, H, W], options);
  const per = C * 12 * 12 * (N / 2);
  for (const shardIndex of [0, 1]) {
    const rows = images.subarray(shardIndex * (N / 2) * C * H * W, (shardIndex + 1) * (N / 2) * C * H * W);
    const shard = crop(rows, [N / 2, C, H, W], { ...options, shardIndex, shardCount: 2 });
    t.deepEqual(shard.boxes, whole.boxes.slice(shardIndex * (N / 2), (shardIndex + 1) * (N / 2)));
    t.deepEqual(Array.from(shard.images), Array.from(whole.images.subarray(shardIndex * per, (shardIndex + 1) * per)));
  }
});

function pythonHasTorchvision(): boolean {
  try {
    execFileSync('python3', ['-c', 'import importlib.util, sys, torch, numpy; sys.exit(importlib.util.find_spec("torchvision") is None)'],
      { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('the crops equal torchvision\'s F.resized_crop(antialias=True) on the drawn boxes, and its CenterCrop (when python3 has torchvision)', (t) => {
  if (!pythonHasTorchvision()) {
    t.log('python3 with torch and torchvision not found: cross-check skipped');
    t.pass();
    return;
  }
  const [N, C, H, W, size, center] = [12, 3, 57, 70, 32, 45];
  const images = patternImages(N, C, H, W, 2);
  const drawn = crop(images, [N, C, H, W], { resizedCrop: [size, ...DEFAULTS], seed: 21 });
  const dir = tempDir('rrc');
  const file = (name: string) => path.join(dir, name);
  writeFileSync(file('images.u8'), images);
  execFileSync('python3', [path.join(__dirname, '..', '..', 'test', 'fixtures', 'python', 'torchvision_crops.py'), JSON.stringify({
    images: file('images.u8'), shape: [N, C, H, W], boxes: drawn.boxes, size, center, resized: file('resized.f32'), centered: file('centered.f32'),
  })]);
  const expected = new Float32Array(readFileSync(file('resized.f32')).buffer.slice(0));
  t.is(expected.length, drawn.images.length);
  const largest = drawn.images.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
  const mean = drawn.images.reduce((m, v, i) => m + Math.abs(v - expected[i]), 0) / expected.length;
  t.log(`difference from torchvision's float result: largest ${largest}, mean ${mean.toFixed(4)} (0..255 scale)`);
  // The CPU resizes uint8 (LibTorch's vectorised path), rounding to whole levels: within one level of the float result.
  t.true(largest <= (testDevice === 'cpu' ? 1 : 1e-3));
  t.true(mean < (testDevice === 'cpu' ? 0.5 : 1e-4));
  const centered = native.centerCrop(new native.Tensor(images, [N, C, H, W], testDevice), center);
  t.deepEqual(Array.from(centered.to('cpu').toArray() as Uint8Array), Array.from(new Float32Array(readFileSync(file('centered.f32')).buffer.slice(0))));
});

test('datasets.imagenetAugmentation is torchvision\'s crop and flip; a model is sized for, trains on and evaluates the crop\'s side', async (t) => {
  t.deepEqual(datasets.imagenetAugmentation(), { cropPadding: 0, flip: true, cutout: 0, resizedCrop: { size: 224, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] } });
  const [N, C, S, side] = [8, 3, 40, 32];
  const labels = Int32Array.from({ length: N }, (_, i) => i % 2);
  const train = datasets.fromArrays({ images: patternImages(N, C, S, S), labels, shape: [N, C, S, S], numClasses: 2, name: 'big',
    augmentation: datasets.imagenetAugmentation(side) });
  const test = datasets.fromArrays({ images: patternImages(N, C, S, S, 1), labels, shape: [N, C, S, S], numClasses: 2, centerCrop: side });
  const spec = models.parseModelName('mlp-4', train);
  t.like(spec, { kind: 'mlp', inputDim: C * side * side });
  const trainer = new PoFTrainer({ model: spec, device: testDevice, seed: 1 });
  try {
    const result = await trainer.fit(train, { epochs: 1, batchSize: 4, lr: 1e-3 });
    t.true(result.history.length === 1 && Number.isFinite(result.history[0].loss));
    t.is((await trainer.evaluate(test)).examples, N);
    // Uncropped, the same images do not fit the model: the check names the shapes.
    const whole = datasets.fromArrays({ images: patternImages(N, C, S, S), labels, shape: [N, C, S, S], numClasses: 2, name: 'whole' });
    await t.throwsAsync(trainer.evaluate(whole), { instanceOf: DatasetError, message: /'whole' has examples of shape \[3, 40, 40\]/ });
  } finally {
    trainer.dispose();
  }
});

test('bad crop options are an OptionError naming the option and what was expected', (t) => {
  const [N, C, H, W] = [2, 3, 30, 40];
  const base = { images: new Uint8Array(N * C * H * W), labels: new Int32Array(N), shape: [N, C, H, W], numClasses: 2 };
  const bad = (extra: object, message: RegExp) => t.throws(() => datasets.fromArrays({ ...base, ...extra }), { instanceOf: OptionError, message });
  const aug = (resizedCrop: unknown, more = {}) => ({ augmentation: { cropPadding: 0, flip: true, cutout: 0, resizedCrop, ...more } });
  bad(aug({ size: 31 }), /resizedCrop.size \(31\) must not exceed the image's smaller side \(30 pixels\)/);
  bad(aug({ size: 0 }), /resizedCrop.size must be >= 1/);
  bad(aug({ size: 8, scale: [0.5, 0.2] }), /resizedCrop.scale must be \[lo, hi\] with lo <= hi/);
  bad(aug({ size: 8, scale: [0, 1] }), /resizedCrop.scale\[0\] must be > 0/);
  bad(aug({ size: 8, scale: [0.1, 1.5] }), /resizedCrop.scale\[1\] must be <= 1/);
  bad(aug({ size: 8, ratio: [2] }), /resizedCrop.ratio must be \[lo, hi\]/);
  bad(aug({ size: 8, side: 3 }), /unknown option 'side'/);
  bad(aug({ size: 8 }, { cropPadding: 4 }), /resizedCrop replaces the padded crop: leave augmentation.cropPadding 0/);
  bad(aug({ size: 8 }, { cutout: 9 }), /cutout \(9\) must not exceed the resized crop's side \(8 pixels\)/);
  bad({ centerCrop: 31 }, /centerCrop \(31\) must not exceed the image's smaller side \(30 pixels\)/);
  bad({ ...aug({ size: 8 }), centerCrop: 9 }, /centerCrop \(9\) must equal augmentation.resizedCrop.size \(8\)/);
  bad({ kind: 'values', images: new Float32Array(N * C * H * W), centerCrop: 8 }, /centerCrop applies to pixels only/);
  t.throws(() => datasets.imagenetAugmentation(0), { instanceOf: OptionError, message: /size must be >= 1/ });
  // The native Dataset checks the same (a caller may build one or change a set's fields).
  const native = (extra: object, message: RegExp) => t.throws(() => nativeDataset({ inputs: base.images, shape: base.shape,
    labels: base.labels, numClasses: 2, ...extra }), { instanceOf: OptionError, message });
  native({ resizedCrop: [31, ...DEFAULTS] }, /resizedCrop size must lie in 1..30 \(the image's smaller side\), got 31/);
  native({ resizedCrop: [8, 0.5, 0.2, 0.75, 1.5] }, /resizedCrop scale must be \[lo, hi\] with 0 < lo <= hi <= 1.*got \[0.5, 0.2\]/);
  native({ resizedCrop: [8, 0.1, 1, 0, 1] }, /resizedCrop ratio must be \[lo, hi\] with 0 < lo <= hi/);
  native({ resizedCrop: [8, ...DEFAULTS], cropPadding: 2 }, /resizedCrop replaces the padded crop/);
  native({ resizedCrop: [8, ...DEFAULTS], centerCrop: 10 }, /centerCrop \(10\) must equal the resizedCrop size \(8\)/);
  native({ resizedCrop: [8, 0.1] }, /resizedCrop must be \[size, scaleLo, scaleHi, ratioLo, ratioHi\]/);
});

// The device-side training augmentation: random crop from the zero-padded image, horizontal flip, cutout.
// Images hold pixel values 1..255 that identify their position, so every output pixel can be traced back to
// the source pixel it came from (0 marks padding or cutout).
import test from 'ava';
import { spawnSync } from 'child_process';
import { native } from '../lib/addon';
import { NativeDataset } from '../lib/native';
import { testDevice } from './helpers/synthetic';
import { nativeDataset } from './helpers/native-dataset';

const N = 48, C = 2, H = 20, W = 20;

function pixel(i: number, c: number, y: number, x: number): number {
  return 1 + ((i * 37 + c * 101 + y * W + x) % 255);
}

const images = new Uint8Array(N * C * H * W);
for (let i = 0; i < N; i += 1) for (let c = 0; c < C; c += 1) for (let y = 0; y < H; y += 1) for (let x = 0; x < W; x += 1) {
  images[((i * C + c) * H + y) * W + x] = pixel(i, c, y, x);
}
const labels = Int32Array.from({ length: N }, (_, i) => i % 5);
const all = Int32Array.from({ length: N }, (_, i) => i);

function dataset(aug: { cropPadding?: number; flip?: boolean; cutout?: number }, norm = { mean: [0, 0], std: [1, 1] }): NativeDataset {
  return nativeDataset({ inputs: images, shape: [N, C, H, W], labels, numClasses: 5, ...norm, ...aug, device: testDevice });
}

/** The batch's images back as pixel values (normalisation mean 0, std 1 makes that exact). */
function pixels(ds: NativeDataset, indices: Int32Array, seed: number, train = true): Int32Array {
  const values = ds.batch(indices, { train, seed }).inputs.to('cpu').toArray() as Float32Array;
  return Int32Array.from(values, (v) => Math.round(v * 255));
}

const at = (out: Int32Array, b: number, c: number, y: number, x: number) => out[((b * C + c) * H + y) * W + x];

/** Source pixel of the padded (by `p`) image i at padded coordinates, 0 in the padding. */
function padded(i: number, c: number, py: number, px: number, p: number): number {
  const y = py - p, x = px - p;
  return y >= 0 && y < H && x >= 0 && x < W ? pixel(i, c, y, x) : 0;
}

/** Every (top, left, flipped) placement of the crop window that reproduces output image b exactly. */
function placements(out: Int32Array, b: number, i: number, p: number) {
  const found: { top: number; left: number; flipped: boolean }[] = [];
  for (let top = 0; top <= 2 * p; top += 1) for (let left = 0; left <= 2 * p; left += 1) for (const flipped of [false, true]) {
    let same = true;
    for (let c = 0; c < C && same; c += 1) for (let y = 0; y < H && same; y += 1) for (let x = 0; x < W && same; x += 1) {
      const sx = flipped ? left + W - 1 - x : left + x;
      same = at(out, b, c, y, x) === padded(i, c, top + y, sx, p);
    }
    if (same) found.push({ top, left, flipped });
  }
  return found;
}

test('a batch has the split\'s shape, float32 inputs and the gathered labels', (t) => {
  const ds = dataset({ cropPadding: 4, flip: true, cutout: 16 });
  const idx = Int32Array.from([5, 0, 47, 5]);
  for (const train of [true, false]) {
    const batch = ds.batch(idx, { train, seed: 3 });
    t.deepEqual(batch.inputs.shape, [4, C, H, W]);
    t.is(batch.inputs.dtype, 'float32');
    t.deepEqual(Array.from(batch.labels.to('cpu').toArray(), Number), [0, 0, 2, 0]);
  }
});

test('crops are windows of the 4-pixel zero-padded image, flipped or not, at every offset', (t) => {
  const p = 4;
  const out = pixels(dataset({ cropPadding: p, flip: true }), all, 11);
  const tops = new Set<number>(), lefts = new Set<number>();
  let flips = 0;
  for (let b = 0; b < N; b += 1) {
    const found = placements(out, b, b, p);
    t.is(found.length, 1, `image ${b} is exactly one crop of its padded source`);
    if (found.length !== 1) return;
    tops.add(found[0].top);
    lefts.add(found[0].left);
    flips += found[0].flipped ? 1 : 0;
  }
  // 48 draws from 9 offsets and a fair coin: the placements vary and stay inside the padded image.
  t.true(tops.size >= 5 && lefts.size >= 5, `offsets seen: ${[...tops]} / ${[...lefts]}`);
  t.true(Math.max(...tops, ...lefts) <= 2 * p && Math.min(...tops, ...lefts) >= 0);
  t.true(flips > 8 && flips < 40, `${flips} of ${N} flipped`);
});

test('a flip is the exact mirror image; without flip or padding training leaves images unchanged', (t) => {
  const mirrored = pixels(dataset({ flip: true }), all, 5);
  let flips = 0;
  for (let b = 0; b < N; b += 1) {
    const found = placements(mirrored, b, b, 0);
    t.is(found.length, 1);
    flips += found[0]?.flipped ? 1 : 0;
  }
  t.true(flips > 0 && flips < N);
  const plain = pixels(dataset({}), all, 5);
  t.deepEqual(Array.from(plain), Array.from(images));
});

test('cutout zeroes one 16x16 window, clipped at the borders, in every channel', (t) => {
  const out = pixels(dataset({ cutout: 16 }), all, 9);
  let clipped = 0, whole = 0;
  for (let b = 0; b < N; b += 1) {
    let y0 = H, y1 = -1, x0 = W, x1 = -1, zeros = 0;
    for (let y = 0; y < H; y += 1) for (let x = 0; x < W; x += 1) {
      const v = at(out, b, 0, y, x);
      for (let c = 1; c < C; c += 1) t.is(at(out, b, c, y, x) === 0, v === 0, 'the same window in every channel');
      if (v === 0) {
        zeros += 1;
        y0 = Math.min(y0, y); y1 = Math.max(y1, y); x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      } else {
        t.is(v, pixel(b, 0, y, x), 'pixels outside the window are untouched');
      }
    }
    const height = y1 - y0 + 1, width = x1 - x0 + 1;
    t.true(zeros > 0, 'a window centred in the image is never empty');
    t.is(zeros, height * width, 'the zeroed pixels form one rectangle');
    t.true(height === 16 || y0 === 0 || y1 === H - 1, `height ${height} < 16 only at a border`);
    t.true(width === 16 || x0 === 0 || x1 === W - 1, `width ${width} < 16 only at a border`);
    t.true(height <= 16 && width <= 16);
    if (height === 16 && width === 16) whole += 1; else clipped += 1;
  }
  t.true(whole > 0 && clipped > 0, `${whole} whole and ${clipped} clipped windows`);
});

test('the same seed gives the same batch; another seed another; evaluation only normalises', (t) => {
  const ds = dataset({ cropPadding: 4, flip: true, cutout: 16 }, { mean: [0.5, 0.25], std: [0.5, 2] });
  const a = ds.batch(all, { train: true, seed: 42 }).inputs.to('cpu').toArray() as Float32Array;
  const b = ds.batch(all, { train: true, seed: 42 }).inputs.to('cpu').toArray() as Float32Array;
  const c = ds.batch(all, { train: true, seed: 43 }).inputs.to('cpu').toArray() as Float32Array;
  t.deepEqual(Array.from(a), Array.from(b));
  t.notDeepEqual(Array.from(a), Array.from(c));
  const evaluated = ds.batch(all, { train: false, seed: 42 }).inputs.to('cpu').toArray() as Float32Array;
  const mean = [0.5, 0.25], std = [0.5, 2];
  let worst = 0;
  for (let k = 0; k < images.length; k += 1) {
    const ch = Math.floor(k / (H * W)) % C;
    worst = Math.max(worst, Math.abs(evaluated[k] - (images[k] / 255 - mean[ch]) / std[ch]));
  }
  t.true(worst < 1e-6, `largest deviation from (x/255 - mean)/std: ${worst}`);
});

test('batch indices outside the split are a clear error', (t) => {
  const ds = dataset({});
  t.throws(() => ds.batch(Int32Array.from([0, N]), { train: true, seed: 0 }), { message: /batch indices must lie in 0\.\.47/ });
});

const hasTorch = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
// The CPU normalises uint8 through a per-channel table made by the same ops: the bits must be PyTorch's own
// (x.float().div(255) - mean) / std on the whole batch.
(hasTorch ? test : test.skip)('normalisation gives PyTorch\'s (x / 255 - mean) / std bit for bit, for every byte value in every channel', (t) => {
  const [mean, std] = [[0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]];
  const inputs = Uint8Array.from({ length: 2 * 3 * 16 * 16 }, (_, i) => i % 256);  // each channel plane sees all 256 values
  const ds = nativeDataset({ inputs, shape: [2, 3, 16, 16], labels: new Uint8Array(2), numClasses: 2, mean, std });
  const out = ds.batch(Int32Array.from([0, 1]), { train: false, seed: 0 }).inputs.toArray() as Float32Array;
  const script = ['import json, torch', 'x = (torch.arange(2 * 3 * 16 * 16) % 256).to(torch.uint8).view(2, 3, 16, 16)',
    `m = torch.tensor(${JSON.stringify(mean)}).view(1, 3, 1, 1); s = torch.tensor(${JSON.stringify(std)}).view(1, 3, 1, 1)`,
    'print(json.dumps(((x.float().div(255) - m) / s).flatten().tolist()))'].join('\n');
  const expected = JSON.parse(spawnSync('python3', ['-c', script], { encoding: 'utf8' }).stdout) as number[];
  t.is(expected.length, out.length);
  t.deepEqual(Array.from(out), expected);
  ds.dispose();
});

// datasets.prepare: the prepared store (manifest.json, inputs.npy, labels.npy) holds byte for byte what
// datasets.imageFolder decodes, NumPy reads it, mean/std are NumPy's, and an interrupted run resumes to the
// same bytes; an existing store, or a partial one of other options, is refused.
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { datasets, DatasetError, FileError, models, OptionError, PoFTrainer } from '../lib';
import type { ImageFolderProgress, PreparedManifest } from '../lib';
import { readNpyFile } from '../lib/data/npy';
import { CHUNK_IMAGES } from '../lib/data/image-folder';
import { tempDir } from './helpers/fixtures';
import { mountTmpfs } from './helpers/tmpfs';
import { differingTensors } from './helpers/state-compare';
import { pof } from './helpers/pof-cli';
import { planar, writeImage } from './helpers/image-files';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const withNumpy = hasNumpy ? test : test.skip;
if (!hasNumpy) console.log('python3 with numpy not found: the NumPy checks of prepared stores are skipped');

const S = 5;

/** `perClass` PNGs (distinct pixels) in each of the classes, some grey, and one JPEG per class. */
async function folder(perClass: number, classes = ['b', 'a', 'c']): Promise<string> {
  const dir = tempDir('prepare-src');
  const writes: Promise<void>[] = [];
  classes.forEach((name, k) => {
    for (let i = 0; i < perClass; i += 1) {
      const channels = i % 5 === 0 ? 1 : 3;
      writes.push(writeImage(path.join(dir, name, `${String(i).padStart(4, '0')}.png`), planar(channels, S, S, k * 1000 + i), channels, S, S));
    }
    writes.push(writeImage(path.join(dir, name, 'photo.jpg'), planar(3, S + 3, S + 1, k), 3, S + 3, S + 1));
  });
  await Promise.all(writes);
  return dir;
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const manifestOf = (out: string): PreparedManifest => JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));

test('the store holds what imageFolder decodes, byte for byte, with its manifest', async (t) => {
  const source = await folder(3);
  const out = path.join(tempDir('prepare-out'), 'store');
  const progress: ImageFolderProgress[] = [];
  const manifest = await datasets.prepare({ source, out, imageSize: S, onProgress: (p) => progress.push(p) });
  const set = await datasets.imageFolder({ dir: source, imageSize: S });
  t.deepEqual(readdirSync(out).sort(), ['inputs.npy', 'labels.npy', 'manifest.json']);
  t.false(existsSync(`${out}.partial`));
  const inputs = await readNpyFile(path.join(out, 'inputs.npy'));
  const labels = await readNpyFile(path.join(out, 'labels.npy'));
  t.is(inputs.dtype, 'uint8');
  t.deepEqual(inputs.shape, set.shape);
  t.true(bytes(inputs.data).equals(bytes(set.images)));
  t.is(labels.dtype, 'int64');
  t.deepEqual(Array.from(labels.data), Array.from(set.labels));
  const { created, mean, std, ...rest } = manifestOf(out);
  t.deepEqual(manifest, { ...rest, created, mean, std });
  t.true(Date.now() - Date.parse(created) < 60_000);
  t.deepEqual(rest, {
    format: 'pof-prepared', version: 1, kind: 'pixels', dtype: 'uint8', examples: 12, shape: [3, S, S], numClasses: 3,
    classes: ['a', 'b', 'c'], files: set.files, source, skipped: [],
  });
  t.deepEqual(progress.map((p) => [p.done, p.total, p.skipped]), [[12, 12, 0]]);
  // mean/std over every stored pixel, per channel, on the 0..1 scale
  const plane = S * S;
  for (let c = 0; c < 3; c += 1) {
    const values: number[] = [];
    for (let n = 0; n < 12; n += 1) values.push(...set.images.subarray((n * 3 + c) * plane, (n * 3 + c + 1) * plane));
    const m = values.reduce((a, b) => a + b, 0) / values.length / 255;
    const v = values.reduce((a, b) => a + (b / 255 - m) ** 2, 0) / values.length;
    t.true(Math.abs(mean[c] - m) < 1e-12 && Math.abs(std[c] - Math.sqrt(v)) < 1e-12, `channel ${c}: ${mean[c]} ${std[c]} vs ${m} ${Math.sqrt(v)}`);
  }
});

test('datasets.prepared opens the store as a split that trains as the folder decoded in memory, bit for bit', async (t) => {
  const source = await folder(8);
  const out = path.join(tempDir('prepare-out'), 'store');
  const manifest = await datasets.prepare({ source, out, imageSize: S });
  const decoded = await datasets.imageFolder({ dir: source, imageSize: S });
  const stored = await datasets.prepared(out);
  t.deepEqual(stored.classes, manifest.classes);
  t.deepEqual(stored.normalization, { mean: manifest.mean, std: manifest.std });
  const augmentation = { cropPadding: 1, flip: true, cutout: 2 };
  const resident = { ...decoded, normalization: stored.normalization, augmentation };
  const run = async (data: typeof resident | typeof stored) => {
    const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 3 * S * S, hidden: [8], numClasses: 3 }), device: 'cpu', seed: 3 });
    await trainer.fit({ ...data, augmentation }, { epochs: 2, batchSize: 9, lr: 0.05 });
    await trainer.postTrain({ ...data, augmentation }, { epochs: 1, batchSize: 9, lr: 0.01 });
    return trainer.stateDict();
  };
  t.deepEqual(differingTensors(await run(stored), await run(resident)), []);
});

withNumpy('NumPy memory-maps the store and finds the same pixels, labels, mean and std (1e-6)', async (t) => {
  const source = await folder(2);
  const out = path.join(tempDir('prepare-np'), 'store');
  await datasets.prepare({ source, out, imageSize: [S, S + 2], channels: 1, onBadImage: 'skip' });
  const set = await datasets.imageFolder({ dir: source, imageSize: [S, S + 2], channels: 1 });
  const script = [
    'import json, sys, numpy as np', 'd = sys.argv[1]',
    "x = np.load(d + '/inputs.npy', mmap_mode='r'); y = np.load(d + '/labels.npy', mmap_mode='r')",
    "m = json.load(open(d + '/manifest.json'))", 'f = x.astype(np.float64) / 255',
    "print(json.dumps({'shape': x.shape, 'dtype': str(x.dtype), 'ydtype': str(y.dtype), 'labels': y.tolist(), 'hex': bytes(x).hex(),",
    "  'mean': float(np.abs(f.mean(axis=(0, 2, 3)) - m['mean']).max()), 'std': float(np.abs(f.std(axis=(0, 2, 3)) - m['std']).max())}))",
  ];
  const r = JSON.parse(execFileSync('python3', ['-c', script.join('\n'), out], { encoding: 'utf8' }));
  t.deepEqual(r.shape, [9, 1, S, S + 2]);
  t.is(r.dtype, 'uint8');
  t.is(r.ydtype, 'int64');
  t.deepEqual(r.labels, Array.from(set.labels));
  t.is(r.hex, bytes(set.images).toString('hex'));
  t.true(r.mean < 1e-6 && r.std < 1e-6, `mean off by ${r.mean}, std by ${r.std}`);
});

test('skipped bad images leave the files shorter, their headers saying so, and the manifest naming them', async (t) => {
  const source = await folder(2);
  writeFileSync(path.join(source, 'a', '0000.png'), 'not a png');
  const out = path.join(tempDir('prepare-skip'), 'store');
  const err = await t.throwsAsync(datasets.prepare({ source, out, imageSize: S }), { instanceOf: DatasetError });
  t.regex(err!.message, /a\/0000\.png: is not a JPEG, PNG, WebP, GIF, TIFF or AVIF image/);
  t.false(existsSync(out));
  // The same call with onBadImage: 'skip' continues the partial store (onBadImage is not part of what must match).
  const manifest = await datasets.prepare({ source, out, imageSize: S, onBadImage: 'skip' });
  t.is(manifest.examples, 8);
  t.deepEqual(manifest.skipped.map((s) => s.file), ['a/0000.png']);
  t.regex(manifest.skipped[0].reason, /is not a JPEG, PNG, WebP, GIF, TIFF or AVIF image/);
  const set = await datasets.imageFolder({ dir: source, imageSize: S, onBadImage: 'skip' });
  t.deepEqual(manifest.files, set.files);
  const inputs = await readNpyFile(path.join(out, 'inputs.npy'));
  t.deepEqual(inputs.shape, [8, 3, S, S]);
  t.true(bytes(inputs.data).equals(bytes(set.images)));
  t.deepEqual(Array.from((await readNpyFile(path.join(out, 'labels.npy'))).data), Array.from(set.labels));
});

test('an interrupted prepare resumes where it stopped and ends with the bytes of an uninterrupted one', async (t) => {
  const source = await folder(100);  // 303 images: two chunks
  const whole = path.join(tempDir('prepare-whole'), 'store');
  await datasets.prepare({ source, out: whole, imageSize: S });
  const out = path.join(tempDir('prepare-resume'), 'store');
  const stop = new Error('stopped after the first chunk');
  await t.throwsAsync(datasets.prepare({ source, out, imageSize: S, onProgress: () => { throw stop; } }), { is: stop });
  t.false(existsSync(out), 'no store until it is complete');
  t.deepEqual(readdirSync(`${out}.partial`).sort(), ['inputs.npy', 'labels.npy', 'progress.json'], 'the partial store has no manifest: it never reads as a store');
  t.is(JSON.parse(readFileSync(path.join(`${out}.partial`, 'progress.json'), 'utf8')).done, CHUNK_IMAGES);
  // Other options: refused, naming the difference, and the partial store kept.
  await t.throwsAsync(datasets.prepare({ source, out, imageSize: S, channels: 1 }),
    { instanceOf: OptionError, message: /\.partial is an interrupted prepare with another channels \(channels: 3 there, 1 now\).*overwrite: true \(pof prepare: --overwrite\) to start over/ });
  const resumed: number[] = [];
  await datasets.prepare({ source, out, imageSize: S, onProgress: (p) => resumed.push(p.done) });
  t.deepEqual(resumed, [303], 'only the second chunk was decoded');
  for (const file of ['inputs.npy', 'labels.npy']) t.true(readFileSync(path.join(out, file)).equals(readFileSync(path.join(whole, file))), file);
  const { created: _a, ...a } = manifestOf(out);
  const { created: _b, ...b } = manifestOf(whole);
  t.deepEqual(a, b);
  t.false(existsSync(`${out}.partial`));
});

test('an existing store is refused unless overwrite; overwrite starts a partial store of other options over', async (t) => {
  const source = await folder(1);
  const out = path.join(tempDir('prepare-exists'), 'store');
  await datasets.prepare({ source, out, imageSize: S });
  await t.throwsAsync(datasets.prepare({ source, out, imageSize: S }), { instanceOf: OptionError, message: /store already exists; choose another out, or pass overwrite: true/ });
  const grey = await datasets.prepare({ source, out, imageSize: S, channels: 1, overwrite: true });
  t.deepEqual(manifestOf(out).shape, [1, S, S]);
  t.is(grey.examples, 6);
  const other = path.join(tempDir('prepare-restart'), 'store');
  const big = await folder(100);
  await t.throwsAsync(datasets.prepare({ source: big, out: other, imageSize: S, onProgress: () => { throw new Error('stop'); } }));
  const done: number[] = [];
  await datasets.prepare({ source: big, out: other, imageSize: S - 1, overwrite: true, onProgress: (p) => done.push(p.done) });
  t.deepEqual(done, [CHUNK_IMAGES, 303], 'started over');
  t.deepEqual(manifestOf(other).shape, [3, S - 1, S - 1]);
  await t.throwsAsync(datasets.prepare({ source, out: path.join(tempDir('prepare-opt'), 'o'), imageSize: S, overwrite: 'yes' } as never),
    { instanceOf: OptionError, message: /overwrite must be true or false, got 'yes'/ });
});

test('pof prepare SRC OUT writes the store, prints progress on stderr and a summary on stdout; mistakes exit 2', async (t) => {
  const source = await folder(1);
  writeFileSync(path.join(source, 'c', 'bad.png'), 'not a png');
  const out = path.join(tempDir('prepare-cli'), 'store');
  const refused = await pof(['prepare', source, out, '--image-size', '4x3', '--channels', '1']);
  t.is(refused.code, 2, refused.stderr);
  t.regex(refused.stderr, /c\/bad\.png: is not a JPEG, PNG, WebP, GIF, TIFF or AVIF image/);
  // The same command with --skip-bad-images continues the partial store.
  const r = await pof(['prepare', source, out, '--image-size', '4x3', '--channels', '1', '--skip-bad-images']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /prepare: 7 of 7 images, 1 skipped, \d+ images\/s\n/);
  t.regex(r.stderr, /prepare: skipped c\/bad\.png: is not a JPEG, PNG, WebP, GIF, TIFF or AVIF image/);
  const summary = JSON.parse(r.stdout);
  t.like(summary, { out, examples: 6, shape: [1, 4, 3], numClasses: 3, classes: ['a', 'b', 'c'], skipped: 1 });
  t.deepEqual(manifestOf(out).shape, [1, 4, 3]);
  const cases: [string[], RegExp][] = [
    [['prepare', source], /^pof: prepare needs <out> /],
    [['prepare', source, out, 'x', '--image-size', '4'], /Unexpected argument 'x'/],
    [['prepare', source, `${out}2`, '--image-size', '4x3x2'], /--image-size must be S or HxW/],
    [['prepare', source, `${out}2`, '--image-size', '0'], /--image-size must be an integer >= 1/],
    [['prepare', source, `${out}2`, '--image-size', '4', '--channels', '2'], /--channels must be one of 1, 3, got '2'/],
    [['prepare', source, out, '--image-size', '4'], /store already exists/],
  ];
  for (const [args, message] of cases) {
    const e = await pof(args);
    t.is(e.code, 2, args.join(' '));
    t.regex(e.stderr, message);
  }
});

test('pof info says whether sharp is there and what it enables', async (t) => {
  const r = await pof(['info']);
  t.is(r.code, 0, r.stderr);
  t.like(JSON.parse(r.stdout).sharp, { available: true, version: '0.35.6' });
  t.regex(JSON.parse(r.stdout).sharp.note, /^image folders \(datasets\.imageFolder, datasets\.prepare, pof prepare\) with libvips \d/);
});

test('out inside the source folder is refused (its partial folder would become a class)', async (t) => {
  const source = await folder(1);
  await t.throwsAsync(datasets.prepare({ source, out: path.join(source, 'store'), imageSize: S }),
    { instanceOf: OptionError, message: /out \(.*\/store\) must not be inside the source folder/ });
});

test('a .partial folder that holds no progress of a prepare is left alone unless overwrite', async (t) => {
  const source = await folder(1);
  const out = path.join(tempDir('prepare-foreign'), 'store');
  mkdirSync(`${out}.partial`);
  writeFileSync(path.join(`${out}.partial`, 'mine.txt'), 'keep');
  await t.throwsAsync(datasets.prepare({ source, out, imageSize: S }),
    { instanceOf: OptionError, message: /store\.partial exists but holds no progress of a prepare; remove it, or pass overwrite: true/ });
  t.is(readFileSync(path.join(`${out}.partial`, 'mine.txt'), 'utf8'), 'keep');
  t.is((await datasets.prepare({ source, out, imageSize: S, overwrite: true })).examples, 6);
});

test('a prepare stopped after its last chunk is finished by the next run without decoding anything', async (t) => {
  const source = await folder(1);
  const out = path.join(tempDir('prepare-last'), 'store');
  await t.throwsAsync(datasets.prepare({ source, out, imageSize: S, onProgress: () => { throw new Error('stop'); } }), { message: 'stop' });
  t.is(JSON.parse(readFileSync(path.join(`${out}.partial`, 'progress.json'), 'utf8')).done, 6);
  const calls: number[] = [];
  const manifest = await datasets.prepare({ source, out, imageSize: S, onProgress: (p) => calls.push(p.done) });
  t.deepEqual(calls, []);
  t.is(manifest.examples, 6);
  t.deepEqual(readdirSync(out).sort(), ['inputs.npy', 'labels.npy', 'manifest.json']);
  const set = await datasets.imageFolder({ dir: source, imageSize: S });
  t.true(readFileSync(path.join(out, 'inputs.npy')).subarray(-set.images.length).equals(bytes(set.images)));
});

const readOnly = mountTmpfs('prepare-read-only', { size: '64k', readOnly: true });
(readOnly ? test : test.skip)('out on a read-only file system is a FileError saying so, before any image is decoded', async (t) => {
  const source = await folder(1);
  for (const out of [path.join(readOnly!, 'store'), path.join(readOnly!, 'deeper', 'store')]) {
    await t.throwsAsync(datasets.prepare({ source, out, imageSize: S }),
      { instanceOf: FileError, message: `cannot create ${out}.partial: cannot write to ${readOnly}: the file system is read-only (EROFS)` });
  }
});

// datasets.imageFolder: folders written here with sharp (PNG, lossless WebP, JPEG; grey, RGBA, EXIF-rotated),
// read back exactly where the format is lossless, in torchvision's ImageFolder order; and every bad folder or file.
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'fs';
import * as path from 'path';
import { datasets, DatasetError, FileError, models, OptionError, PoFTrainer } from '../lib';
import { tempDir } from './helpers/fixtures';
import { planar, writeImage } from './helpers/image-files';
import { settlesWithin } from './helpers/settles-within';
import { testDevice as device } from './helpers/synthetic';

const S = 6;
const rgb = planar(3, S, S, 1);
const grey = planar(1, S, S, 2);
const rgba = planar(4, S, S, 3);
const webp = planar(3, S, S, 4);

/** cat: rgb.png, grey.png, rgba.png; dog: nested/webp.webp (a subfolder); plus what the reader must ignore. */
async function folder(): Promise<string> {
  const dir = tempDir('image-folder');
  await writeImage(path.join(dir, 'cat', 'rgb.png'), rgb, 3, S, S);
  await writeImage(path.join(dir, 'cat', 'grey.png'), grey, 1, S, S);
  await writeImage(path.join(dir, 'cat', 'rgba.png'), rgba, 4, S, S);
  await writeImage(path.join(dir, 'dog', 'nested', 'webp.webp'), webp, 3, S, S);
  await writeImage(path.join(dir, 'dog', '.hidden.png'), rgb, 3, S, S);
  await writeImage(path.join(dir, '.git', 'x.png'), rgb, 3, S, S);
  writeFileSync(path.join(dir, 'dog', 'notes.txt'), 'not an image');
  writeFileSync(path.join(dir, 'README.png'), 'a file at the top is not a class');
  return dir;
}

const example = (set: { images: Uint8Array }, i: number, bytes = 3 * S * S) => set.images.subarray(i * bytes, (i + 1) * bytes);

test('classes are the sorted subfolders, files sorted within each (subfolders too), and lossless pixels come back exactly', async (t) => {
  const dir = await folder();
  const set = await datasets.imageFolder({ dir, imageSize: S });
  t.deepEqual(set.classes, ['cat', 'dog']);
  t.deepEqual(set.files, ['cat/grey.png', 'cat/rgb.png', 'cat/rgba.png', 'dog/nested/webp.webp']);
  t.deepEqual(Array.from(set.labels), [0, 0, 0, 1]);
  t.deepEqual(set.shape, [4, 3, S, S]);
  t.is(set.kind, 'pixels');
  t.is(set.numClasses, 2);
  t.is(set.name, path.basename(dir));
  t.deepEqual(set.skipped, []);
  t.deepEqual(example(set, 0), Uint8Array.from([...grey, ...grey, ...grey]), 'grey is expanded to three equal channels');
  t.deepEqual(example(set, 1), rgb);
  t.deepEqual(example(set, 2), rgba.subarray(0, 3 * S * S), 'alpha is dropped, the colour kept (PIL convert("RGB"))');
  t.deepEqual(example(set, 3), webp);
});

test('channels: 1 gives greyscale; classes picks and orders the classes; imageSize [H, W] crops the centre', async (t) => {
  const dir = await folder();
  const one = await datasets.imageFolder({ dir, imageSize: S, channels: 1, classes: ['dog', 'cat'] });
  t.deepEqual(one.shape, [4, 1, S, S]);
  t.deepEqual(one.files, ['dog/nested/webp.webp', 'cat/grey.png', 'cat/rgb.png', 'cat/rgba.png']);
  t.deepEqual(Array.from(one.labels), [0, 1, 1, 1]);
  t.deepEqual(example(one, 1, S * S), grey, 'a grey image stays as it is');
  const onlyDog = await datasets.imageFolder({ dir, imageSize: S, classes: ['dog'] });
  t.deepEqual(onlyDog.files, ['dog/nested/webp.webp']);
  t.is(onlyDog.numClasses, 1);
  // [4, 6] of a 6 x 6 image: the width fits, so no resampling; rows 1..4 are the centre.
  const cropped = await datasets.imageFolder({ dir, imageSize: [4, S], classes: ['cat'] });
  t.deepEqual(cropped.shape, [3, 3, 4, S]);
  const rows = [0, 1, 2].flatMap((c) => Array.from(rgb.subarray(c * S * S + S, c * S * S + 5 * S)));
  t.deepEqual(Array.from(example(cropped, 1, 3 * 4 * S)), rows);
});

test('a JPEG with EXIF orientation 6 is decoded upright (rotated a quarter turn clockwise)', async (t) => {
  const dir = tempDir('image-folder-exif');
  // Stored 8 wide and 4 high: the left half black, the right half white. Upright it is 4 wide and 8 high, black on top.
  const stored = Uint8Array.from({ length: 3 * 4 * 8 }, (_, i) => ((i % 8) < 4 ? 0 : 255));
  await writeImage(path.join(dir, 'a', 'rotated.jpg'), stored, 3, 4, 8, 6);
  const set = await datasets.imageFolder({ dir, imageSize: [8, 4], channels: 1 });
  t.deepEqual(set.shape, [1, 1, 8, 4]);
  const rows = Array.from({ length: 8 }, (_, r) => Array.from(set.images.subarray(r * 4, r * 4 + 4)));
  for (const r of [0, 1, 2]) t.true(rows[r].every((v) => v < 40), `row ${r} is black: ${rows[r]}`);
  for (const r of [5, 6, 7]) t.true(rows[r].every((v) => v > 215), `row ${r} is white: ${rows[r]}`);
});

test('an image larger than imageSize is resized by its shorter side and centre-cropped', async (t) => {
  const dir = tempDir('image-folder-resize');
  // 12 wide, 6 high, in thirds of 0, 100 and 200: the shorter side already fits, so the centre columns 3..8 are kept.
  const wide = Uint8Array.from({ length: 3 * 6 * 12 }, (_, i) => Math.floor((i % 12) / 4) * 100);
  await writeImage(path.join(dir, 'a', 'wide.png'), wide, 3, 6, 12);
  const set = await datasets.imageFolder({ dir, imageSize: S });
  t.deepEqual(Array.from(set.images.subarray(0, S)), [0, 100, 100, 100, 100, 200], 'columns 3..8 of 0 0 0 0 100 100 100 100 200 200 200 200');
  const half = await datasets.imageFolder({ dir, imageSize: 3 });
  t.deepEqual(half.shape, [1, 3, 3, 3]);
});

test('a corrupt image fails naming it, unless onBadImage is skip; a FIFO named x.png neither hangs nor passes', async (t) => {
  const dir = await folder();
  writeFileSync(path.join(dir, 'cat', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\n this is not the rest of a PNG', 'latin1'));
  const err = await t.throwsAsync(datasets.imageFolder({ dir, imageSize: S }), { instanceOf: DatasetError });
  t.is(err!.code, 'ERR_POF_DATASET');
  t.regex(err!.message, /cat\/broken\.png: cannot decode the image: .+onBadImage: 'skip'/);
  execFileSync('mkfifo', [path.join(dir, 'dog', 'x.png')]);
  const fifo = await settlesWithin(datasets.imageFolder({ dir, imageSize: S, classes: ['dog'] }).then(() => undefined, (e) => e), 10_000);
  t.true(fifo instanceof DatasetError);
  t.regex((fifo as Error).message, /dog\/x\.png: .*FIFO/);
  const progress: number[] = [];
  const set = await settlesWithin(datasets.imageFolder({ dir, imageSize: S, onBadImage: 'skip', onProgress: (p) => progress.push(p.skipped) }), 10_000);
  t.deepEqual(set.files, ['cat/grey.png', 'cat/rgb.png', 'cat/rgba.png', 'dog/nested/webp.webp']);
  t.deepEqual(set.skipped.map((s) => s.file), ['cat/broken.png', 'dog/x.png']);
  t.regex(set.skipped[1].reason, /FIFO/);
  t.deepEqual(progress, [2]);
  t.deepEqual(set.shape, [4, 3, S, S]);
  t.deepEqual(example(set, 3), webp);
});

test('links to folders and files are followed; a dangling link is a bad image', async (t) => {
  const dir = await folder();
  const other = tempDir('image-folder-linked');
  await writeImage(path.join(other, 'z.png'), rgb, 3, S, S);
  symlinkSync(other, path.join(dir, 'linked'));
  symlinkSync(path.join(other, 'z.png'), path.join(dir, 'dog', 'link.png'));
  symlinkSync(path.join(other, 'gone.png'), path.join(dir, 'dog', 'dangling.png'));
  const set = await datasets.imageFolder({ dir, imageSize: S, onBadImage: 'skip' });
  t.deepEqual(set.classes, ['cat', 'dog', 'linked']);
  t.deepEqual(set.files.slice(3), ['dog/link.png', 'dog/nested/webp.webp', 'linked/z.png']);
  t.deepEqual(set.skipped.map((s) => s.file), ['dog/dangling.png']);
  t.deepEqual(example(set, 5), rgb);
});

test('folders that hold no classes, an empty class or a missing listed class are DatasetErrors naming them', async (t) => {
  const missing = path.join(tempDir('image-folder-missing'), 'nothing');
  const e1 = await t.throwsAsync(datasets.imageFolder({ dir: missing, imageSize: S }), { instanceOf: FileError });
  t.regex(e1!.message, /nothing: it does not exist \(ENOENT\)/);
  const file = path.join(tempDir('image-folder-file'), 'f.png');
  writeFileSync(file, 'x');
  const e2 = await t.throwsAsync(datasets.imageFolder({ dir: file, imageSize: S }), { instanceOf: FileError });
  t.regex(e2!.message, /f\.png: it is not a directory/);
  const flat = tempDir('image-folder-flat');
  await writeImage(path.join(flat, 'a.png'), rgb, 3, S, S);
  await t.throwsAsync(datasets.imageFolder({ dir: flat, imageSize: S }), { instanceOf: DatasetError, message: /has no class folders; expected one subfolder per class/ });
  const dir = await folder();
  mkdirSync(path.join(dir, 'empty'));
  writeFileSync(path.join(dir, 'empty', 'a.txt'), 'x');
  await t.throwsAsync(datasets.imageFolder({ dir, imageSize: S }), { instanceOf: DatasetError, message: /class folder .*\/empty holds no images \(expected files ending in \.jpg/ });
  await t.throwsAsync(datasets.imageFolder({ dir, imageSize: S, classes: ['cat', 'cow'] }),
    { instanceOf: DatasetError, message: /class folder 'cow' not found in .* \(its folders: cat, dog, empty\)/ });
});

test('bad options are OptionErrors naming the option and what was expected', async (t) => {
  const dir = await folder();
  const cases: [object, RegExp][] = [
    [{ dir }, /imageSize is required/],
    [{ dir, imageSize: 0 }, /imageSize must be >= 1, got 0/],
    [{ dir, imageSize: [4] }, /imageSize must be a number or \[height, width\]/],
    [{ dir, imageSize: 4, channels: 4 }, /channels must be 1 or 3, got 4/],
    [{ dir, imageSize: 4, onBadImage: 'ignore' }, /onBadImage must be one of 'error', 'skip', got 'ignore'/],
    [{ dir, imageSize: 4, classes: [] }, /classes must be a non-empty array of folder names/],
    [{ dir, imageSize: 4, classes: ['cat', 'cat'] }, /classes names 'cat' twice/],
    [{ dir, imageSize: 4, concurrency: 0 }, /concurrency must be >= 1/],
    [{ dir: 'a\0b', imageSize: 4 }, /dir must be a folder's path/],
    [{ dir, imageSize: 4, size: 4 }, /unknown option 'size'/],
  ];
  for (const [options, message] of cases) {
    await t.throwsAsync(datasets.imageFolder(options as never), { instanceOf: OptionError, message }, JSON.stringify(options));
  }
});

test('without sharp, an image folder is an OptionError saying how to get it', (t) => {
  const script = `const Module = require('module'); const load = Module._load;
    Module._load = function (request, ...rest) { if (request === 'sharp') throw new Error("Cannot find module 'sharp'"); return load.call(this, request, ...rest); };
    require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'data', 'image-folder'))}).imageFolder({ dir: '.', imageSize: 4 })
      .then(() => console.log('loaded'), (e) => console.log(e.code, e.message));`;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  t.regex(out.stdout, /^ERR_POF_OPTION datasets\.imageFolder: image folders need the optional dependency sharp: npm install sharp \(it could not be loaded: Cannot find module 'sharp'\)/);
});

test('an image folder trains as it is (its extra fields are ignored by the trainer)', async (t) => {
  const set = await datasets.imageFolder({ dir: await folder(), imageSize: S });
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 3 * S * S, hidden: [8], numClasses: 2 }), device });
  try {
    const result = await trainer.fit(set, { epochs: 1, batchSize: 2, lr: 0.05 });
    t.is(result.history[0].steps, 2);
    t.true(Number.isFinite(result.history[0].loss));
  } finally {
    trainer.dispose();
  }
});

// sharp goes by content: an SVG named x.png would be rendered by librsvg (an <image href> can name any file).
test('only raster images are decoded: an SVG, a PDF or text named .png is a bad image naming what it is not', async (t) => {
  const dir = await folder();
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="red"/></svg>';
  writeFileSync(path.join(dir, 'cat', 'vector.png'), svg);
  writeFileSync(path.join(dir, 'cat', 'paper.jpg'), '%PDF-1.4\n');
  const err = await t.throwsAsync(datasets.imageFolder({ dir, imageSize: S }), { instanceOf: DatasetError });
  t.regex(err!.message, /cat\/paper\.jpg: is not a JPEG, PNG, WebP, GIF, TIFF or AVIF image \(by its first bytes\)/);
  const set = await datasets.imageFolder({ dir, imageSize: S, onBadImage: 'skip' });
  t.deepEqual(set.skipped.map((s) => s.file), ['cat/paper.jpg', 'cat/vector.png']);
  t.deepEqual(set.files, ['cat/grey.png', 'cat/rgb.png', 'cat/rgba.png', 'dog/nested/webp.webp']);
});

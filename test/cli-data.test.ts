// The user's own data through the CLI (--data): an image folder trained, post-trained and evaluated per class;
// prepared stores with --test-data; an .npz of values; and the refusals, each one line with exit code 2.
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { readCheckpoint } from '../lib/checkpoint/training-checkpoint';
import { tempDir } from './helpers/fixtures';
import { planar, writeImage } from './helpers/image-files';
import { npyBytes, f32Bytes } from './helpers/npy-writer';
import { pof } from './helpers/pof-cli';
import { writeZip } from './helpers/zip-writer';

const CLASSES = ['cat', 'dog', 'fox'];
const SIDE = 8;
const TINY = ['--epochs', '1', '--batch-size', '8', '--model', 'mlp-16'];

/** 3 classes x `perClass` 8x8 PNGs, each class's pixels from its own salt. */
async function imageFolder(perClass: number): Promise<string> {
  const dir = tempDir('cli-data-folder');
  await Promise.all(CLASSES.flatMap((name, k) => Array.from({ length: perClass }, (_, i) =>
    writeImage(path.join(dir, name, `${i}.png`), planar(3, SIDE, SIDE, k * 100 + i), 3, SIDE, SIDE))));
  return dir;
}

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** One line on stderr, exit code 2, the message matching. */
async function refused(t: import('ava').ExecutionContext, args: string[], message: RegExp): Promise<void> {
  const r = await pof(args);
  t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  t.regex(r.stderr, message, args.join(' '));
  t.is(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}`);
}

test('an image folder: train, post-train, eval --per-class naming the classes; class names in config.json and the model', async (t) => {
  const dir = await imageFolder(12);
  const data = ['--data', `imagefolder:${dir}`, '--image-size', String(SIDE)];
  const trained = tempDir('cli-data-train');
  const train = await pof(['train', ...data, ...TINY, '--out', trained, '--force']);
  t.is(train.code, 0, train.stderr);
  const config = json(path.join(trained, 'config.json'));
  t.is(config.dataset, `imagefolder:${dir}`);
  t.deepEqual(config.classes, CLASSES);
  // 10 % of 36 held out (4), by default: no augmentation (a flip is not safe for any image), and measured normalisation.
  t.is(config.trainExamples, 32);
  t.is(config.testExamples, 4);
  t.is(config.data.augmentation, null);
  t.is(config.data.normalization.mean.length, 3);
  t.true(config.data.normalization.std.every((s: number) => s > 0 && s < 1));
  const model = path.join(trained, 'model.safetensors');
  const { info } = await readCheckpoint(model, 'pof');
  t.deepEqual(info.classes, CLASSES);
  t.is(info.dataset, `imagefolder:${dir}`);
  t.deepEqual((await readCheckpoint(path.join(trained, 'checkpoint.safetensors'), 'pof')).info.classes, CLASSES);

  const post = tempDir('cli-data-post');
  const posted = await pof(['post-train', ...data, '--from', model, '--epochs', '1', '--batch-size', '8', '--out', post, '--force']);
  t.is(posted.code, 0, posted.stderr);
  t.deepEqual(json(path.join(post, 'config.json')).classes, CLASSES);

  const evaluated = await pof(['eval', ...data, '--from', path.join(post, 'model.safetensors'), '--per-class']);
  t.is(evaluated.code, 0, evaluated.stderr);
  const result = JSON.parse(evaluated.stdout);
  t.deepEqual(result.perClass.map((c: { name: string }) => c.name), CLASSES);
  t.is(result.perClass.reduce((sum: number, c: { examples: number }) => sum + c.examples, 0), 4);
  for (const name of CLASSES) t.regex(evaluated.stderr, new RegExp(`^\\s+\\d+  ${name}\\s+\\d+\\s+(\\d+\\.\\d\\d|-)$`, 'm'));
});

test('prepared stores: --data with --test-data trains from disk, with the store\'s own normalisation and classes', async (t) => {
  const [train, val] = [await imageFolder(6), await imageFolder(2)];
  const store = tempDir('cli-data-store');
  for (const [src, out] of [[train, 'train'], [val, 'val']]) {
    const r = await pof(['prepare', src, path.join(store, out), '--image-size', String(SIDE)]);
    t.is(r.code, 0, r.stderr);
  }
  const out = tempDir('cli-data-prepared');
  const r = await pof(['train', '--data', `prepared:${store}/train`, '--test-data', `prepared:${store}/val`, ...TINY, '--out', out, '--force']);
  t.is(r.code, 0, r.stderr);
  const config = json(path.join(out, 'config.json'));
  const manifest = json(path.join(store, 'train', 'manifest.json'));
  t.deepEqual(config.classes, CLASSES);
  t.deepEqual(config.data.normalization, { mean: manifest.mean, std: manifest.std });
  t.is(config.trainExamples, 18);
  t.is(config.testExamples, 6);
  await refused(t, ['train', '--data', `prepared:${store}/train`, '--test-data', `prepared:${store}/val`, '--train-size', '4', ...TINY, '--out', out, '--force'],
    /^pof: --train-size does not apply to prepared:.*: a prepared store is read from disk/);
});

test('in memory, the training split\'s normalisation is the one prepare measures; --augment imagenet --crop centre-crops the test split', async (t) => {
  const [train, val] = [await imageFolder(4), await imageFolder(1)];
  const store = path.join(tempDir('cli-data-measured'), 'store');
  const prepared = await pof(['prepare', train, store, '--image-size', String(SIDE)]);
  t.is(prepared.code, 0, prepared.stderr);
  const manifest = json(path.join(store, 'manifest.json'));
  const data = ['--data', `imagefolder:${train}`, '--test-data', `imagefolder:${val}`, '--image-size', String(SIDE), '--augment', 'imagenet', '--crop', '6'];
  const out = tempDir('cli-data-crop');
  const r = await pof(['train', ...data, ...TINY, '--out', out, '--force']);
  t.is(r.code, 0, r.stderr);
  const config = json(path.join(out, 'config.json'));
  t.deepEqual(config.data.normalization, { mean: manifest.mean, std: manifest.std });
  t.is(config.data.augmentation.resizedCrop.size, 6);
  t.is(config.data.centerCrop, 6);
  t.is(config.model.inputDim, 3 * 6 * 6);  // the model takes the crop
  t.is(config.testExamples, 3);
  const model = path.join(out, 'model.safetensors');
  const evaluated = await pof(['eval', ...data, '--from', model]);
  t.is(evaluated.code, 0, evaluated.stderr);
  t.is(JSON.parse(evaluated.stdout).error, json(path.join(out, 'final.json')).error);
  // Without --crop, eval follows the crop the model records; a --crop that contradicts it is refused.
  const own = ['eval', '--data', `imagefolder:${train}`, '--test-data', `imagefolder:${val}`, '--image-size', String(SIDE), '--from', model];
  const followed = await pof(own);
  t.is(followed.code, 0, followed.stderr);
  t.is(JSON.parse(followed.stdout).error, json(path.join(out, 'final.json')).error);
  await refused(t, [...own, '--augment', 'imagenet', '--crop', '7'], /^pof: --crop 7 contradicts the --from model, trained with crop 6; leave --crop out to follow the model, or pass --override-pipeline/);
  // Overridden, the test split's 8x8 examples do not fit the model, and eval says so.
  const uncropped = await pof([...own, '--override-pipeline']);
  t.is(uncropped.code, 2);
  t.regex(uncropped.stderr, /has examples of shape \[3, 8, 8\] \(192 values\), but the model mlp .* takes 108 values per example/);
  const plain = tempDir('cli-data-plain');
  const none = await pof(['train', ...data.slice(0, 6), '--normalize', 'none', '--augment', 'none', ...TINY, '--out', plain, '--force']);
  t.is(none.code, 0, none.stderr);
  t.is(json(path.join(plain, 'config.json')).data.normalization, null);
  t.is(json(path.join(plain, 'config.json')).data.augmentation, null);
});

test('an .npz of values trains with the model sized from its shape; pixels-only augmentation is refused for values', async (t) => {
  const n = 40;
  const values = Array.from({ length: n * 4 }, (_, i) => ((i * 7) % 11) / 11);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 2);
  const file = path.join(tempDir('cli-data-npz'), 'data.npz');
  writeFileSync(file, writeZip({
    'x.npy': npyBytes({ descr: '<f4', shape: [n, 4], data: f32Bytes(values) }),
    'y.npy': npyBytes({ descr: '|u1', shape: [n], data: labels }),
  }));
  const out = tempDir('cli-data-values');
  const r = await pof(['train', '--data', `npz:${file}`, '--val-fraction', '0.25', ...TINY, '--out', out, '--force']);
  t.is(r.code, 0, r.stderr);
  const config = json(path.join(out, 'config.json'));
  t.is(config.dataset, `npz:${file}`);
  t.is(config.testExamples, 10);
  t.is(config.data.kind, 'values');
  t.is(config.data.augmentation, null);
  t.is(config.classes, undefined);
  const analysed = await pof(['analyze', '--data', `npz:${file}`, '--val-fraction', '0.25', '--from', path.join(out, 'model.safetensors'),
    '--analyses', 'hessian', '--k', '2', '--hessian-examples', '16', '--out', tempDir('cli-data-analysis')]);
  t.is(analysed.code, 0, analysed.stderr);
  const other = path.join(path.dirname(file), 'wide.npz');
  writeFileSync(other, writeZip({
    'x.npy': npyBytes({ descr: '<f4', shape: [2, 5], data: f32Bytes(values.slice(0, 10)) }),
    'y.npy': npyBytes({ descr: '|u1', shape: [2], data: labels.subarray(0, 2) }),
  }));
  await refused(t, ['train', '--data', `npz:${file}`, '--test-data', `npz:${other}`, ...TINY, '--out', out, '--force'],
    /^pof: npz:.*wide.npz holds values \(5\) examples; expected values \(4\) as in npz:/);
  await refused(t, ['train', '--data', `npz:${file}`, '--augment', 'flip', ...TINY, '--out', out, '--force'],
    /^pof: --augment flip applies to pixels only; npz:.* holds values/);
});

test('npy: pixels with --stream train from their files exactly as read into memory, normalised with the same measured mean/std', async (t) => {
  const dir = tempDir('cli-data-stream');
  const write = (name: string, n: number, salt: number) => {
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
    const pixels = Uint8Array.from({ length: n * 3 * SIDE * SIDE }, (_, i) => (i * 37 + salt + labels[Math.floor(i / (3 * SIDE * SIDE))] * 60) % 256);
    const x = path.join(dir, `${name}-x.npy`), y = path.join(dir, `${name}-y.npy`);
    writeFileSync(x, npyBytes({ descr: '|u1', shape: [n, 3, SIDE, SIDE], data: pixels }));
    writeFileSync(y, npyBytes({ descr: '|u1', shape: [n], data: labels }));
    return `npy:${x},${y}`;
  };
  const data = ['--data', write('train', 30, 1), '--test-data', write('test', 9, 2)];
  const runs = [];
  for (const flags of [[], ['--stream']]) {
    const out = tempDir('cli-data-stream-run');
    const r = await pof(['train', ...data, ...flags, ...TINY, '--out', out, '--force']);
    t.is(r.code, 0, r.stderr);
    runs.push({ config: json(path.join(out, 'config.json')), final: json(path.join(out, 'final.json')), model: path.join(out, 'model.safetensors') });
  }
  const [memory, streamed] = runs;
  t.is(streamed.config.data.stream, true);
  t.is(memory.config.data.stream, false);
  t.deepEqual(streamed.config.data.normalization, memory.config.data.normalization, 'the mean/std measured from the file, as in memory');
  t.is(streamed.config.data.augmentation, null);
  t.deepEqual(streamed.final, memory.final);
  const evaluated = await pof(['eval', ...data, '--stream', '--from', streamed.model]);
  t.is(evaluated.code, 0, evaluated.stderr);
  t.is(JSON.parse(evaluated.stdout).error, streamed.final.error);
  await refused(t, ['analyze', ...data, '--stream', '--from', streamed.model, '--analyses', 'hessian', '--out', tempDir('cli-data-stream-analysis')],
    /^pof: analyze reads the data in memory, and this data is read from disk: .* or leave --stream out/);
});

test('the refusals: both or neither of --dataset and --data, a bad spec, missing --image-size, --model or --test-data', async (t) => {
  const out = tempDir('cli-data-refused');
  const cases: [string[], RegExp][] = [
    [['train', '--dataset', 'toy', '--data', 'npz:x.npz', '--out', out], /^pof: give --dataset NAME \(the paper's datasets\) or --data SPEC \(your own\), not both/],
    [['eval', '--from', 'm.safetensors'], /^pof: eval needs --dataset NAME \(.*\) or --data SPEC \(imagefolder:DIR, prepared:DIR, npz:FILE or npy:/],
    [['train', '--data', 'csv:x.csv', '--model', 'mlp-4', '--out', out], /^pof: --data must be imagefolder:DIR, prepared:DIR, npz:FILE or npy:INPUTS.npy,LABELS.npy, got 'csv:x.csv'/],
    [['train', '--data', 'npy:only.npy', '--model', 'mlp-4', '--out', out], /^pof: --data must be .* got 'npy:only.npy'/],
    [['train', '--data', 'imagefolder:/tmp', '--model', 'mlp-4', '--out', out], /^pof: imagefolder: data needs --image-size S or HxW/],
    [['train', '--data', 'prepared:/tmp/store', '--model', 'mlp-4', '--out', out],
      /^pof: --data prepared:\/tmp\/store is read from disk .* give the test split as --test-data SPEC \(prepare the train\/ and val\/ folders as two stores/],
    [['train', '--data', 'npz:x.npz', '--out', out], /^pof: --data needs --model: wrn-<depth>-<widen>, mlp-<width>-/],
    [['train', '--data', 'npz:x.npz', '--data-dir', '/tmp', '--model', 'mlp-4', '--out', out], /^pof: --data-dir applies to --dataset only/],
    [['train', '--dataset', 'toy', '--augment', 'flip', '--out', out], /^pof: --augment applies to --data only/],
    [['train', '--data', 'npz:x.npz', '--test-data', 'npz:y.npz', '--val-fraction', '0.2', '--model', 'mlp-4', '--out', out],
      /^pof: --val-fraction applies without --test-data only/],
    [['train', '--data', 'npz:x.npz', '--val-fraction', '1', '--model', 'mlp-4', '--out', out], /^pof: --val-fraction must be a number > 0 and < 1, got 1/],
    [['train', '--data', 'npz:x.npz', '--image-size', '8', '--model', 'mlp-4', '--out', out], /^pof: --image-size applies to imagefolder: data only/],
    [['train', '--data', 'npz:x.npz', '--crop', '8', '--model', 'mlp-4', '--out', out], /^pof: --crop applies with --augment imagenet only/],
    [['train', '--data', 'imagefolder:/tmp', '--image-size', '8', '--stream', '--model', 'mlp-4', '--out', out], /^pof: --stream applies to npy: and npz: data only/],
    [['train', '--data', 'npy:x.npy,y.npy', '--stream', '--model', 'mlp-4', '--out', out],
      /^pof: --data npy:x\.npy,y\.npy is read from disk a batch at a time .* --test-data SPEC \(or leave --stream out\)/],
    [['train', '--data', 'npz:x.npz', '--stream', '--model', 'mlp-4', '--out', out], /^pof: --data npz:x\.npz is read from disk a batch at a time/],
    [['train', '--data', 'npy:x.npy,y.npy', '--test-data', 'npy:a.npy,b.npy', '--stream', '--train-size', '4', '--model', 'mlp-4', '--out', out],
      /^pof: --train-size does not apply to npy:x\.npy,y\.npy: it is streamed from disk \(--stream\)/],
  ];
  for (const [args, message] of cases) await refused(t, args, message);
});

// A network trained on raw pixels and evaluated on normalised ones errs silently (84 % instead of 18 % on digits):
// the model records its input pipeline, and the commands that continue it follow it.
test('the input pipeline goes with the model: eval and post-train follow it, a contradicting flag is refused, --override-pipeline overrides', async (t) => {
  const dir = await imageFolder(8);
  const data = ['--data', `imagefolder:${dir}`, '--image-size', String(SIDE)];
  const trained = tempDir('cli-data-pipeline');
  const train = await pof(['train', ...data, '--normalize', 'none', '--channels', '1', ...TINY, '--out', trained, '--force']);
  t.is(train.code, 0, train.stderr);
  t.regex(train.stderr, /^train: inputs pixels \[1, 8, 8\], x\/255, not normalised, no augmentation$/m);
  const model = path.join(trained, 'model.safetensors');
  const { info } = await readCheckpoint(model, 'pof');
  t.deepEqual(info.pipeline, { kind: 'pixels', example: [1, 8, 8], normalization: null, centerCrop: null, augmentation: null });
  t.deepEqual(json(path.join(trained, 'config.json')).pipeline, info.pipeline);
  const trainedError = json(path.join(trained, 'final.json')).error;

  // eval without --normalize follows the model; --normalize measured contradicts it.
  const evaluated = await pof(['eval', ...data, '--channels', '1', '--from', model]);
  t.is(evaluated.code, 0, evaluated.stderr);
  t.is(JSON.parse(evaluated.stdout).error, trainedError);
  await refused(t, ['eval', ...data, '--channels', '1', '--normalize', 'measured', '--from', model],
    /^pof: --normalize measured contradicts the --from model, trained with pixels \/ 255, not normalised; leave --normalize out to follow the model, or pass --override-pipeline/);
  // Data prepared otherwise (3 channels) is refused naming what differs, before any model is built.
  await refused(t, ['eval', ...data, '--from', model], /^pof: imagefolder:.* is prepared otherwise than the --from model was trained on: inputs: pixels \[1, 8, 8\] recorded vs pixels \[3, 8, 8\] given; give the data flags it was trained with, or --override-pipeline to use these/);
  const overridden = await pof(['eval', ...data, '--channels', '1', '--normalize', 'measured', '--override-pipeline', '--from', model]);
  t.is(overridden.code, 0, overridden.stderr);

  // post-train follows it too: its before-PoF evaluation is the trained model's own, recorded in final.json.
  const post = tempDir('cli-data-pipeline-post');
  const posted = await pof(['post-train', ...data, '--channels', '1', '--from', model, '--epochs', '1', '--batch-size', '8', '--out', post, '--force']);
  t.is(posted.code, 0, posted.stderr);
  t.regex(posted.stderr, new RegExp(`test error ${trainedError.toFixed(2)} % before PoF`));
  t.regex(posted.stderr, /postTrain epoch 1\/1, lr .*, perturbed loss \d+\.\d+, perturbed error/);
  const final = json(path.join(post, 'final.json'));
  t.is(final.beforePoF.error, trainedError);
  t.deepEqual((await readCheckpoint(path.join(post, 'model.safetensors'), 'pof')).info.pipeline, info.pipeline);
});

test('a refused command leaves no config.json behind: the corrected one needs no --force', async (t) => {
  const dir = await imageFolder(4);
  const out = path.join(tempDir('cli-data-refused'), 'run');
  const wrong = await pof(['train', '--data', `imagefolder:${dir}`, '--image-size', String(SIDE), ...TINY, '--batch-size', '1000', '--out', out]);
  t.not(wrong.code, 0);
  t.false(existsSync(path.join(out, 'config.json')));
  const right = await pof(['train', '--data', `imagefolder:${dir}`, '--image-size', String(SIDE), ...TINY, '--out', out]);
  t.is(right.code, 0, right.stderr);
  t.true(existsSync(path.join(out, 'config.json')));
});

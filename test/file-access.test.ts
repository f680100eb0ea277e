// Files that are not regular files: a save never replaces one, a read never blocks on a FIFO or streams a
// device, and each is one FileError (or the reader's own error kind) naming the path and what it is.
// FIFOs and symbolic links stand in for devices here: replacing /dev/null to test it would break the machine.
import test from 'ava';
import { execFileSync } from 'child_process';
import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'fs';
import * as path from 'path';
import { datasets, FileError, models, PoFError, PoFTrainer } from '../lib';
import { writeFileAtomic } from '../lib/checkpoint/atomic';
import { readRegularFile } from '../lib/file-access';
import { tempDir } from './helpers/fixtures';
import { pof } from './helpers/pof-cli';
import { settlesWithin } from './helpers/settles-within';
import { blobs, testDevice as device } from './helpers/synthetic';

const dir = tempDir('file-access');
const fifo = path.join(dir, 'a-fifo');
execFileSync('mkfifo', [fifo]);
const loop = path.join(dir, 'loop');
symlinkSync(loop, loop);
const aDir = path.join(dir, 'a-dir');
mkdirSync(aDir);
const mlp = () => models.mlp({ inputDim: 6, hidden: [8], numClasses: 3 });

test('a save onto a FIFO, a directory or a symbolic-link loop is a FileError and leaves it as it was', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  for (const [target, what] of [[fifo, /a FIFO \(named pipe\), not a regular file/], [aDir, /a directory, not a file/],
    [loop, /too many symbolic links \(ELOOP\)/]] as const) {
    const error = await t.throwsAsync(trainer.save(target), { instanceOf: FileError });
    t.regex(error!.message, what);
    t.true(error!.message.includes(target), error!.message);
  }
  t.true(statSync(fifo).isFIFO());
  t.true(statSync(aDir).isDirectory());
  t.true(lstatSync(loop).isSymbolicLink());
});

test('the periodic checkpoint target is checked before training: a FIFO there is refused, nothing runs', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  let epochs = 0;
  await t.throwsAsync(trainer.fit(blobs(32, 6, 3, 1), { epochs: 1, batchSize: 8, checkpoint: { path: fifo }, onEpoch: () => { epochs += 1; } }),
    { instanceOf: FileError, message: /a FIFO/ });
  t.is(epochs, 0);
  t.true(statSync(fifo).isFIFO());
});

test('a save through a symbolic link replaces the regular file it leads to and keeps the link', async (t) => {
  const real = path.join(dir, 'real.safetensors');
  const link = path.join(dir, 'link.safetensors');
  writeFileSync(real, 'old contents');
  symlinkSync(real, link);
  const trainer = new PoFTrainer({ model: mlp(), device });
  await trainer.save(link);
  t.true(lstatSync(link).isSymbolicLink());
  t.not(readFileSync(real, 'utf8'), 'old contents');
  const info = await new PoFTrainer({ model: mlp(), device }).load(real);
  t.is(info.kind, 'weights');
});

test('writeFileAtomic refuses a character device without opening it for writing', async (t) => {
  // /dev/null is only stat'ed here: the check comes before any temporary file or rename.
  await t.throwsAsync(writeFileAtomic('/dev/null', new Uint8Array(4)), { instanceOf: FileError, message: /cannot write \/dev\/null: it is a character device, not a regular file/ });
  t.true(statSync('/dev/null').isCharacterDevice());
});

test('loading, resuming from or reading a dataset file that is a FIFO or a device fails at once, without blocking', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  const fifoError = await t.throwsAsync(settlesWithin(trainer.load(fifo)));
  t.true(fifoError instanceof PoFError, String(fifoError));
  t.regex(fifoError!.message, /a FIFO \(named pipe\), not a regular file/);
  await t.throwsAsync(settlesWithin(trainer.load('/dev/zero')), { message: /\/dev\/zero: it is a character device, not a regular file/ });
  await t.throwsAsync(settlesWithin(trainer.fit(blobs(32, 6, 3, 1), { epochs: 1, batchSize: 8, resume: fifo })), { message: /a FIFO/ });
  await t.throwsAsync(settlesWithin(trainer.importPyTorch('/dev/zero')), { instanceOf: PoFError });
  const fifos = path.join(dir, 'fashion-fifos');
  mkdirSync(fifos);
  for (const name of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    execFileSync('mkfifo', [path.join(fifos, name)]);
  }
  // A FIFO under an expected name is not a missing file: it is named for what it is.
  await t.throwsAsync(settlesWithin(datasets.fashionMnist(fifos)), { instanceOf: FileError, message: /train-images-idx3-ubyte\.gz: it is a FIFO/ });
  await t.throwsAsync(settlesWithin(readRegularFile(fifo)), { instanceOf: FileError, message: /a FIFO/ });
});

test('a whole-file read over its limit is refused before anything is allocated', async (t) => {
  const file = path.join(dir, 'big.bin');
  writeFileSync(file, Buffer.alloc(1000));
  await t.throwsAsync(readRegularFile(file, { maxBytes: 999 }), { instanceOf: FileError, message: /too large to read into memory \(1000 bytes; at most 999 here\)/ });
  t.is((await readRegularFile(file, { maxBytes: 1000 })).length, 1000);
});

test('pof: --resume or --from a FIFO is one line and exit code 2, not a hang', async (t) => {
  for (const args of [['train', '--dataset', 'toy', '--epochs', '1', '--resume', fifo, '--out', path.join(dir, 'out-1')],
    ['eval', '--dataset', 'toy', '--from', fifo]]) {
    const r = await pof(args, 60_000);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr.trim(), /^pof: .*a FIFO \(named pipe\), not a regular file \(EFTYPE\)$/);
  }
  // The run's config.json beside the checkpoint, read for its seed, is a FIFO.
  const run = path.join(dir, 'run-with-fifo-config');
  t.is((await pof(['train', '--dataset', 'toy', '--epochs', '1', '--batch-size', '64', '--out', run], 60_000)).code, 0);
  const config = path.join(run, 'config.json');
  execFileSync('rm', [config]);
  execFileSync('mkfifo', [config]);
  const r = await pof(['train', '--dataset', 'toy', '--epochs', '2', '--resume', path.join(run, 'checkpoint.safetensors'), '--out', path.join(dir, 'out-2')], 60_000);
  t.is(r.code, 2, r.stderr);
  t.is(r.stderr.trim(), `pof: the run directory: cannot read ${config}: it is a FIFO (named pipe), not a regular file (EFTYPE)`);
});

test('a TorchScript model file that is a FIFO is refused before LibTorch opens it (it would block the main thread)', (t) => {
  t.throws(() => models.torchScript({ file: fifo, inputShape: [4] }), { instanceOf: FileError, message: /models\.torchScript: cannot read .*a-fifo: it is a FIFO/ });
});

test('a path with a NUL byte is a FileError, not a raw TypeError', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  await t.throwsAsync(trainer.load('model\0.safetensors'), { instanceOf: PoFError, message: /a path cannot hold a NUL byte/ });
  await t.throwsAsync(writeFileAtomic(path.join(dir, 'x\0y'), new Uint8Array(1)), { instanceOf: FileError, message: /a path cannot hold a NUL byte/ });
});

test('pof with no command prints the overview to stderr and exits 2', async (t) => {
  const r = await pof([], 60_000);
  t.is(r.code, 2);
  t.regex(r.stderr, /^usage: pof <command> \[options\]/);
  t.is(r.stdout, '');
});

// Every entry point that takes a path, given every kind of path that is not a regular file: each answers
// with a PoFError naming the path, within seconds (a FIFO must not block, a device must not stream), and
// leaves what it was given as it was. The entry points and the kinds are two tables: a new entry point
// added to READERS or WRITERS is swept with every kind, and a new kind reaches every entry point.
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import { lstatSync, mkdirSync, readlinkSync, Stats, symlinkSync, writeFileSync } from 'fs';
import * as net from 'net';
import * as path from 'path';
import { datasets, FileError, models, PoFError, PoFTrainer } from '../lib';
import * as plot from '../lib/plot';
import { tempDir } from './helpers/fixtures';
import { blobs, testDevice as device } from './helpers/synthetic';

const root = tempDir('special-paths');
const mlp = () => models.mlp({ inputDim: 6, hidden: [8], numClasses: 3 });
let sockets: net.Server[] = [];

/** A kind of path: how to make one at `at`, and the words the error must use for it. */
interface Kind { name: string; make(at: string): void | Promise<void>; says: RegExp }

const KINDS: Kind[] = [
  { name: 'a FIFO', make: (at) => execFileSync('mkfifo', [at]), says: /a FIFO \(named pipe\), not a regular file/ },
  { name: 'a link to /dev/zero (endless)', make: (at) => symlinkSync('/dev/zero', at), says: /a character device, not a regular file/ },
  { name: 'a link to /dev/urandom', make: (at) => symlinkSync('/dev/urandom', at), says: /a character device, not a regular file/ },
  { name: 'a link to /dev/null', make: (at) => symlinkSync('/dev/null', at), says: /a character device, not a regular file/ },
  { name: 'a directory', make: (at) => mkdirSync(at), says: /a directory/ },
  { name: 'a symbolic-link loop', make: (at) => symlinkSync(at, at), says: /too many symbolic links \(ELOOP\)/ },
  {
    name: 'a socket',
    make: (at) => new Promise((resolve) => { const s = net.createServer(); sockets.push(s); s.listen(at, resolve); }),
    says: /a socket, not a regular file/,
  },
];

/** How an entry point meets a special path: the file itself, or a dataset directory whose files are all of that kind. */
interface EntryPoint { name: string; files?: string[]; call(target: string): Promise<unknown> }

/** A TorchScript MLP to export (the sweep leaves exportTorchScript out where python3 has no torch). */
const torchScriptFile = ((): string | undefined => {
  const file = path.join(root, 'mlp.pt');
  const script = `import torch
from export_torchscript import export
export(torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)), classifier="2", file=${JSON.stringify(file)},
       example_input=torch.randn(2, 6))`;
  writeFileSync(`${file}.py`, script);
  const env = { ...process.env, PYTHONPATH: path.resolve(__dirname, '..', '..', 'python') };
  return spawnSync('python3', [`${file}.py`], { stdio: 'ignore', env }).status === 0 ? file : undefined;
})();

/** The same MLP exported with torch.export (the sweep leaves exportProgram out where python3 has no torch). */
const exportedFile = ((): string | undefined => {
  const file = path.join(root, 'mlp.pt2');
  const made = spawnSync('python3', [path.resolve(__dirname, '..', '..', 'python', 'export_program.py'), '--model',
    'nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))', '--input-shape', '6', '--classifier', '2', '--out', file], { stdio: 'ignore' });
  return made.status === 0 ? file : undefined;
})();

const IDX = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

const READERS: EntryPoint[] = [
  { name: 'trainer.load', call: (p) => new PoFTrainer({ model: mlp(), device }).load(p) },
  { name: 'fit({ resume })', call: (p) => new PoFTrainer({ model: mlp(), device }).fit(blobs(16, 6, 3, 1), { epochs: 1, batchSize: 8, resume: p }) },
  { name: 'trainer.importPyTorch', call: (p) => new PoFTrainer({ model: mlp(), device }).importPyTorch(p) },
  { name: 'importPyTorch({ features, classifier })', call: (p) => new PoFTrainer({ model: mlp(), device }).importPyTorch({ features: p, classifier: p }) },
  { name: 'models.torchScript', call: async (p) => new PoFTrainer({ model: models.torchScript({ file: p, inputShape: [6] }), device }) },
  { name: 'models.exported', call: async (p) => new PoFTrainer({ model: models.exported({ file: p, classifier: '2' }), device }) },
  { name: 'datasets.mnist', files: IDX, call: (dir) => datasets.mnist(dir) },
  { name: 'datasets.fashionMnist', files: IDX, call: (dir) => datasets.fashionMnist(dir) },
  { name: 'datasets.cifar10', files: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'], call: (dir) => datasets.cifar10(dir) },
  { name: 'datasets.cifar100', files: ['train.bin', 'test.bin'], call: (dir) => datasets.cifar100(dir) },
  { name: 'datasets.svhn', files: ['train_32x32.mat', 'test_32x32.mat'], call: (dir) => datasets.svhn(dir) },
  { name: 'datasets.fromNpy({ inputs, labels })', call: (p) => datasets.fromNpy({ inputs: p, labels: p }) },
  { name: 'datasets.fromNpy({ file })', call: (p) => datasets.fromNpy({ file: p }) },
  { name: 'datasets.fromNpy({ inputs, labels, stream })', call: (p) => datasets.fromNpy({ inputs: p, labels: p, stream: true }) },
  { name: 'datasets.prepared', files: ['manifest.json', 'inputs.npy', 'labels.npy'], call: (dir) => datasets.prepared(dir) },
];

const WRITERS: EntryPoint[] = [
  { name: 'trainer.save', call: (p) => new PoFTrainer({ model: mlp(), device }).save(p) },
  { name: 'trainer.save({ training })', call: (p) => new PoFTrainer({ model: mlp(), device }).save(p, { training: true }) },
  ...(torchScriptFile ? [{ name: 'trainer.exportTorchScript', call: (p: string) => new PoFTrainer({ model: models.torchScript({ file: torchScriptFile!, inputShape: [6] }), device }).exportTorchScript(p) }] : []),
  ...(exportedFile ? [{ name: 'trainer.exportProgram', call: (p: string) => new PoFTrainer({ model: models.exported({ file: exportedFile!, classifier: '2' }), device }).exportProgram(p) }] : []),
  { name: 'fit({ checkpoint })', call: (p) => new PoFTrainer({ model: mlp(), device }).fit(blobs(16, 6, 3, 1), { epochs: 1, batchSize: 8, checkpoint: { path: p } }) },
];

/** Settles within `ms` or fails: a read that blocks on a FIFO would hang the test instead. */
function settlesWithin<T>(work: Promise<T>, ms = 10_000): Promise<T> {
  return Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still blocked after ${ms} ms`)), ms).unref())]);
}

/** What a path is, to compare before and after: its type, and where a link leads. */
function shapeOf(at: string): string {
  const s: Stats = lstatSync(at);
  const type = s.isFIFO() ? 'fifo' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? `link->${readlinkSync(at)}` : s.isSocket() ? 'socket' : s.isFile() ? 'file' : 'other';
  return type;
}

let counter = 0;
async function sweep(entryPoints: EntryPoint[], t: { log(...s: string[]): void }): Promise<string[]> {
  const problems: string[] = [];
  let calls = 0;
  for (const entry of entryPoints) {
    for (const kind of KINDS) {
      const place = path.join(root, `case-${counter += 1}`);
      mkdirSync(place);
      const targets = (entry.files ?? ['the-file']).map((f) => path.join(place, f));
      for (const target of targets) await kind.make(target);
      const before = targets.map(shapeOf);
      const arg = entry.files ? place : targets[0];
      const label = `${entry.name}(${kind.name})`;
      calls += 1;
      let error: unknown;
      try {
        await settlesWithin(entry.call(arg));
        problems.push(`${label}: succeeded`);
        continue;
      } catch (e) {
        error = e;
      }
      const message = (error as Error)?.message ?? String(error);
      if (!(error instanceof PoFError)) problems.push(`${label}: ${(error as Error)?.constructor?.name}: ${message}`);
      else if (error.code === 'ERR_POF_INTERNAL') problems.push(`${label}: an internal error: ${message}`);
      else if (!kind.says.test(message)) problems.push(`${label}: does not say ${kind.says}: ${message}`);
      else if (!targets.some((f) => message.includes(f))) problems.push(`${label}: does not name the path: ${message}`);
      const after = targets.map(shapeOf);
      if (after.join() !== before.join()) problems.push(`${label}: changed ${before} into ${after}`);
    }
  }
  t.log(`${calls} calls (${entryPoints.length} entry points x ${KINDS.length} kinds), ${problems.length} problems`);
  return problems;
}

test.after.always(() => {
  for (const s of sockets) s.close();
  sockets = [];
});

test.serial('every path a reader takes: a special file is a PoFError naming it and what it is, at once', async (t) => {
  t.deepEqual(await sweep(READERS, t), []);
});

test.serial('every path a writer takes: a special file is refused and left as it was (never replaced by a regular file)', async (t) => {
  t.deepEqual(await sweep(WRITERS, t), []);
  t.true(lstatSync('/dev/null').isCharacterDevice());
});

// Node's recursive mkdir retries forever where the kernel answers ENOENT under a directory that exists.
test.serial('a directory to create under /proc/self is refused at once, naming what does not take it', async (t) => {
  const where = '/proc/self/pof-special-paths/sub';
  const makers: [string, () => Promise<unknown>][] = [
    ['fit({ checkpoint: { dir } })', () => new PoFTrainer({ model: mlp(), device }).fit(blobs(16, 6, 3, 1), { epochs: 1, batchSize: 8, checkpoint: { dir: where } })],
    ['fit({ tensorboard })', () => new PoFTrainer({ model: mlp(), device }).fit(blobs(16, 6, 3, 1), { epochs: 1, batchSize: 8, tensorboard: where })],
    ['plot.writeFigure', () => plot.writeFigure(where, 'figure', { mark: 'point', data: { values: [{ x: 1, y: 1 }] } } as never)],
  ];
  for (const [name, make] of makers) {
    const error = await t.throwsAsync(settlesWithin(make()), { instanceOf: FileError }, name);
    t.regex(error?.message ?? '', /^(\w+: )?cannot create (the [\w ]+ )?\/proc\/self\/pof-special-paths\/sub: cannot write to \/proc\/self: operation not permitted \(EPERM\)$/, name);
  }
});

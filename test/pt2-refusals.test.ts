// A torch.export archive (.pt2) given where a TorchScript module, a pof-torch checkpoint or a torch.save
// file is expected says what it is and which option takes it (models.exported, --model export:FILE), at
// every door of the API and the CLI. The archive is told by its central directory alone, read from the
// file's end. The doors' cases need python3 with torch, to write a real .pt2 (skipped otherwise).
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'fs';
import * as path from 'path';
import { CheckpointError, models, PoFTrainer } from '../lib';
import { pt2ArchiveFile, pt2ArchiveIn } from '../lib/checkpoint/pt2-archive';
import { ZipArchive } from '../lib/checkpoint/zip';
import { readTailSync } from '../lib/file-access';
import { tempDir } from './helpers/fixtures';
import { pof } from './helpers/pof-cli';
import { blobs } from './helpers/synthetic';
import { writeZip } from './helpers/zip-writer';

const hasTorch = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const withTorch = hasTorch ? test : test.skip;
if (!hasTorch) console.warn('pt2-refusals: python3 has no torch; the cases on a real .pt2 are skipped');

const dir = tempDir('pt2-refusals-');
const fixtures = path.resolve(__dirname, '../../test/fixtures');
const torchSave = path.join(fixtures, 'wrn_state_dict.pt');
const text = (s: string) => Buffer.from(s, 'utf8');
const MiB = 1 << 20;

/** `net.pt2` as torch.export.save writes it (one program, 'model') and pof-torch's layout (also 'train'). */
function exportPrograms(): { single: string; pair: string } {
  const single = path.join(dir, 'net.pt2');
  const pair = path.join(dir, 'pair.pt2');
  execFileSync('python3', ['-W', 'ignore', '-c', `
import torch, torch.nn as nn
from torch.export.pt2_archive._package import package_pt2
net = nn.Sequential(nn.Linear(4, 3))
x = (torch.randn(2, 4),)
torch.export.save(torch.export.export(net.eval(), x), ${JSON.stringify(single)})
package_pt2(${JSON.stringify(pair)}, exported_programs={"model": torch.export.export(net.eval(), x), "train": torch.export.export(net.train(), x)})`]);
  return { single, pair };
}

// What every door says of net.pt2 (the path, the option that takes it, and the missing 'train' program).
const refusal = (expected: string) => new RegExp(`\\S*net\\.pt2 is a torch\\.export program \\(\\.pt2\\): a network with its weights, ` +
  `not ${expected}; build the trainer with models\\.exported\\(\\{ file, classifier \\}\\), which takes the archive's weights ` +
  `\\(CLI: --model export:\\S*net\\.pt2 --classifier PATH\\); pof-torch trains archives with two programs, 'model' \\(eval\\) and 'train' ` +
  `\\(this one has 'model'\\): export yours with python/export_program\\.py$`);

// Written once, before the tests (which run concurrently).
let single = '';
let pair = '';
test.before(() => {
  if (hasTorch) ({ single, pair } = exportPrograms());
});

const mlp = () => new PoFTrainer({ model: models.mlp({ inputDim: 4, hidden: [3], numClasses: 3 }) });

test('an archive is a .pt2 by its models/<name>.json entries or an archive_format of "pt2"; other ZIPs and files are not', (t) => {
  const at = (name: string, bytes: Buffer) => { const file = path.join(dir, name); writeFileSync(file, bytes); return file; };
  t.deepEqual(pt2ArchiveFile(at('pair.zip', writeZip({ 'x/models/model.json': text('{}'), 'x/models/train.json': text('{}') }))),
    { programs: ['model', 'train'], trainable: true });
  t.deepEqual(pt2ArchiveFile(at('one.zip', writeZip({ 'x/models/model.json': text('{}'), 'x/archive_format': text('pt2') }))),
    { programs: ['model'], trainable: false });
  // An AOTInductor package: no program, but the format says pt2.
  t.deepEqual(pt2ArchiveFile(at('aoti.zip', writeZip({ 'x/data/aotinductor/model.so': text('elf'), 'x/archive_format': text('pt2\n') }))),
    { programs: [], trainable: false });
  t.is(pt2ArchiveFile(at('other-format.zip', writeZip({ 'x/archive_format': text('zip') }))), undefined);
  t.is(pt2ArchiveFile(at('torch-save.zip', writeZip({ 'x/data.pkl': text('.'), 'x/data/0': text('abcd'), 'x/version': text('3') }))), undefined);
  t.is(pt2ArchiveFile(torchSave), undefined, 'a torch.save checkpoint');
  t.is(pt2ArchiveFile(at('garbage.bin', text('not a zip'))), undefined);
  t.is(pt2ArchiveFile(path.join(dir, 'missing.pt2')), undefined, 'a missing file is left to the door\'s reader');
  t.is(pt2ArchiveIn(text('PK\x03\x04 truncated'), 'truncated.pt2'), undefined);
});

test('only the end of a large archive is read, and a FIFO or a device is not read at all', (t) => {
  for (const zip64 of [false, true]) {
    const file = path.join(dir, `large-${zip64}.pt2`);
    writeFileSync(file, writeZip({ 'x/data/weights/weight_0': Buffer.alloc(3 * MiB, 1), 'x/models/model.json': text('{}'),
      'x/models/train.json': text('{}'), 'x/archive_format': text('pt2') }, { zip64 }));
    t.deepEqual(pt2ArchiveFile(file), { programs: ['model', 'train'], trainable: true }, `zip64 ${zip64}`);
    const tail = readTailSync(file, MiB);
    t.is(tail.bytes.length, MiB);
    t.true(tail.start > 3 * MiB - MiB);
    // The tail's ZIP reads what lies in it and names what does not.
    const zip = new ZipArchive(tail.bytes, file, tail.start);
    t.is(Buffer.from(zip.readStored('x/archive_format', 16, 'a format')).toString(), 'pt2');
    t.throws(() => zip.readStored('x/data/weights/weight_0', 4 * MiB, 'weights'),
      { instanceOf: CheckpointError, message: /local header of 'x\/data\/weights\/weight_0' lies before the last 1048576 bytes, the part of the file read/ });
  }
  const fifo = path.join(dir, 'fifo.pt2');
  execFileSync('mkfifo', [fifo]);
  t.is(pt2ArchiveFile(fifo), undefined, 'a FIFO no one writes to does not block');
  t.is(pt2ArchiveFile('/dev/zero'), undefined, 'an endless device is not read');
});

test('a .pt2 too large to read whole (4.5 GB, sparse) is still named as one by load, resume and importPyTorch, not called too large', async (t) => {
  // The archive written after a 4.5 GB hole, its ZIP64 records' offsets moved by the hole: only its end is real.
  const hole = 4_500_000_000;
  const archive = writeZip({ 'big/models/model.json': text('{}'), 'big/models/train.json': text('{}') }, { zip64: true });
  const end = archive.length;
  archive.writeBigUInt64LE(archive.readBigUInt64LE(end - 50) + BigInt(hole), end - 50);  // the ZIP64 end record: the directory's offset
  archive.writeBigUInt64LE(archive.readBigUInt64LE(end - 34) + BigInt(hole), end - 34);  // the locator: the ZIP64 end record's offset
  const file = path.join(dir, 'big.pt2');
  const fd = openSync(file, 'w');
  writeSync(fd, archive, 0, archive.length, hole);
  closeSync(fd);
  t.true(statSync(file).size > 2 ** 32);
  t.deepEqual(pt2ArchiveFile(file), { programs: ['model', 'train'], trainable: true });
  const named = (expected: string) => new RegExp(`\\S*big\\.pt2 is a torch\\.export program \\(\\.pt2\\): a network with its weights, not ${expected}; ` +
    'build the trainer with models\\.exported');
  const checkpoint = { instanceOf: CheckpointError, code: 'ERR_POF_CHECKPOINT' as const };
  await t.throwsAsync(mlp().load(file), { ...checkpoint, message: new RegExp(`^load: ${named('a pof-torch checkpoint').source}`) });
  await t.throwsAsync(mlp().fit(blobs(16, 4, 3, 1), { epochs: 1, batchSize: 8, resume: file }), { ...checkpoint, message: named('a pof-torch checkpoint') });
  await t.throwsAsync(mlp().importPyTorch(file), { ...checkpoint, message: named('a torch\\.save or safetensors state dict') });
  await t.throwsAsync(mlp().importPyTorch({ features: file, classifier: file }), { ...checkpoint, message: named('a torch\\.save or safetensors state dict') });
  // A file as large that is not a .pt2 is still called too large, with its size and the limit.
  const plain = path.join(dir, 'big.bin');
  const other = openSync(plain, 'w');
  writeSync(other, text('x'), 0, 1, hole);
  closeSync(other);
  await t.throwsAsync(mlp().load(plain), { ...checkpoint, message: /big\.bin: the file is too large to read into memory \(4500000001 bytes; at most \d+ here\)/ });
});

withTorch('API: models.torchScript, load and importPyTorch name a .pt2 and the option that takes it', async (t) => {
  t.deepEqual(pt2ArchiveFile(single), { programs: ['model'], trainable: false });
  t.deepEqual(pt2ArchiveFile(pair), { programs: ['model', 'train'], trainable: true });
  const checkpoint = { instanceOf: CheckpointError, code: 'ERR_POF_CHECKPOINT' as const };

  t.throws(() => models.torchScript({ file: single, inputShape: [4] }),
    { ...checkpoint, message: new RegExp(`^models\\.torchScript: ${refusal('a TorchScript module').source}`) });
  // A spec built by hand is checked the same way, before LibTorch's loader would call the file corrupt.
  t.throws(() => new PoFTrainer({ model: { kind: 'torchScript', file: single, features: 'features', classifier: 'classifier', inputShape: [4] } }),
    { ...checkpoint, message: refusal('a TorchScript module') });
  await t.throwsAsync(mlp().load(single), { ...checkpoint, message: new RegExp(`^load: ${refusal('a pof-torch checkpoint').source}`) });
  await t.throwsAsync(mlp().importPyTorch(single), { ...checkpoint, message: new RegExp(`^${refusal('a torch\\.save checkpoint').source}`) });
  await t.throwsAsync(mlp().importPyTorch({ features: path.join(fixtures, 'fet.pth'), classifier: single }),
    { ...checkpoint, message: refusal('a torch\\.save checkpoint') });

  // pof-torch's own layout (both programs) is told the same, without the hint to re-export it.
  const paired = await t.throwsAsync(mlp().load(pair), { ...checkpoint, message: /pair\.pt2 is a torch\.export program \(\.pt2\).*--model export:\S*pair\.pt2 --classifier PATH\)$/ });
  t.notRegex(paired!.message, /export_program/);
});

withTorch('API: a truncated .pt2 and a ZIP that is not one keep their own errors', async (t) => {
  const truncated = path.join(dir, 'truncated.pt2');
  writeFileSync(truncated, readFileSync(single).subarray(0, 4000));
  const plainZip = path.join(dir, 'plain.zip');
  writeFileSync(plainZip, writeZip({ 'notes/readme.txt': text('hello') }));
  for (const file of [truncated, plainZip]) {
    t.throws(() => new PoFTrainer({ model: models.torchScript({ file, inputShape: [4] }) }),
      { instanceOf: CheckpointError, message: /cannot be loaded as a TorchScript module/ });
    await t.throwsAsync(mlp().load(file), { instanceOf: CheckpointError, message: /is a torch\.save file, not a pof-torch checkpoint/ });
  }
  await t.throwsAsync(mlp().importPyTorch(truncated), { instanceOf: CheckpointError, message: /truncated\.pt2: not a ZIP archive \(no end-of-central-directory record\)/ });
  await t.throwsAsync(mlp().importPyTorch(plainZip), { instanceOf: CheckpointError, message: /plain\.zip: expected one <archive>\/data\.pkl entry, found 0$/ });
});

withTorch('CLI: --model torchscript:, --resume and --from name a .pt2 and --model export:, in one line with exit code 2', async (t) => {
  const toy = ['--dataset', 'toy'];
  const cases: [string[], RegExp][] = [
    [['train', ...toy, '--model', `torchscript:${single}`, '--out', path.join(dir, 'out-1')], new RegExp(`^pof: models\\.torchScript: ${refusal('a TorchScript module').source}`)],
    [['train', ...toy, '--model', 'mlp-32-32', '--resume', single, '--out', path.join(dir, 'out-2')], new RegExp(`^pof: --resume: ${refusal('a pof-torch checkpoint').source}`)],
    [['eval', ...toy, '--from', single], new RegExp(`^pof: ${refusal('weights for --model').source}`)],
    [['post-train', ...toy, '--from', single, '--model', 'mlp-32-32', '--out', path.join(dir, 'out-3')], new RegExp(`^pof: ${refusal('weights for --model').source}`)],
  ];
  for (const [args, message] of cases) {
    const r = await pof(args, 60_000);
    t.is(r.code, 2, `${args.join(' ')}\n${r.stderr}`);
    t.regex(r.stderr.trim(), message);
    t.is(r.stderr.trim().split('\n').length, 1);
  }
});

// TensorBoard event files: CRC-32C against its published check values, the TFRecord framing and Event
// encoding against bytes TensorBoard's own protobuf classes produce, the trainer's `tensorboard` option
// (values, resume, errors), the CLI's OUT/tensorboard/ and OUT/scalars.csv, and, when python3 has the
// tensorboard package, the files as TensorBoard's EventAccumulator reads them.
import test from 'ava';
import { spawn, spawnSync } from 'child_process';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EpochReport, FileError, models, OptionError, PoFTrainer } from '../lib';
import {
  crc32c, decodeEvent, encodeEvent, EventWriter, FILE_VERSION, frameRecord, listEventFiles, maskedCrc32c, pngImage, readRecords,
  TensorBoardEvent,
} from '../lib/tensorboard';
import { tempDir } from './helpers/fixtures';
import { CLI, pof } from './helpers/pof-cli';
import { blobs, testDevice as device } from './helpers/synthetic';

/** Every event of every file in `dir`, in TensorBoard's reading order; each frame's two CRCs must hold. */
function readEvents(dir: string): TensorBoardEvent[] {
  return listEventFiles(dir).flatMap((file) => {
    const bytes = readFileSync(file);
    const scan = readRecords(bytes);
    if (scan.problem !== undefined || scan.end !== bytes.length) throw new Error(`${file}: ${scan.problem}`);
    return scan.records.map(decodeEvent);
  });
}

/** tag → [step, value] in file order. */
function scalarsByTag(events: TensorBoardEvent[]): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  for (const e of events) for (const s of e.scalars ?? []) (out[s.tag] ??= []).push([e.step, s.value]);
  return out;
}

/** What the trainer should have logged for `history`: each scalar rounded to float32, as simple_value stores it. */
function expectedScalars(history: EpochReport[]): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  const add = (tag: string, e: EpochReport, value: number | undefined) => {
    if (value !== undefined) (out[`${e.phase}/${tag}`] ??= []).push([e.epoch, Math.fround(value)]);
  };
  for (const e of history) {
    add('loss', e, e.loss); add('error', e, e.error); add('test_loss', e, e.eval?.loss); add('test_error', e, e.eval?.error);
    add('lr', e, e.lr); add('seconds_per_epoch', e, e.seconds);
    add('xi', e, e.xi); add('reject_rate', e, e.rejectRate); add('perturbation', e, e.perturbation);
  }
  return out;
}

const spec = () => models.mlp({ inputDim: 8, hidden: [16], numClasses: 4 });
const train = blobs(256, 8, 4, 1);
const held = blobs(128, 8, 4, 2);

test('CRC-32C gives the published check values (RFC 3720, B.4)', (t) => {
  t.is(crc32c(Buffer.from('123456789')), 0xe3069283);
  t.is(crc32c(Buffer.alloc(0)), 0);
  t.is(crc32c(Buffer.alloc(32, 0x00)), 0x8a9136aa);
  t.is(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  t.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  t.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

// The hex strings are what tensorboard 2.21's event_pb2 and RecordWriter produce for the same event.
const SCALAR_EVENT = '09000000000000f83f10ac022a0a0a080a0161150000003f';

test('an Event encodes as TensorBoard\'s protobuf classes encode it, and TFRecord frames it with masked CRCs', (t) => {
  const event = { wallTime: 1.5, step: 300, scalars: [{ tag: 'a', value: 0.5 }] };
  const bytes = encodeEvent(event);
  t.is(bytes.toString('hex'), SCALAR_EVENT);
  t.is(frameRecord(bytes).toString('hex'), `1800000000000000a37f4b22${SCALAR_EVENT}64076a3f`);
  t.deepEqual(decodeEvent(bytes), event);
  const image = { tag: 'i', height: 2, width: 3, colorspace: 4, encoded: Buffer.from('89504e47', 'hex') };
  const withImage = encodeEvent({ wallTime: 2, step: 1, images: [image] });
  t.is(withImage.toString('hex'), '09000000000000004010012a130a110a0169220c080210031804220489504e47');
  t.deepEqual(decodeEvent(withImage).images, [image]);
  t.is(maskedCrc32c(Buffer.alloc(0)), 0xa282ead8, 'masking rotates the CRC and adds 0xa282ead8');
});

test('a record cut short or with a flipped byte stops the reading there, naming the problem', (t) => {
  const two = Buffer.concat([frameRecord(Buffer.from('first')), frameRecord(Buffer.from('second'))]);
  t.deepEqual(readRecords(two).records.map(String), ['first', 'second']);
  const cut = readRecords(two.subarray(0, two.length - 2));
  t.deepEqual(cut.records.map(String), ['first']);
  t.is(cut.end, 12 + 5 + 4);
  t.regex(cut.problem!, /record 1 at byte 21: 6 bytes announced, fewer left/);
  const data = Buffer.from(two);
  data[12] ^= 1;
  t.regex(readRecords(data).problem!, /record 0 at byte 0: the CRC of the data does not match/);
  const length = Buffer.from(two);
  length[21] ^= 1;
  t.regex(readRecords(length).problem!, /record 1 .*the CRC of the length does not match/);
});

test('an event file begins with the file version and gets each write appended', async (t) => {
  const dir = path.join(tempDir('tb-writer'), 'nested', 'logs');
  const first = await EventWriter.create(dir);
  const second = await EventWriter.create(dir);
  const base = path.basename(first.file);
  t.regex(base, /^events\.out\.tfevents\.\d{10}\./);
  t.true(base.endsWith(`.${os.hostname()}`), base);
  t.not(second.file, first.file, 'a second file begun in the same second gets its own name');
  const before = Date.now() / 1000;
  await first.write(1, { scalars: [{ tag: 'x/a', value: 0.25 }, { tag: 'x/b', value: 1 / 3 }] });
  await first.write(2, { scalars: [{ tag: 'x/a', value: 0.125 }] });
  const events = readEvents(dir);
  const [version, one, two] = readRecords(readFileSync(first.file)).records.map(decodeEvent);
  t.is(version.fileVersion, FILE_VERSION);
  t.is(version.step, 0);
  t.deepEqual(one.scalars, [{ tag: 'x/a', value: 0.25 }, { tag: 'x/b', value: Math.fround(1 / 3) }]);
  t.is(two.step, 2);
  t.true(one.wallTime >= before - 1 && one.wallTime <= Date.now() / 1000 + 1);
  t.is(events.filter((e) => e.fileVersion === FILE_VERSION).length, 2, 'both files begin with the version');
  await t.throwsAsync(EventWriter.create(path.join(first.file, 'sub')), { instanceOf: FileError, message: /cannot create the directory .*sub/ });
});

test('a PNG becomes an image summary with its size and colour space', (t) => {
  const png = Buffer.alloc(33);
  Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(png);
  png.writeUInt32BE(640, 16);
  png.writeUInt32BE(480, 20);
  png[24] = 8;
  png[25] = 6; // RGBA
  t.like(pngImage('fit/curves', png), { tag: 'fit/curves', width: 640, height: 480, colorspace: 4 });
  t.throws(() => pngImage('x', Buffer.from('GIF89a')), { message: /x: not a PNG image/ });
});

test('fit and postTrain log every epoch\'s scalars under <phase>/<name>; tensorboard is not a setting of the run', async (t) => {
  const dir = tempDir('tb-trainer');
  const logs = path.join(dir, 'tb');
  const trainer = new PoFTrainer({ model: spec(), device, seed: 0 });
  const fit = await trainer.fit(train, { epochs: 2, batchSize: 32, lr: 0.05, evalData: held, tensorboard: logs,
    checkpoint: { path: path.join(dir, 'fit.safetensors') } });
  const post = await trainer.postTrain(train, { epochs: 2, batchSize: 32, tensorboard: logs });
  const events = readEvents(logs);
  t.deepEqual(scalarsByTag(events), expectedScalars([...fit.history, ...post.history]));
  t.deepEqual(Object.keys(scalarsByTag(events)), ['fit/loss', 'fit/error', 'fit/test_loss', 'fit/test_error', 'fit/lr', 'fit/seconds_per_epoch',
    'postTrain/loss', 'postTrain/error', 'postTrain/lr', 'postTrain/seconds_per_epoch', 'postTrain/xi', 'postTrain/reject_rate',
    'postTrain/perturbation']);
  t.is(listEventFiles(logs).length, 2, 'a file per phase');
  const checkpoint = readFileSync(path.join(dir, 'fit.safetensors'));
  const metadata = JSON.parse(checkpoint.toString('utf8', 8, 8 + Number(checkpoint.readBigUInt64LE(0)))).__metadata__;
  t.truthy(metadata.training_options);
  t.false(metadata.training_options.includes('tensorboard'), 'the saved settings leave tensorboard out');
  // A resume may log elsewhere: the setting is not compared.
  const again = await new PoFTrainer({ model: spec(), device, seed: 0 }).fit(train, { resume: path.join(dir, 'fit.safetensors'),
    evalData: held, tensorboard: path.join(dir, 'elsewhere') });
  t.deepEqual(again.history, []);
});

test('a resumed phase drops the epochs logged after its checkpoint, so every step appears once', async (t) => {
  const dir = tempDir('tb-resume');
  const logs = path.join(dir, 'tb');
  const options = { epochs: 3, batchSize: 32, lr: 0.05, tensorboard: logs, checkpoint: { dir: path.join(dir, 'ckpt') } };
  const straight = await new PoFTrainer({ model: spec(), device, seed: 0 }).fit(train, options);
  // What a kill halfway through an append leaves at the end of the file.
  const [file] = listEventFiles(logs);
  writeFileSync(file, Buffer.concat([readFileSync(file), frameRecord(encodeEvent({ wallTime: 0, step: 4, scalars: [{ tag: 'fit/loss', value: 1 }] })).subarray(0, 20)]));
  const other = await EventWriter.create(logs);
  await other.write(3, { scalars: [{ tag: 'mine/loss', value: 7 }] });
  const resumed = await new PoFTrainer({ model: spec(), device, seed: 0 }).fit(train,
    { ...options, resume: path.join(dir, 'ckpt', 'fit-epoch-1.safetensors') });
  const scalars = scalarsByTag(readEvents(logs));
  t.deepEqual(scalars['fit/loss'].map(([step]) => step), [1, 2, 3]);
  t.deepEqual(scalars['fit/loss'], expectedScalars([straight.history[0], ...resumed.history])['fit/loss']);
  t.deepEqual(scalars['mine/loss'], [[3, 7]], 'other tags are kept');
});

test('tensorboard must be a directory path; one that cannot be made is a FileError naming it, before any epoch', async (t) => {
  const dir = tempDir('tb-errors');
  const trainer = new PoFTrainer({ model: spec(), device, seed: 0 });
  await t.throwsAsync(trainer.fit(train, { epochs: 1, tensorboard: 5 as never }), { instanceOf: OptionError, message: /^fit: tensorboard must be a directory path, got 5$/ });
  await t.throwsAsync(trainer.postTrain(train, { epochs: 1, tensorboard: '' }), { instanceOf: OptionError, message: /^postTrain: tensorboard must be a directory path/ });
  const file = path.join(dir, 'a-file');
  writeFileSync(file, '');
  const epochs: number[] = [];
  const error = await t.throwsAsync(trainer.fit(train, { epochs: 1, batchSize: 32, tensorboard: path.join(file, 'tb'), onEpoch: (e) => { epochs.push(e.epoch); } }),
    { instanceOf: FileError });
  t.is(error?.path, path.join(file, 'tb'));
  t.regex(error!.message, /cannot create the directory .*a-file\/tb: .*a-file is a file, not a directory$/);
  t.deepEqual(epochs, []);
});

const hasTensorBoard = spawnSync('python3', ['-c', 'import tensorboard'], { stdio: 'ignore' }).status === 0;

/** The scalars and images of `dir` as TensorBoard's EventAccumulator loads them. */
function accumulated(dir: string): { scalars: Record<string, [number, number][]>; images: Record<string, [number, number, number, string][]> } {
  const script = `
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0})
acc.Reload()
tags = acc.Tags()
print(json.dumps({
  "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
  "images": {t: [[e.step, e.width, e.height, e.encoded_image_string[:4].hex()] for e in acc.Images(t)] for t in tags["images"]},
}))`;
  const r = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

(hasTensorBoard ? test : test.skip)(`TensorBoard's EventAccumulator reads the same scalars and images${hasTensorBoard ? '' : ' (skipped: python3 has no tensorboard package)'}`, async (t) => {
  const logs = path.join(tempDir('tb-python'), 'tb');
  const trainer = new PoFTrainer({ model: spec(), device, seed: 0 });
  const fit = await trainer.fit(train, { epochs: 2, batchSize: 32, lr: 0.05, evalData: held, tensorboard: logs });
  const post = await trainer.postTrain(train, { epochs: 2, batchSize: 32, tensorboard: logs });
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000003000000020806000000', 'hex');
  await (await EventWriter.create(logs)).write(2, { images: [pngImage('postTrain/training_curves', png)] });
  const read = accumulated(logs);
  const scalars = Object.fromEntries(Object.entries(read.scalars).sort(([a], [b]) => a.localeCompare(b)));
  const expected = expectedScalars([...fit.history, ...post.history]);
  t.deepEqual(scalars, Object.fromEntries(Object.entries(expected).sort(([a], [b]) => a.localeCompare(b))));
  t.deepEqual(read.images, { 'postTrain/training_curves': [[2, 3, 2, '89504e47']] });
});
if (!hasTensorBoard) console.log('tensorboard.test: python3 has no tensorboard package; the EventAccumulator check is skipped');

const TOY = ['--dataset', 'toy', '--model', 'mlp-32-32', '--batch-size', '64'];
const readCsv = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(','));
const readLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochReport);

test('pof train writes OUT/tensorboard/ and OUT/scalars.csv; a resume or --force leaves each epoch once', async (t) => {
  const out = path.join(tempDir('tb-cli'), 'run');
  const args = ['train', ...TOY, '--epochs', '2', '--checkpoint-every', '1', '--out', out];
  const first = await pof(args);
  t.is(first.code, 0, first.stderr);
  const metrics = readLines(path.join(out, 'metrics.jsonl'));
  const events = readEvents(path.join(out, 'tensorboard'));
  t.deepEqual(scalarsByTag(events), expectedScalars(metrics));
  const csv = readCsv(path.join(out, 'scalars.csv'));
  t.deepEqual(csv[0], ['epoch', 'loss', 'error', 'test_loss', 'test_error', 'lr', 'seconds_per_epoch']);
  t.deepEqual(csv.slice(1).map((row) => row.map(Number)), metrics.map((m) => [m.epoch, m.loss, m.error, m.eval!.loss, m.eval!.error, m.lr, m.seconds]));
  if (existsSync(path.join(out, 'figures', 'training.png'))) {
    const images = events.flatMap((e) => (e.images ?? []).map((i) => ({ step: e.step, ...i })));
    t.deepEqual(images.map((i) => [i.tag, i.step]), [['fit/training_curves', 2]]);
    t.deepEqual(Buffer.from(images[0].encoded), readFileSync(path.join(out, 'figures', 'training.png')));
  }

  const resumed = await pof([...args, '--resume', path.join(out, 'checkpoint.safetensors')]);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(readCsv(path.join(out, 'scalars.csv')).slice(1).map((row) => row[0]), ['1', '2']);
  const forced = await pof([...args, '--force']);
  t.is(forced.code, 0, forced.stderr);
  t.deepEqual(scalarsByTag(readEvents(path.join(out, 'tensorboard')))['fit/loss'].map(([step]) => step), [1, 2], 'the old run\'s events are gone');
  t.is(readCsv(path.join(out, 'scalars.csv')).length, 3);
});

test('pof post-train killed mid-run and resumed: scalars.csv and the event files hold each epoch once', async (t) => {
  const root = tempDir('tb-cli-kill');
  const sgd = path.join(root, 'sgd');
  t.is((await pof(['train', ...TOY, '--epochs', '1', '--out', sgd])).code, 0);
  const out = path.join(root, 'pof');
  const args = ['post-train', '--from', path.join(sgd, 'model.safetensors'), ...TOY.slice(0, 2), '--batch-size', '16', '--epochs', '8',
    '--checkpoint-every', '3', '--out', out];
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const signal = await new Promise<string | null>((resolve) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (/postTrain epoch 4\/8/.test(stderr) && !child.killed) child.kill('SIGKILL');
    });
    child.on('close', (_code, sig) => resolve(sig));
  });
  t.is(signal, 'SIGKILL', stderr);
  const rowsBefore = readCsv(path.join(out, 'scalars.csv')).length - 1;
  t.true(rowsBefore >= 4, `${rowsBefore} rows before the kill`);

  const resumed = await pof([...args, '--resume', path.join(out, 'checkpoint.safetensors')]);
  t.is(resumed.code, 0, resumed.stderr);
  const epochs = [1, 2, 3, 4, 5, 6, 7, 8];
  const csv = readCsv(path.join(out, 'scalars.csv'));
  t.deepEqual(csv[0], ['epoch', 'loss', 'error', 'test_loss', 'test_error', 'lr', 'seconds_per_epoch', 'xi', 'reject_rate', 'perturbation']);
  t.deepEqual(csv.slice(1).map((row) => Number(row[0])), epochs);
  const scalars = scalarsByTag(readEvents(path.join(out, 'tensorboard')));
  t.deepEqual(scalars['postTrain/xi'].map(([step]) => step), epochs);
  t.deepEqual(scalars, expectedScalars(readLines(path.join(out, 'metrics.jsonl'))));
});

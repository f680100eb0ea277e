import test from 'ava';
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { matchStateDict, stateDictMismatches } from '../lib/checkpoint/match-state-dict';
import { decodeTorchCheckpoint, loadTorchCheckpoint } from '../lib/checkpoint/pytorch';
import { saveSafetensors } from '../lib/checkpoint/safetensors';
import { loadStateDict } from '../lib/checkpoint/state-dict';
import { TensorData, tensorBytes } from '../lib/checkpoint/tensor-data';
import { ZipArchive } from '../lib/checkpoint/zip';
import { CheckpointError } from '../lib/errors';
import { deflateRawBomb, peakRssGrowth } from './helpers/bombs';
import { assertTensorMatches, expected, fixture } from './helpers/checkpoint-expected';
import { tempDir } from './helpers/fixtures';
import { stateDictPickle, TensorLayout, torchSaveFile } from './helpers/pickle-writer';
import { writeZip } from './helpers/zip-writer';

const shapesOf = (state: Record<string, TensorData>): Record<string, number[]> =>
  Object.fromEntries(Object.entries(state).map(([name, tensor]) => [name, tensor.shape]));

/** The entries of a fixture archive, to rebuild it in other forms. */
async function fixtureEntries(name: string): Promise<Record<string, Uint8Array>> {
  const zip = new ZipArchive(readFileSync(fixture(name)), name);
  return Object.fromEntries(await Promise.all(zip.names().map(async (entry) => [entry, await zip.read(entry)])));
}

test('a plain state_dict imports exactly: names in order, dtypes, shapes and bytes', async (t) => {
  const state = await loadStateDict(fixture('wrn_state_dict.pt'));
  t.deepEqual(Object.keys(state), Object.keys(expected.wrn_state_dict));
  for (const [name, want] of Object.entries(expected.wrn_state_dict)) assertTensorMatches(t, name, state[name], want);
  t.is(state['layer1.num_0.bn1.num_batches_tracked'].dtype, 'I64');
  t.deepEqual(state['conv1.weight'].shape, [4, 3, 3, 3]);
});

test('the same archive with DEFLATED entries, or rebuilt with ZIP64 records, decodes identically', async (t) => {
  const stored = await loadTorchCheckpoint(fixture('wrn_state_dict.pt')) as Record<string, TensorData>;
  const deflated = await loadTorchCheckpoint(fixture('wrn_state_dict_deflated.pt')) as Record<string, TensorData>;
  const zip64 = await decodeTorchCheckpoint(writeZip(await fixtureEntries('wrn_state_dict.pt'), { zip64: true }), 'zip64.pt') as Record<string, TensorData>;
  const both = await decodeTorchCheckpoint(writeZip(await fixtureEntries('wrn_state_dict.pt'), { zip64: true, deflate: true }), 'zip64-deflated.pt') as Record<string, TensorData>;
  for (const other of [deflated, zip64, both]) {
    t.deepEqual(Object.keys(other), Object.keys(stored));
    for (const name of Object.keys(stored)) t.deepEqual(Buffer.from(tensorBytes(other[name])), Buffer.from(tensorBytes(stored[name])), name);
  }
});

test('non-contiguous views, shared storages and every dtype come out contiguous and exact', async (t) => {
  const checkpoint = await loadTorchCheckpoint(fixture('layouts.pt')) as { tensors: Record<string, TensorData>; note: string; numbers: unknown[]; dtype: string };
  const tensors = checkpoint.tensors;
  t.deepEqual(Object.keys(tensors), Object.keys(expected.layouts));
  for (const [name, want] of Object.entries(expected.layouts)) assertTensorMatches(t, name, tensors[name], want);
  // The fixture really has these layouts: a transpose and a strided slice at an offset.
  t.deepEqual(expected.layouts_strides.transposed, [1, 6]);
  t.deepEqual(expected.layouts_strides.strided_slice, [6, 2]);
  // base = arange(24).reshape(4, 6) * 0.5 - 3; transposed[i][j] = base[j][i]; strided_slice = base[1:, ::2].
  const base = (r: number, c: number): number => (r * 6 + c) * 0.5 - 3;
  t.deepEqual(Array.from(tensors.transposed.data as Float32Array).slice(0, 5), [base(0, 0), base(1, 0), base(2, 0), base(3, 0), base(0, 1)]);
  t.deepEqual(Array.from(tensors.strided_slice.data as Float32Array), [1, 2, 3].flatMap((r) => [0, 2, 4].map((c) => base(r, c))));
  t.deepEqual(Array.from(tensors.int64.data as BigInt64Array), [-(2n ** 62n) - 1n, 2n ** 53n + 1n, 0n, -5n]);
  t.is(tensors.half.data.constructor, Uint16Array);
  t.deepEqual(tensors.scalar.shape, []);
  t.deepEqual(Array.from(tensors.scalar.data as Float32Array), [2.5]);
  t.deepEqual(tensors.empty.shape, [0, 3]);
  // Plain Python values around the tensors.
  t.is(checkpoint.note, 'layouts');
  t.deepEqual(checkpoint.numbers, [1, -2, 2n ** 70n, 1.5, null, true]);
  t.is(checkpoint.dtype, 'torch.float16');
});

test('toFloat32 widens fp16, bf16 and fp64 and leaves integers alone', async (t) => {
  const { tensors } = await loadTorchCheckpoint(fixture('layouts.pt'), { toFloat32: true }) as { tensors: Record<string, TensorData> };
  for (const name of ['half', 'bfloat16', 'double']) {
    t.is(tensors[name].dtype, 'F32', name);
    t.is(tensors[name].data.constructor, Float32Array, name);
    const want = expected.layouts[name].first as number[];
    t.deepEqual(Array.from(tensors[name].data as Float32Array).slice(0, 4), want.map((v) => Math.fround(v)), name);
  }
  t.is(tensors.int64.dtype, 'I64');
  t.is(tensors.bool.dtype, 'BOOL');
});

test("the authors' two files (module. prefixes, { param, optim }) merge into the model's names", async (t) => {
  const state = await loadStateDict({ features: fixture('fet.pth'), classifier: fixture('clf.pth') });
  t.deepEqual(Object.keys(state), Object.keys(expected.authors_merged));
  t.true(Object.keys(state).every((name) => !name.startsWith('module.')));
  t.deepEqual(Object.keys(state).slice(-2), ['classifiers.0.weight', 'classifiers.0.bias']);
  for (const [name, want] of Object.entries(expected.authors_merged)) assertTensorMatches(t, name, state[name], want);
  // After the optimizer step the weights differ from the plain state_dict fixture (same seed, before the step).
  const before = await loadStateDict(fixture('wrn_state_dict.pt'));
  for (const name of expected.authors_changed_by_step) t.notDeepEqual(Buffer.from(tensorBytes(state[name])), Buffer.from(tensorBytes(before[name])), name);
  // The names are those of the real WRN-10-1 (only the widths of the fixture are smaller).
  t.deepEqual(Object.keys(state), Object.keys(expected.wrn_10_1_shapes));
  t.true(stateDictMismatches(expected.wrn_10_1_shapes, state).every((m) => / vs model /.test(m)));
});

test("the authors' optimizer state reads as plain data next to the tensors", async (t) => {
  const fet = await loadTorchCheckpoint(fixture('fet.pth')) as {
    param: Record<string, TensorData>;
    optim: { state: Record<string, { momentum_buffer: TensorData }>; param_groups: Record<string, unknown>[] };
  };
  t.true(Object.keys(fet.param).every((name) => name.startsWith('module.')));
  const group = fet.optim.param_groups[0];
  t.like(group, { lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.0005, dampening: 0, maximize: false, foreach: null });
  t.deepEqual(group.params, Object.keys(fet.optim.state).map(Number));
  assertTensorMatches(t, 'momentum_buffer 0', fet.optim.state['0'].momentum_buffer, expected.authors_optim_first_momentum);
});

test('a wrong-shape checkpoint fails matchStateDict with both shapes listed', async (t) => {
  const state = await loadStateDict({ features: fixture('fet.pth'), classifier: fixture('clf_100_classes.pt') });
  const model = shapesOf(await loadStateDict(fixture('wrn_state_dict.pt')));
  const right = await loadStateDict({ features: fixture('fet.pth'), classifier: fixture('clf.pth') });
  t.notThrows(() => matchStateDict(model, right));
  const error = t.throws(() => matchStateDict(model, state, { source: 'clf_100_classes.pt' }));
  t.regex(error!.message, /^clf_100_classes\.pt: checkpoint does not match the model: 2 mismatches/);
  t.regex(error!.message, /classifiers\.0\.weight: checkpoint \[100, 16\] vs model \[10, 16\]/);
  t.regex(error!.message, /classifiers\.0\.bias: checkpoint \[100\] vs model \[10\]/);
});

test('matchStateDict lists missing and unexpected names, the first five, and the total', (t) => {
  const model = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`layer.${i}`, [i + 1]]));
  const checkpoint = { 'layer.0': { shape: [1] }, 'layer.1': { shape: [3, 3] }, 'extra.a': { shape: [2] } };
  const error = t.throws(() => matchStateDict(model, checkpoint));
  const lines = error!.message.split('\n');
  t.is(lines[0], 'checkpoint does not match the model: 8 mismatches');
  t.is(lines[1], '  layer.1: checkpoint [3, 3] vs model [2]');
  t.is(lines[2], '  layer.2: missing from the checkpoint (model [3])');
  t.is(lines.length, 1 + 5 + 1);
  t.is(lines[6], '  ... and 3 more');
  t.deepEqual(stateDictMismatches(model, checkpoint).slice(-1), ['extra.a: unexpected in the checkpoint ([2]), not in the model']);
});

test('a state dict nested under state_dict, and safetensors files, load through loadStateDict', async (t) => {
  const nested = await loadStateDict(fixture('clf_100_classes.pt'));
  t.deepEqual(shapesOf(nested), { 'classifiers.0.weight': [100, 16], 'classifiers.0.bias': [100] });
  const file = path.join(tempDir('state-dict'), 'ddp.safetensors');
  await saveSafetensors(file, { 'module.w': { dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) } });
  const loaded = await loadStateDict(file, { toFloat32: true });
  t.deepEqual(loaded, { w: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
});

test('a bare Linear classifier file gets the classifiers.0. prefix; a checkpoint without tensors is a named error', async (t) => {
  const dir = tempDir('bare-linear');
  const clf = path.join(dir, 'linear.safetensors');
  await saveSafetensors(clf, { weight: { dtype: 'F32', shape: [10, 16], data: new Float32Array(160) }, bias: { dtype: 'F32', shape: [10], data: new Float32Array(10) } });
  const merged = await loadStateDict({ features: fixture('fet.pth'), classifier: clf });
  t.deepEqual(Object.keys(merged).slice(-2), ['classifiers.0.weight', 'classifiers.0.bias']);
  await t.throwsAsync(loadStateDict({ features: fixture('clf.pth'), classifier: fixture('fet.pth') }), { message: /clf\.pth: the feature-extractor checkpoint holds classifier weights/ });
  await t.throwsAsync(loadStateDict(fixture('layouts.pt')), { message: /layouts\.pt: no state dict found: .*the checkpoint has 'tensors', 'note', 'numbers', 'dtype'/ });
});

/** A torch.save-shaped archive around a hand-written pickle. */
const archiveWith = (pickle: string): Buffer => writeZip({ 'archive/data.pkl': Buffer.from(pickle, 'hex'), 'archive/byteorder': Buffer.from('little') });

test('an unknown pickle global is refused by name', async (t) => {
  // pickle.dumps(collections.Counter(), protocol=2)
  await t.throwsAsync(decodeTorchCheckpoint(archiveWith('800263636f6c6c656374696f6e730a436f756e7465720a71007d71018571025271032e'), 'evil.pt'),
    { instanceOf: CheckpointError, message: /evil\.pt: refusing to load the pickled global 'collections\.Counter'/ });
  // GLOBAL 'os system' is refused before anything could call it.
  const osSystem = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cos\nsystem\n'), Buffer.from('X\x02\x00\x00\x00ls\x85R.', 'latin1')]);
  await t.throwsAsync(decodeTorchCheckpoint(writeZip({ 'a/data.pkl': osSystem }), 'os.pt'), { instanceOf: CheckpointError, message: /os\.pt: refusing to load the pickled global 'os\.system'/ });
});

test('corrupt, truncated and non-torch files fail with clear errors', async (t) => {
  const good = readFileSync(fixture('wrn_state_dict.pt'));
  await t.throwsAsync(decodeTorchCheckpoint(good.subarray(0, good.length - 30), 'cut.pt'), { instanceOf: CheckpointError, message: /cut\.pt: not a ZIP archive \(no end-of-central-directory record\)/ });
  await t.throwsAsync(decodeTorchCheckpoint(good.subarray(0, 3000), 'cut2.pt'), { instanceOf: CheckpointError, message: /cut2\.pt: not a ZIP archive/ });
  // Flip a byte inside the first storage: its CRC no longer matches.
  const entries = await fixtureEntries('wrn_state_dict.pt');
  const storage = Object.keys(entries).find((name) => name.endsWith('/data/0'))!;
  const flipped = Buffer.from(good);
  const at = flipped.indexOf(Buffer.from(entries[storage].subarray(0, 16)));
  flipped[at + 3] ^= 0xff;
  await t.throwsAsync(decodeTorchCheckpoint(flipped, 'flipped.pt'), { instanceOf: CheckpointError, message: /flipped\.pt: entry '.*\/data\/0' fails its CRC-32 check/ });
  // A storage missing from the archive.
  delete entries[storage];
  await t.throwsAsync(decodeTorchCheckpoint(writeZip(entries), 'missing.pt'), { instanceOf: CheckpointError, message: /missing\.pt: storage '0' is missing from the archive/ });
  await t.throwsAsync(decodeTorchCheckpoint(Buffer.from('80028a0a6cfc9c46f9206aa85019', 'hex'), 'old.pt'), { instanceOf: CheckpointError, message: /old\.pt: this is the legacy torch\.save format/ });
  await t.throwsAsync(decodeTorchCheckpoint(Buffer.from('hello world'), 'text.pt'), { instanceOf: CheckpointError, message: /text\.pt: not a torch\.save checkpoint/ });
  await t.throwsAsync(decodeTorchCheckpoint(writeZip({ 'a/other.txt': Buffer.from('x') }), 'nopkl.pt'), { instanceOf: CheckpointError, message: /nopkl\.pt: expected one <archive>\/data\.pkl entry, found 0/ });
  await t.throwsAsync(decodeTorchCheckpoint(writeZip({ 'a/data.pkl': Buffer.from('8002', 'hex') }), 'short.pt'), { instanceOf: CheckpointError, message: /short\.pt \(a\/data\.pkl\): pickle: truncated/ });
  await t.throwsAsync(decodeTorchCheckpoint(writeZip({ 'a/data.pkl': Buffer.from('8002', 'hex'), 'a/byteorder': Buffer.from('big') }), 'big.pt'), { instanceOf: CheckpointError, message: /big\.pt: storages are stored big-endian/ });
});

test('a loaded file on disk names its path in errors', async (t) => {
  const file = path.join(tempDir('torch-path'), 'broken.pth');
  writeFileSync(file, 'PK\x03\x04 but nothing else');
  await t.throwsAsync(loadStateDict(file), { message: new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a ZIP archive`) });
});

/** `bytes` written to a fresh temporary file called `name`. */
function tempFile(name: string, bytes: Uint8Array): string {
  const file = path.join(tempDir('torch-case'), name);
  writeFileSync(file, bytes);
  return file;
}

const MiB = 2 ** 20;

// Serial tests run before the others, so the peak RSS they measure is not an earlier test's.
test.serial('a zip bomb (a 2 MB .pt whose data.pkl inflates to 2 GiB) is refused in bounded memory', async (t) => {
  const pickle = stateDictPickle({});
  const bomb = deflateRawBomb(pickle, 2 ** 31);
  const honest = tempFile('honest-bomb.pt', writeZip({ 'archive/data.pkl': { deflated: bomb, size: pickle.length + 2 ** 31, crc32: 0 } }));
  const lying = tempFile('lying-bomb.pt', writeZip({ 'archive/data.pkl': { deflated: bomb, size: 4096, crc32: 0 } }));
  for (const [file, message] of [
    [honest, /honest-bomb\.pt: entry 'archive\/data\.pkl' declares 2147483\d+ bytes, more than the limit of 67108864 for a pickle/],
    [lying, /lying-bomb\.pt: entry 'archive\/data\.pkl' holds more than the 4096 bytes the directory declares/],
  ] as const) {
    const { growth, error } = await peakRssGrowth(() => loadStateDict(file));
    t.true(error instanceof CheckpointError, String(error));
    t.regex((error as Error).message, message);
    t.log(`${path.basename(file)}: peak RSS growth ${(growth / MiB).toFixed(0)} MiB`);
    t.true(growth < 300 * MiB, `peak RSS grew by ${growth} bytes`);
  }
});

test.serial('a 1-element storage viewed as [32768, 32768] with stride 0 is refused by the shape check before any allocation', async (t) => {
  const file = tempFile('stride0.pt', torchSaveFile({ w: { key: '0', storage: 'FloatStorage', numel: 1, size: [32768, 32768], stride: [0, 0] } }, { 0: new Uint8Array(4) }));
  const { growth, error } = await peakRssGrowth(() => loadStateDict(file, { expect: new Map([['w', [4]]]) }));
  t.true(error instanceof CheckpointError, String(error));
  t.regex((error as Error).message, /stride0\.pt: checkpoint does not match the model: 1 mismatch\n  w: checkpoint \[32768, 32768\] vs model \[4\]/);
  t.true(growth < 100 * MiB, `peak RSS grew by ${growth} bytes`);
  // Without the model's shapes, the expansion cap refuses it, naming the tensor.
  const unchecked = await peakRssGrowth(() => loadStateDict(file));
  t.true(unchecked.error instanceof CheckpointError, String(unchecked.error));
  t.regex((unchecked.error as Error).message, /stride0\.pt: tensor 'w' \[32768, 32768\] would expand its 1-element storage '0' to 1073741824 elements/);
  t.true(unchecked.growth < 100 * MiB, `peak RSS grew by ${unchecked.growth} bytes`);
});

test.serial('a hundred full views of one small-compressed 16 MiB storage are refused once they exceed twice the storages', async (t) => {
  const views: Record<string, TensorLayout> = {};
  for (let i = 0; i < 100; i += 1) views[`v${i}`] = { key: '0', storage: 'FloatStorage', numel: 4 << 20, size: [4 << 20], stride: [1] };
  const file = tempFile('views.pt', writeZip({ 'archive/data.pkl': stateDictPickle(views), 'archive/data/0': new Uint8Array(16 << 20) }, { deflate: true }));
  t.true(readFileSync(file).length < 100_000);
  const { growth, error } = await peakRssGrowth(() => loadTorchCheckpoint(file));
  t.true(error instanceof CheckpointError, String(error));
  t.regex((error as Error).message, /views\.pt: tensor 'v\d+' \[4194304\]: the archive's tensors would take more than 100663296 bytes once copied out, twice its 16777216 bytes of storages/);
  t.true(growth < 300 * MiB, `peak RSS grew by ${growth} bytes`);
  // Two full views of a storage (tied weights) are fine.
  const tied = tempFile('tied.pt', torchSaveFile({ a: views.v0, b: views.v1 }, { 0: new Uint8Array(16 << 20) }));
  t.deepEqual(Object.keys(await loadStateDict(tied)), ['a', 'b']);
});

test('a [2^20, 2^20] tensor is a CheckpointError naming it, never a RangeError', async (t) => {
  const file = tempFile('huge.pt', torchSaveFile({ big: { key: '0', storage: 'FloatStorage', numel: 1, size: [2 ** 20, 2 ** 20], stride: [0, 0] } }, { 0: new Uint8Array(4) }));
  for (const load of [() => loadStateDict(file), () => loadTorchCheckpoint(file)]) {
    await t.throwsAsync(load(), { instanceOf: CheckpointError, message: /huge\.pt: tensor '?big'? \[1048576, 1048576\] .*1099511627776 elements/ });
  }
  // Shapes whose element count is not even a safe integer are malformed layouts.
  const absurd = tempFile('absurd.pt', torchSaveFile({ x: { key: '0', storage: 'FloatStorage', numel: 1, size: [2 ** 30, 2 ** 30, 2 ** 30], stride: [0, 0, 0] } }, { 0: new Uint8Array(4) }));
  await t.throwsAsync(loadStateDict(absurd), { instanceOf: CheckpointError, message: /absurd\.pt: tensor \[1073741824, 1073741824, 1073741824\] on storage '0' has more elements than can be addressed/ });
});

test('a deflated entry declaring more than its compressed bytes can hold is refused before it is inflated', async (t) => {
  const pickle = stateDictPickle({});
  const file = tempFile('claims.pt', writeZip({ 'archive/data.pkl': { deflated: require('zlib').deflateRawSync(pickle), size: 50_000_000, crc32: 0 } }));
  await t.throwsAsync(loadStateDict(file), { instanceOf: CheckpointError, message: /claims\.pt: the directory declares 50000000 bytes for entry 'archive\/data\.pkl', more than its \d+ compressed bytes can hold/ });
});

test('a storage whose entry size disagrees with its numel is refused before it is inflated', async (t) => {
  const file = tempFile('numel.pt', torchSaveFile({ w: { key: '0', storage: 'FloatStorage', numel: 4, size: [4], stride: [1] } }, { 0: new Uint8Array(12) }));
  await t.throwsAsync(loadStateDict(file), { instanceOf: CheckpointError, message: /numel\.pt: storage '0' has 12 bytes, but 4 F32 elements need 16/ });
});

test('the expect option passes a matching checkpoint and lists mismatches of a wrong one', async (t) => {
  const model = new Map(Object.entries(expected.wrn_state_dict).map(([name, want]) => [name, want.shape]));
  const state = await loadStateDict(fixture('wrn_state_dict.pt'), { expect: model });
  t.deepEqual(Object.keys(state), [...model.keys()]);
  model.set('conv1.weight', [8, 3, 3, 3]);
  await t.throwsAsync(loadStateDict(fixture('wrn_state_dict.pt'), { expect: model }), { instanceOf: CheckpointError, message: /wrn_state_dict\.pt: checkpoint does not match the model: 1 mismatch\n  conv1\.weight: checkpoint \[4, 3, 3, 3\] vs model \[8, 3, 3, 3\]/ });
});

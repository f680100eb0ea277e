// trainer.save / load / importPyTorch: round trips, PyTorch fixtures, corrupt files, failed writes.
import test, { ExecutionContext } from 'ava';
import { spawnSync } from 'child_process';
import { promises as fsPromises, readdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { CheckpointError, datasets, FileError, models, OptionError, PoFTrainer } from '../lib';
import { decodeSafetensors, loadSafetensors, saveSafetensors } from '../lib/checkpoint/safetensors';
import { TensorData } from '../lib/checkpoint/tensor-data';
import { native } from '../lib/addon';
import { assertTensorMatches, ExactFloats, expected, ExpectedTensor, fixture } from './helpers/checkpoint-expected';
import { tempDir } from './helpers/fixtures';
import { asTensorData, differingTensors } from './helpers/state-compare';
import { blobs, range } from './helpers/synthetic';

const device = 'cpu';
const spec = models.mlp({ inputDim: 6, hidden: [16, 8], numClasses: 3 });
const version = (JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

async function trained(epochs: number, seed = 1): Promise<{ trainer: PoFTrainer; data: ReturnType<typeof blobs> }> {
  const data = blobs(96, 6, 3, 5);
  const trainer = new PoFTrainer({ model: spec, device, seed });
  await trainer.fit(data, { epochs, batchSize: 16, lr: 0.05 });
  return { trainer, data };
}

test('save refuses metadata that is not an object of strings, naming what it got, and writes nothing', async (t) => {
  const trainer = new PoFTrainer({ model: spec, device, seed: 7 });
  const dir = tempDir('metadata');
  const cases: [unknown, RegExp][] = [
    [['a'], /metadata must be an object of strings \(\{ key: 'value' \}\), got \["a"\]/],
    ['note', /metadata must be an object of strings .*got 'note'/],
    [{ note: 'ok', epochs: 2 }, /metadata must be an object of strings; its 'epochs' is 2/],
  ];
  for (const [metadata, message] of cases) {
    await t.throwsAsync(trainer.save(path.join(dir, 'model.safetensors'), { metadata } as never), { instanceOf: OptionError, message });
  }
  t.deepEqual(readdirSync(dir), []);
});

test('save then load: bit-identical tensors, identical evaluation, metadata that describes the run', async (t) => {
  const { trainer, data } = await trained(2);
  const file = path.join(tempDir('roundtrip'), 'model.safetensors');
  await trainer.save(file, { metadata: { note: 'after two epochs' } });

  const other = new PoFTrainer({ model: spec, device, seed: 7 });
  t.notDeepEqual(differingTensors(await other.stateDict(), await trainer.stateDict()), []);
  const info = await other.load(file);
  t.deepEqual(differingTensors(await other.stateDict(), await trainer.stateDict()), []);
  t.deepEqual(await other.evaluate(data), await trainer.evaluate(data));
  t.deepEqual(info, {
    kind: 'weights', version, model: spec, phase: 'fit', method: 'sgd', epoch: 2, epochs: 2, dataset: 'blobs-5', device: 'cpu', threads: native.numThreads(),
    pipeline: { kind: 'values', example: [6], normalization: null, centerCrop: null, augmentation: null },
    metadata: { note: 'after two epochs' },
  });
  t.deepEqual(other.inputPipeline, info.pipeline, 'load takes the recorded pipeline');

  // The file itself: PyTorch names and dtypes, string metadata, no optimizer or generator state.
  const { tensors, metadata } = await loadSafetensors(file);
  t.deepEqual(Object.keys(tensors), Object.keys(await trainer.stateDict()));
  t.is(tensors['classifiers.0.weight'].dtype, 'F32');
  t.like(metadata, { format: 'pt', kind: 'weights', pof_torch_version: version, epoch: '2', phase: 'fit', method: 'sgd', dataset: 'blobs-5' });
  t.deepEqual(JSON.parse(metadata.model), spec);

  // A training checkpoint adds momentum buffers per parameter and the generator state; load() takes its weights.
  const training = path.join(path.dirname(file), 'training.safetensors');
  await trainer.save(training, { training: true });
  const full = await loadSafetensors(training);
  const params = [...trainer.model.parameterGroups.features, ...trainer.model.parameterGroups.classifier];
  t.deepEqual(Object.keys(full.tensors).filter((n) => n.startsWith('optimizer.')), params.map((n) => `optimizer.${n}.momentum_buffer`));
  t.is(full.tensors['rng.engine_generator'].dtype, 'U8');
  t.like(JSON.parse(full.metadata.training_options), { epochs: 2, batchSize: 16, lr: 0.05, method: 'sgd', momentum: 0.9, nesterov: true });
  const third = new PoFTrainer({ model: spec, device, seed: 8 });
  t.like(await third.load(training), { kind: 'training', epoch: 2 });
  t.deepEqual(differingTensors(await third.stateDict(), await trainer.stateDict()), []);
});

test('save and load refuse what they cannot do, with named errors', async (t) => {
  const dir = tempDir('save-errors');
  const fresh = new PoFTrainer({ model: spec, device });
  await t.throwsAsync(fresh.save(path.join(dir, 'x.safetensors'), { training: true }), { instanceOf: OptionError, message: /no phase at an epoch boundary/ });
  await t.throwsAsync(fresh.save(path.join(dir, 'x.safetensors'), { metadata: { kind: 'mine' } }), { instanceOf: OptionError, message: /metadata key 'kind' is reserved/ });
  await t.throwsAsync(fresh.save(path.join(dir, 'x.safetensors'), { compress: true } as never), { instanceOf: OptionError, message: /unknown option 'compress'/ });
  await t.throwsAsync(fresh.save(''), { instanceOf: OptionError, message: /save: path must be a file path/ });
  await t.throwsAsync(fresh.save(path.join(dir, 'no', 'x.safetensors')), { instanceOf: OptionError, message: /save: path .*x\.safetensors: the directory .*no does not exist/ });
  // After a step the optimizer is fresh: no longer a phase's epoch boundary.
  const { trainer, data } = await trained(1);
  await trainer.step(data, { method: 'sgd', indices: range(8) });
  await t.throwsAsync(trainer.save(path.join(dir, 'x.safetensors'), { training: true }), { instanceOf: OptionError });

  const file = path.join(dir, 'mlp.safetensors');
  await fresh.save(file);
  const other = new PoFTrainer({ model: models.mlp({ inputDim: 6, hidden: [16, 8], numClasses: 4 }), device });
  await t.throwsAsync(other.load(file), { instanceOf: CheckpointError, message: /holds a model .*"numClasses":3.* but this trainer's model is .*"numClasses":4/ });
  await t.throwsAsync(other.load(path.join(dir, 'none.safetensors')), { instanceOf: CheckpointError, message: /none\.safetensors does not exist/ });
  await t.throwsAsync(other.load(fixture('mlp_state_dict.pt')), { instanceOf: CheckpointError, message: /is a torch\.save file.*importPyTorch/ });
});

test('a truncated or corrupt checkpoint gives a clear error and leaves the model unchanged', async (t) => {
  const { trainer } = await trained(1);
  const dir = tempDir('corrupt');
  const file = path.join(dir, 'good.safetensors');
  await trainer.save(file);
  const good = readFileSync(file);
  const other = new PoFTrainer({ model: spec, device, seed: 3 });
  const before = await other.stateDict();
  const variants: [string, Buffer, RegExp][] = [
    ['cut.safetensors', good.subarray(0, good.length - 10), /cut\.safetensors: not a valid safetensors file: .*the file is truncated/],
    ['head.safetensors', good.subarray(0, 40), /head\.safetensors: not a valid safetensors file: header length \d+ runs past the end of the file/],
    ['tiny.safetensors', good.subarray(0, 5), /tiny\.safetensors: not a valid safetensors file: truncated: 5 bytes/],
    ['json.safetensors', Buffer.concat([good.subarray(0, 8), Buffer.from('X'), good.subarray(9)]), /json\.safetensors: not a valid safetensors file: header is not valid JSON/],
    ['extra.safetensors', Buffer.concat([good, Buffer.from([1, 2, 3])]), /extra\.safetensors: not a valid safetensors file: 3 trailing bytes/],
  ];
  for (const [name, bytes, message] of variants) {
    writeFileSync(path.join(dir, name), bytes);
    await t.throwsAsync(other.load(path.join(dir, name)), { message }, name);
  }
  // A valid safetensors file whose tensors do not fit the model lists the mismatches with both shapes.
  const { tensors } = decodeSafetensors(good);
  const w = tensors['layers.0.weight'];
  const { encodeSafetensors } = await import('../lib/checkpoint/safetensors');
  writeFileSync(path.join(dir, 'shape.safetensors'), Buffer.concat(encodeSafetensors({ ...tensors, 'layers.0.weight': { dtype: 'F32', shape: [8, 12], data: w.data as Float32Array } })));
  await t.throwsAsync(other.load(path.join(dir, 'shape.safetensors')), { message: /checkpoint does not match the model: 1 mismatch\n {2}layers\.0\.weight: checkpoint \[8, 12\] vs model \[16, 6\]/ });
  t.deepEqual(differingTensors(await other.stateDict(), before), []);
});

// Serial: ava runs serial tests before the concurrent ones, so the patched rename affects no other test.
test.serial('a save that fails between write and rename leaves the previous checkpoint loadable', async (t) => {
  const { trainer, data } = await trained(1);
  const dir = tempDir('save-crash');
  const file = path.join(dir, 'model.safetensors');
  await trainer.save(file);
  const previous = readFileSync(file);
  const atEpoch1 = await trainer.stateDict();
  await trainer.fit(data, { epochs: 1, batchSize: 16, lr: 0.05 });

  // The rename is the last step: the new bytes are complete and synced under a temporary name.
  const rename = fsPromises.rename;
  let temporary = '';
  fsPromises.rename = async (from) => {
    temporary = String(from);
    t.true(readFileSync(temporary).length > 0);
    throw Object.assign(new Error('injected: power lost before rename'), { code: 'EIO' });
  };
  try {
    const e = await t.throwsAsync(trainer.save(file), { code: 'ERR_POF_IO', message: `cannot write ${file}: an input/output error (EIO)` });
    t.regex(String((e?.cause as Error)?.message), /injected: power lost before rename/);
  } finally {
    fsPromises.rename = rename;
  }
  t.is(path.dirname(temporary), dir);
  t.deepEqual(readdirSync(dir), ['model.safetensors'], 'no temporary file is left behind');
  t.true(readFileSync(file).equals(previous));
  const other = new PoFTrainer({ model: spec, device, seed: 4 });
  await other.load(file);
  t.deepEqual(differingTensors(await other.stateDict(), atEpoch1), []);
});

/** Every model tensor equals the fixture's (dtype, shape, SHA-256 of the bytes, first values, sum). */
async function assertStateMatches(t: ExecutionContext, trainer: PoFTrainer, want: Record<string, ExpectedTensor>) {
  const state = await trainer.stateDict();
  t.deepEqual(Object.keys(state), Object.keys(want));
  for (const [name, w] of Object.entries(want)) assertTensorMatches(t, name, asTensorData(state[name]), w);
}

function assertClose(t: ExecutionContext, actual: Float32Array, want: ExactFloats, tolerance: number) {
  t.is(actual.length, want.values.length);
  let worst = 0;
  want.values.forEach((v, i) => { worst = Math.max(worst, Math.abs(actual[i] - v) / Math.max(1, Math.abs(v))); });
  t.true(worst < tolerance, `largest relative difference ${worst}`);
}

test('importPyTorch: a plain torch.save state_dict of the same MLP computes what PyTorch computes', async (t) => {
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 6, hidden: [8, 5], numClasses: 3 }), device });
  await trainer.importPyTorch(fixture('mlp_state_dict.pt'));
  await assertStateMatches(t, trainer, expected.mlp_state_dict);
  const inputs = expected.mlp_inputs;
  const set = datasets.fromArrays({ images: Float32Array.from(inputs.values), labels: new Int32Array(inputs.shape[0]), shape: inputs.shape, numClasses: 3, name: 'x' });
  assertClose(t, await trainer.features(set, range(inputs.shape[0])), expected.mlp_features, 1e-5);
});

test("importPyTorch: the authors' two files of a WRN-10-1 ('module.' prefixes, { param, optim }) give PyTorch's features", async (t) => {
  const trainer = new PoFTrainer({ model: models.wideResNet({ depth: 10, widen: 1, numClasses: 10 }), device });
  await trainer.importPyTorch({ features: fixture('wrn_10_1_fet.pth'), classifier: fixture('wrn_10_1_clf.pth') });
  await assertStateMatches(t, trainer, expected.wrn_10_1_merged);
  const inputs = expected.wrn_10_1_inputs;
  const set = datasets.fromArrays({ images: Float32Array.from(inputs.values), labels: new Int32Array(inputs.shape[0]), shape: inputs.shape, numClasses: 10, name: 'x' });
  assertClose(t, await trainer.features(set, range(inputs.shape[0])), expected.wrn_10_1_features, 1e-4);
});

test('importPyTorch: wrong shapes list the first mismatches with both shapes and change nothing', async (t) => {
  const trainer = new PoFTrainer({ model: models.wideResNet({ depth: 10, widen: 1, numClasses: 10 }), device });
  const before = await trainer.stateDict();
  const error = await t.throwsAsync(trainer.importPyTorch({ features: fixture('wrn_10_1_fet.pth'), classifier: fixture('clf_100_classes.pt') }));
  t.regex(error!.message, /clf_100_classes\.pt: checkpoint does not match the model: 2 mismatches\n {2}classifiers\.0\.weight: checkpoint \[100, 16\] vs model \[10, 64\]\n {2}classifiers\.0\.bias: checkpoint \[100\] vs model \[10\]$/);
  // The narrow-width fixture has the same names but other widths: the first five are listed, then the count.
  const narrow = await t.throwsAsync(trainer.importPyTorch(fixture('wrn_state_dict.pt')));
  const lines = narrow!.message.split('\n');
  t.regex(lines[0], /wrn_state_dict\.pt: checkpoint does not match the model: \d+ mismatches/);
  t.is(lines[1], '  conv1.weight: checkpoint [4, 3, 3, 3] vs model [16, 3, 3, 3]');
  t.is(lines.length, 7);
  t.regex(lines[6], /^ {2}\.\.\. and \d+ more$/);
  await t.throwsAsync(trainer.importPyTorch(fixture('nothing.pt')), { instanceOf: FileError, message: /cannot read .*nothing\.pt: it does not exist \(ENOENT\)$/ });
  await t.throwsAsync(trainer.importPyTorch({ features: fixture('wrn_10_1_fet.pth') } as never), { instanceOf: OptionError, message: /expected a path, or \{ features: path, classifier: path \}/ });
  t.deepEqual(differingTensors(await trainer.stateDict(), before), []);
});

test('importPyTorch and load refuse an integer tensor for a float weight (and the reverse), naming the key and both dtypes', async (t) => {
  const dir = tempDir('import-dtype');
  const { trainer } = await trained(1);
  const file = path.join(dir, 'model.safetensors');
  await trainer.save(file);
  const { tensors } = await loadSafetensors(file);
  const weight = tensors['layers.0.weight'] as Extract<TensorData, { dtype: 'F32' }>;
  const asInt64 = path.join(dir, 'int64-weight.safetensors');
  await saveSafetensors(asInt64, { ...tensors, 'layers.0.weight': { dtype: 'I64', shape: weight.shape, data: BigInt64Array.from(weight.data, (v) => BigInt(Math.round(v * 100))) } });
  const other = new PoFTrainer({ model: spec, device, seed: 7 });
  const before = await other.stateDict();
  const message = /int64-weight\.safetensors: tensor 'layers\.0\.weight' is int64, but the model's is float32; expected a floating-point tensor/;
  await t.throwsAsync(other.importPyTorch(asInt64), { instanceOf: CheckpointError, code: 'ERR_POF_CHECKPOINT', message });
  await t.throwsAsync(other.load(asInt64), { instanceOf: CheckpointError, message });
  const state = await trainer.stateDict();
  await t.throwsAsync(other.loadStateDict({ ...state, 'layers.0.bias': { ...state['layers.0.bias'], data: new Int32Array(16) } }),
    { instanceOf: CheckpointError, message: /loadStateDict: tensor 'layers\.0\.bias' is int32, but the model's is float32/ });
  t.deepEqual(differingTensors(await other.stateDict(), before), []);

  // BatchNorm's num_batches_tracked is int64 in the model: an int64 one imports (the WRN fixtures' do), a float one is refused.
  const wrn = new PoFTrainer({ model: models.wideResNet({ depth: 10, widen: 1, numClasses: 3 }), device });
  const wrnFile = path.join(dir, 'wrn.safetensors');
  await wrn.save(wrnFile);
  const wrnTensors = (await loadSafetensors(wrnFile)).tensors;
  const counter = Object.keys(wrnTensors).find((n) => n.endsWith('num_batches_tracked'))!;
  t.is(wrnTensors[counter].dtype, 'I64');
  await t.notThrowsAsync(wrn.importPyTorch(wrnFile));
  const floatCounter = path.join(dir, 'float-counter.safetensors');
  await saveSafetensors(floatCounter, { ...wrnTensors, [counter]: { dtype: 'F32', shape: wrnTensors[counter].shape, data: new Float32Array(1) } });
  await t.throwsAsync(wrn.importPyTorch(floatCounter),
    { instanceOf: CheckpointError, message: new RegExp(`tensor '${counter.replace(/\./g, '\\.')}' is float32, but the model's is int64; expected an integer tensor`) });
});

test('importPyTorch refuses a safetensors file whose metadata records another model, naming both', async (t) => {
  const dir = tempDir('import-model');
  const { trainer } = await trained(1);
  const file = path.join(dir, 'model.safetensors');
  await trainer.save(file);
  const { tensors, metadata } = await loadSafetensors(file);
  // The same tensors, labelled as another model (a file renamed, or written for another run).
  const relabelled = path.join(dir, 'relabelled.safetensors');
  const another = models.wideResNet({ depth: 10, widen: 1, numClasses: 3 });
  await saveSafetensors(relabelled, tensors, { ...metadata, model: JSON.stringify(another) });
  const other = new PoFTrainer({ model: spec, device, seed: 7 });
  const before = await other.stateDict();
  await t.throwsAsync(other.importPyTorch(relabelled), {
    instanceOf: CheckpointError, code: 'ERR_POF_CHECKPOINT',
    message: /importPyTorch: .*relabelled\.safetensors holds a model \{"kind":"wideResNet".*, but this trainer's model is \{"kind":"mlp"/,
  });
  const garbled = path.join(dir, 'garbled.safetensors');
  await saveSafetensors(garbled, tensors, { ...metadata, model: '{"kind":' });
  await t.throwsAsync(other.importPyTorch(garbled), { instanceOf: CheckpointError, message: /garbled\.safetensors: metadata 'model' is not valid JSON/ });
  t.deepEqual(differingTensors(await other.stateDict(), before), []);
  // Its own model's file, and a safetensors file with no pof-torch metadata, import.
  await other.importPyTorch(file);
  const bare = path.join(dir, 'bare.safetensors');
  await saveSafetensors(bare, tensors);
  await other.importPyTorch(bare);
  t.deepEqual(differingTensors(await other.stateDict(), await trainer.stateDict()), []);
});

const hasPythonSafetensors = spawnSync('python3', ['-c', 'import safetensors.numpy'], { stdio: 'ignore' }).status === 0;
(hasPythonSafetensors ? test : test.skip)("Python's safetensors reads a trainer.save file: same names, values and metadata", async (t) => {
  const { trainer } = await trained(1);
  const file = path.join(tempDir('python'), 'model.safetensors');
  await trainer.save(file, { training: true });
  const script = [
    'import json, sys, hashlib',
    'from safetensors import safe_open',
    'out = {}',
    "with safe_open(sys.argv[1], framework='numpy') as f:",
    "    out['metadata'] = f.metadata()",
    "    out['tensors'] = {k: [str(f.get_tensor(k).dtype), list(f.get_tensor(k).shape), hashlib.sha256(f.get_tensor(k).tobytes()).hexdigest()] for k in f.keys()}",
    'print(json.dumps(out))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  t.is(run.status, 0, run.stderr);
  const read = JSON.parse(run.stdout) as { metadata: Record<string, string>; tensors: Record<string, [string, number[], string]> };
  const ours = await loadSafetensors(file);
  t.deepEqual(read.metadata, ours.metadata);
  const { createHash } = await import('crypto');
  const numpyDtypes: Record<string, string> = { F32: 'float32', I64: 'int64', U8: 'uint8' };
  t.deepEqual(read.tensors, Object.fromEntries(Object.entries(ours.tensors).map(([n, v]) => [n,
    [numpyDtypes[v.dtype], v.shape, createHash('sha256').update(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength)).digest('hex')]])));
});

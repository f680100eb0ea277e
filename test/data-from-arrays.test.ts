// fromArrays' untrusted inputs: typed arrays that are not plain (shared, detached, Proxies), class counts and
// normalisations that do not fit float32, and options that are not an object. Each is an OptionError naming
// the argument; an ImageSet whose arrays were detached after it was made is refused where it is used.
import test from 'ava';
import { DatasetError, datasets, OptionError, PoFTrainer } from '../lib';
import { smallMlp as mlp } from './helpers/small-models';
import { testDevice as device } from './helpers/synthetic';

const n = 8;
const plain = () => ({ images: new Uint8Array(n * 6), labels: new Uint8Array(n), shape: [n, 1, 2, 3], numClasses: 3 });
const images = (values: Uint8Array | Float32Array) => ({ ...plain(), images: values });
const detach = (array: ArrayBufferView) => structuredClone(array.buffer, { transfer: [array.buffer as ArrayBuffer] });

test('a typed array over a SharedArrayBuffer, a Proxy of one or a detached one is an OptionError naming the argument', (t) => {
  const shared = new Uint8Array(new SharedArrayBuffer(n * 6));
  t.throws(() => datasets.fromArrays(images(shared)), {
    instanceOf: OptionError, code: 'ERR_POF_OPTION',
    message: /^datasets\.fromArrays: images is a view of a SharedArrayBuffer, .*expected a typed array over an ordinary ArrayBuffer/,
  });
  t.throws(() => datasets.fromArrays({ ...plain(), labels: new Int32Array(new SharedArrayBuffer(4 * n)) }), {
    instanceOf: OptionError, message: /labels is a view of a SharedArrayBuffer/,
  });
  t.throws(() => datasets.fromArrays(images(new Proxy(new Uint8Array(n * 6), {}))), {
    instanceOf: OptionError, message: /^datasets\.fromArrays: images is a Proxy of a typed array, whose bytes cannot be read natively; expected the typed array itself/,
  });
  const labels = new Uint8Array(n);
  detach(labels);
  t.throws(() => datasets.fromArrays({ ...plain(), labels }), {
    instanceOf: OptionError, message: /^datasets\.fromArrays: labels has been detached \(its buffer was transferred/,
  });
  t.throws(() => datasets.fromArrays(images(new Uint16Array(n * 6) as never)), { instanceOf: OptionError, message: /images must be a Uint8Array or a Float32Array or an Int32Array, got a Uint16Array/ });
});

test('labels detached after fromArrays: subset and the trainer refuse the set, and a set already resident keeps its own copy', async (t) => {
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const set = datasets.fromArrays({ ...plain(), labels, name: 'later' });
  const resident = datasets.fromArrays({ ...plain(), labels: labels.slice(), name: 'resident' });
  const trainer = new PoFTrainer({ model: mlp(), device });
  const before = await trainer.evaluate(resident);
  detach(labels);
  detach(resident.labels);
  t.throws(() => datasets.subset(set, 4), { instanceOf: OptionError, message: /^datasets\.subset: data 'later': labels has been detached/ });
  await t.throwsAsync(trainer.evaluate(set), { instanceOf: OptionError, message: /evaluation data 'later': labels has been detached/ });
  await t.throwsAsync(trainer.evaluate(resident), { instanceOf: OptionError, message: /evaluation data 'resident': labels has been detached/ });
  t.is(before.examples, n);
});

test('the trainer refuses an ImageSet whose shape no longer matches its arrays, or whose arrays became shared', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  const set = datasets.fromArrays({ ...plain(), name: 'set' });
  await t.throwsAsync(trainer.evaluate({ ...set, shape: [2 * n, 1, 2, 3] }), {
    instanceOf: DatasetError, message: /^evaluate: evaluation data 'set': shape \[16,1,2,3\] holds 96 values but images has 48; its fields were changed/,
  });
  await t.throwsAsync(trainer.fit({ ...set, images: new Uint8Array(new SharedArrayBuffer(n * 6)) }, { epochs: 1 }), {
    instanceOf: OptionError, message: /training data 'set': images is a view of a SharedArrayBuffer/,
  });
});

test('step indices that are shared or a Proxy are an OptionError, not a bare "Invalid argument"', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  const data = datasets.fromArrays(plain());
  const shared = new Int32Array(new SharedArrayBuffer(8));
  await t.throwsAsync(trainer.step(data, { method: 'sgd', indices: shared }), { instanceOf: OptionError, message: /indices is a view of a SharedArrayBuffer/ });
  await t.throwsAsync(trainer.step(data, { method: 'sgd', indices: new Proxy(Int32Array.from([0, 1]), {}) }), {
    instanceOf: OptionError, message: /indices is a Proxy/,
  });
});

test('numClasses is bounded by what a model takes (2^24)', (t) => {
  t.throws(() => datasets.fromArrays({ ...plain(), numClasses: 2 ** 31 }), {
    instanceOf: OptionError, message: /^datasets\.fromArrays: numClasses must be at most 16777216 \(the most classes a model takes\), got 2147483648$/,
  });
  t.is(datasets.fromArrays({ ...plain(), numClasses: 2 ** 24 }).numClasses, 2 ** 24);
});

test('a normalisation must fit float32: std a normal float32, mean finite in float32, no pixel mapped past float32', (t) => {
  const normalized = (mean: number, std: number) => datasets.fromArrays({ ...plain(), normalization: { mean: [mean], std: [std] } });
  t.throws(() => normalized(0, 1e-45), {
    instanceOf: OptionError, message: /normalization\.std\[0\] must be at least 1\.1754943508222875e-38 \(the smallest normal float32; .*got 1e-45/,
  });
  t.throws(() => normalized(1e300, 1), { instanceOf: OptionError, message: /normalization\.mean\[0\] must be <= 3\.4028234663852886e\+38, got 1e\+300/ });
  t.throws(() => normalized(1e38, 0.1), {
    instanceOf: OptionError, message: /normalization \(mean 1e\+38, std 0\.1\) maps channel 0's pixels to values up to 1e\+39, beyond the largest float32/,
  });
  t.throws(() => normalized(0, 0), { instanceOf: OptionError, message: /normalization\.std\[0\] must be > 0, got 0/ });
  t.deepEqual(normalized(0.5, 1e-37).normalization, { mean: [0.5], std: [1e-37] });
});

test('a normalisation is checked whatever the data type, and refused on float data (it applies to pixels only)', (t) => {
  const floats = { ...plain(), images: new Float32Array(n * 6) };
  for (const normalization of [null, 5, { mean: [0] }, { mean: [0], std: [1e-45] }, { mean: [0], std: [1], scale: 2 }]) {
    for (const data of [plain(), floats]) {
      t.throws(() => datasets.fromArrays({ ...data, normalization: normalization as never }), { instanceOf: OptionError, message: /datasets\.fromArrays: normalization/ });
    }
  }
  t.throws(() => datasets.fromArrays({ ...floats, normalization: { mean: [0.5], std: [0.25] } }), {
    instanceOf: OptionError, message: /normalization applies to pixels only .*values are used as they are/,
  });
});

test('options that are not an object are an OptionError', (t) => {
  for (const options of [undefined, null, 5]) {
    t.throws(() => datasets.fromArrays(options as never), { instanceOf: OptionError, message: /^datasets\.fromArrays: options must be an object/ });
  }
});

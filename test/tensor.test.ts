import test from 'ava';
import { fromBuffer, OptionError, tensor } from '../lib';
import { native } from '../lib/addon';
import { nativeDataset } from './helpers/native-dataset';

/** A Float32Array of `n` whose buffer was transferred away (structuredClone with transfer), as postMessage does. */
function detached(n: number): Float32Array {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

test('uint8 round trip keeps values and shape', (t) => {
  const data = Uint8Array.from([0, 1, 127, 128, 254, 255]);
  const x = tensor(data, [2, 3]);
  t.deepEqual(x.shape, [2, 3]);
  t.is(x.dtype, 'uint8');
  t.is(x.device, 'cpu');
  t.deepEqual(Array.from(x.toArray() as Uint8Array), Array.from(data));
});

test('int32 round trip keeps extremes', (t) => {
  const data = Int32Array.from([-2147483648, -1, 0, 1, 2147483647, 42]);
  const x = tensor(data, [3, 2]);
  t.is(x.dtype, 'int32');
  t.deepEqual(Array.from(x.toArray() as Int32Array), Array.from(data));
});

test('int64 round trip keeps values beyond 2^53', (t) => {
  const data = BigInt64Array.from([-(2n ** 63n), -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n]);
  const x = tensor(data);
  t.is(x.dtype, 'int64');
  t.deepEqual(x.shape, [5]);
  t.deepEqual(Array.from(x.toArray() as BigInt64Array), Array.from(data));
});

test('float32 round trip is bit-exact, NaN and infinities included', (t) => {
  const data = Float32Array.from([0, -0, 1.5, -3.25e-38, 3.4e38, Infinity, -Infinity, NaN]);
  const back = tensor(data, [2, 2, 2]).toArray() as Float32Array;
  t.deepEqual(Buffer.from(back.buffer), Buffer.from(data.buffer));
});

test('a Buffer is read as the dtype asked for, also at an unaligned offset', (t) => {
  const values = Float32Array.from([1, 2, 3, 4]);
  const padded = Buffer.concat([Buffer.from([9]), Buffer.from(values.buffer)]).subarray(1);
  const x = fromBuffer(padded, 'float32', [2, 2]);
  t.is(x.dtype, 'float32');
  t.deepEqual(Array.from(x.toArray() as Float32Array), [1, 2, 3, 4]);
  t.deepEqual(Array.from(fromBuffer(Buffer.from([7, 8]), 'uint8', [2]).toArray() as Uint8Array), [7, 8]);
});

test('a shape that does not match the data length is a clear error', (t) => {
  const err = t.throws(() => tensor(new Float32Array(6), [4, 2]));
  t.regex(err!.message, /shape \[4, 2\] holds 8 elements but Tensor data has 6/);
  t.throws(() => tensor(new Float32Array(2), [-2]), { message: /shape\[0\] must be a non-negative integer/ });
  t.throws(() => fromBuffer(Buffer.alloc(5), 'int32', [1]), { message: /5 bytes cannot hold whole int32/ });
});

test('unsupported typed arrays are refused with the supported list', (t) => {
  t.throws(() => tensor(new Float64Array(2) as unknown as Float32Array), {
    message: /expected Uint8Array\/Buffer, Int32Array, BigInt64Array or Float32Array/,
  });
});

test('a shape mismatch is refused before LibTorch sees it, naming both shapes', (t) => {
  const a = tensor(new Float32Array(6), [2, 3]);
  const b = tensor(new Float32Array(20), [4, 5]);
  const err = t.throws(() => a.matmul(b), { instanceOf: OptionError, code: 'ERR_POF_OPTION' });
  t.regex(err!.message, /matmul needs .*float32 \[2, 3\] on cpu x float32 \[4, 5\] on cpu/);
  t.notRegex(err!.message, /mat1 and mat2|Exception raised from/, "LibTorch's words and the C++ backtrace are left out");
});

test('matmul computes the right product', async (t) => {
  const a = tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  const b = tensor(Float32Array.from([1, 0, 0, 1, 1, 1]), [3, 2]);
  const c = await a.matmul(b);
  t.deepEqual(c.shape, [2, 2]);
  t.deepEqual(Array.from(c.toArray() as Float32Array), [4, 5, 10, 11]);
});

test('a shared, detached or Proxy typed array is refused by name, in JS and at the native boundary', (t) => {
  const shared = new Float32Array(new SharedArrayBuffer(16));
  const proxy = new Proxy(new Float32Array(4), {});
  t.throws(() => tensor(shared), { instanceOf: OptionError, message: /^tensor: data is a view of a SharedArrayBuffer, which another thread may change while it is copied; expected a typed array over an ordinary ArrayBuffer/ });
  t.throws(() => tensor(detached(4), [0]), { instanceOf: OptionError, message: /^tensor: data has been detached \(its buffer was transferred/ });
  t.throws(() => tensor(proxy), { instanceOf: OptionError, message: /^tensor: data is a Proxy of a typed array, whose bytes cannot be read natively; expected the typed array itself$/ });
  t.throws(() => tensor(null as never), { instanceOf: OptionError, message: /^tensor: data must be a typed array, got null$/ });
  // The addon called directly says the same, not Node-API's bare "Invalid argument".
  t.throws(() => new native.Tensor(shared, [4]), { instanceOf: OptionError, message: /^Tensor data is a view of a SharedArrayBuffer/ });
  t.throws(() => new native.Tensor(detached(4), [0]), { instanceOf: OptionError, message: /^Tensor data has been detached/ });
  t.throws(() => new native.Tensor(proxy, [4]), { instanceOf: OptionError, message: /^Tensor data must be a typed array or Buffer$/ });
  const labels = new Uint8Array([0, 1]);
  t.throws(() => nativeDataset({ inputs: new Uint8Array(new SharedArrayBuffer(8)), shape: [2, 4], labels, numClasses: 2 }),
    { instanceOf: OptionError, message: /^dataset inputs is a view of a SharedArrayBuffer/ });
  const gone = new Uint8Array(2);
  structuredClone(gone.buffer, { transfer: [gone.buffer] });
  t.throws(() => nativeDataset({ inputs: new Float32Array(8), shape: [2, 4], labels: gone, numClasses: 2 }),
    { instanceOf: OptionError, message: /^dataset labels has been detached/ });
  t.deepEqual(Array.from(tensor(Float32Array.from(shared)).toArray() as Float32Array), [0, 0, 0, 0], 'a copy goes through');
});

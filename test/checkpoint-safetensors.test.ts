import test from 'ava';
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as path from 'path';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from '../lib/checkpoint/safetensors';
import { TensorData, tensorBytes, toFloat32 } from '../lib/checkpoint/tensor-data';
import { CheckpointError } from '../lib/errors';
import { assertTensorMatches, expected, fixture } from './helpers/checkpoint-expected';
import { tempDir } from './helpers/fixtures';

const float32Bits = (bits: number[]): Float32Array => new Float32Array(new Uint32Array(bits).buffer);

// Every typed-array kind, with awkward values: NaN payloads, -0, denormals, int64 extremes.
function sampleTensors(): Record<string, TensorData> {
  return {
    'conv1.weight': { dtype: 'F32', shape: [2, 1, 2], data: float32Bits([0x7fc00001, 0x80000000, 0x00000001, 0x3f800000]) },
    flag: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
    bytes: { dtype: 'U8', shape: [1, 3], data: new Uint8Array([0, 128, 255]) },
    int8: { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) },
    half: { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xfbff]) },
    bf16: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc000]) },
    int32: { dtype: 'I32', shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
    steps: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n]) },
    u64: { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
    double: { dtype: 'F64', shape: [], data: new Float64Array([Math.PI]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  };
}
const metadata = { format: 'pt', config: JSON.stringify({ depth: 10, widen: 1 }), note: 'ünïcode ✓' };

test('round trip is bit-exact for every dtype, with metadata, and keeps the tensor order', (t) => {
  const tensors = sampleTensors();
  const decoded = decodeSafetensors(Buffer.concat(encodeSafetensors(tensors, metadata)));
  t.deepEqual(decoded.metadata, metadata);
  t.deepEqual(Object.keys(decoded.tensors), Object.keys(tensors));
  for (const [name, tensor] of Object.entries(tensors)) {
    const got = decoded.tensors[name];
    t.is(got.dtype, tensor.dtype, name);
    t.deepEqual(got.shape, tensor.shape, name);
    t.is(got.data.constructor, tensor.data.constructor, name);
    t.deepEqual(Buffer.from(tensorBytes(got)), Buffer.from(tensorBytes(tensor)), name);
  }
});

test('the header is padded with spaces to 8-byte alignment and each tensor starts aligned to its element size', (t) => {
  const chunks = encodeSafetensors(sampleTensors(), metadata);
  const file = Buffer.concat(chunks);
  const headerLength = Number(file.readBigUInt64LE(0));
  t.is((8 + headerLength) % 8, 0);
  const headerText = file.subarray(8, 8 + headerLength).toString('utf8');
  t.regex(headerText, /^\{.*\} *$/);
  const header = JSON.parse(headerText) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  t.deepEqual(header.__metadata__, metadata as never);
  const widths: Record<string, number> = { F64: 8, I64: 8, U64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, U8: 1, I8: 1, BOOL: 1 };
  for (const [name, entry] of Object.entries(header)) {
    if (name !== '__metadata__') t.is(entry.data_offsets[0] % widths[entry.dtype], 0, name);
  }
  // The tensor chunks view the callers' memory instead of copying it.
  const tensors = sampleTensors();
  const views = encodeSafetensors(tensors).slice(1);
  t.true(views.some((chunk) => chunk.buffer === tensors.steps.data.buffer));
});

test('save and load through a file; no metadata gives an empty object', async (t) => {
  const file = path.join(tempDir('safetensors'), 'model.safetensors');
  const tensors = { w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } } as Record<string, TensorData>;
  await saveSafetensors(file, tensors);
  const loaded = await loadSafetensors(file);
  t.deepEqual(loaded.metadata, {});
  t.deepEqual(loaded.tensors, tensors);
});

test('reads the file written by Python safetensors exactly, metadata included', async (t) => {
  const loaded = await loadSafetensors(fixture('python.safetensors'));
  t.deepEqual(loaded.metadata, expected.python_safetensors_metadata);
  t.deepEqual(Object.keys(loaded.tensors).sort(), Object.keys(expected.python_safetensors).sort());
  for (const [name, want] of Object.entries(expected.python_safetensors)) assertTensorMatches(t, name, loaded.tensors[name], want);
  // fp16 / bf16 widen to float32 exactly.
  const half = toFloat32(loaded.tensors.half);
  t.is(half.dtype, 'F32');
  t.deepEqual(Array.from(half.data as Float32Array).slice(0, 4), expected.python_safetensors.half.first);
});

const pythonHasSafetensors = spawnSync('python3', ['-c', 'import safetensors, torch'], { stdio: 'ignore' }).status === 0;
(pythonHasSafetensors ? test : test.skip)('Python safetensors reads what we write, bit for bit', async (t) => {
  const file = path.join(tempDir('safetensors-py'), 'ours.safetensors');
  const tensors = sampleTensors();
  delete tensors.u64; // torch has no uint64 tensors in every version
  await saveSafetensors(file, tensors, metadata);
  const script = [
    'import sys, json, hashlib, torch',
    'from safetensors import safe_open',
    'out = {}',
    'with safe_open(sys.argv[1], "pt") as f:',
    '    out["__metadata__"] = f.metadata()',
    '    for k in f.keys():',
    '        t = f.get_tensor(k).contiguous()',
    '        raw = bytes(t.flatten().view(torch.uint8).tolist()) if t.numel() else b""',
    '        out[k] = [str(t.dtype), list(t.shape), hashlib.sha256(raw).hexdigest()]',
    'print(json.dumps(out))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  t.is(run.status, 0, run.stderr);
  const seen = JSON.parse(run.stdout) as Record<string, unknown>;
  t.deepEqual(seen.__metadata__, metadata);
  const torchNames: Record<string, string> = { F32: 'torch.float32', BOOL: 'torch.bool', U8: 'torch.uint8', I8: 'torch.int8', F16: 'torch.float16', BF16: 'torch.bfloat16', I32: 'torch.int32', I64: 'torch.int64', F64: 'torch.float64' };
  for (const [name, tensor] of Object.entries(tensors)) {
    t.deepEqual(seen[name], [torchNames[tensor.dtype], tensor.shape, createHash('sha256').update(tensorBytes(tensor)).digest('hex')], name);
  }
});

/** A file with a hand-written header and data, to break one rule at a time. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Buffer {
  const json = Buffer.from(headerText, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}
const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

test('corrupt or truncated files fail with errors that name the file and the problem', (t) => {
  const good = Buffer.concat(encodeSafetensors(sampleTensors(), metadata));
  const cases: [string, Uint8Array, RegExp][] = [
    ['short.safetensors', good.subarray(0, 5), /short\.safetensors: .*truncated: 5 bytes, shorter than the 8-byte header length/],
    ['cut-header.safetensors', good.subarray(0, 40), /cut-header\.safetensors: .*header length \d+ runs past the end of the file \(40 bytes\)/],
    ['cut-data.safetensors', good.subarray(0, good.length - 3), /cut-data\.safetensors: .*run past the end of the data .*truncated/],
    ['huge.safetensors', Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), /huge\.safetensors: .*exceeds the limit/],
    ['json.safetensors', rawFile(null, undefined, '{"a": '), /json\.safetensors: .*header is not valid JSON/],
    ['array.safetensors', rawFile([1]), /array\.safetensors: .*header must be a JSON object/],
    ['dtype.safetensors', rawFile({ a: entry('F33', [1], 0, 4) }, new Uint8Array(4)), /dtype\.safetensors: .*tensor 'a': unknown dtype "F33"/],
    ['shape.safetensors', rawFile({ a: entry('F32', [-1], 0, 4) }, new Uint8Array(4)), /tensor 'a': shape must be an array of non-negative integers/],
    ['offsets.safetensors', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)), /tensor 'a': data_offsets must be \[begin, end\]/],
    ['size.safetensors', rawFile({ a: entry('F32', [2], 0, 4) }, new Uint8Array(4)), /tensor 'a': data_offsets \[0, 4\] hold 4 bytes but F32 \[2\] needs 8/],
    ['range.safetensors', rawFile({ a: entry('F32', [2], 0, 8) }, new Uint8Array(4)), /tensor 'a': data_offsets \[0, 8\] run past the end of the data \(4 bytes\)/],
    ['overlap.safetensors', rawFile({ a: entry('F32', [2], 0, 8), b: entry('F32', [1], 4, 8) }, new Uint8Array(8)), /tensor 'b' \[4, 8\) overlaps tensor 'a'/],
    ['hole.safetensors', rawFile({ a: entry('F32', [1], 4, 8) }, new Uint8Array(8)), /bytes \[0, 4\) before tensor 'a' belong to no tensor/],
    ['trailing.safetensors', Buffer.concat([good, Buffer.from('junk')]), /trailing\.safetensors: .*4 trailing bytes after the last tensor/],
    ['meta.safetensors', rawFile({ __metadata__: { epoch: 3 } }), /meta\.safetensors: .*__metadata__ value of 'epoch' must be a string/],
  ];
  for (const [name, bytes, pattern] of cases) {
    t.throws(() => decodeSafetensors(bytes, name), { instanceOf: CheckpointError, message: pattern }, name);
  }
});

test('a duplicate tensor name in the header is an error naming it (JSON.parse would keep the last)', (t) => {
  const data = new Uint8Array(8);
  const twice = '{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "\\u0061": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}';
  t.throws(() => decodeSafetensors(rawFile(null, data, twice), 'dup.safetensors'), { instanceOf: CheckpointError, message: /dup\.safetensors: not a valid safetensors file: duplicate tensor name 'a' in the header/ });
  const field = '{"a": {"dtype": "F32", "shape": [2], "shape": [1], "data_offsets": [0, 4]}}';
  t.throws(() => decodeSafetensors(rawFile(null, data.subarray(0, 4), field), 'field.safetensors'), { instanceOf: CheckpointError, message: /field\.safetensors: .*tensor 'a': duplicate field 'shape' in the header/ });
  const meta = '{"__metadata__": {"k": "1", "k": "2"}}';
  t.throws(() => decodeSafetensors(rawFile(null, undefined, meta), 'meta.safetensors'), { instanceOf: CheckpointError, message: /meta\.safetensors: .*duplicate __metadata__ key 'k' in the header/ });
  // The same names at different depths are not duplicates.
  const fine = '{"__metadata__": {"a": "x"}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}';
  t.notThrows(() => decodeSafetensors(rawFile(null, data.subarray(0, 4), fine)));
});

test('a "__proto__" tensor name stays data and cannot change the prototype', (t) => {
  const decoded = decodeSafetensors(rawFile({ __proto__: entry('U8', [1], 0, 1) } as never, new Uint8Array([7]),
    '{"__proto__": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}'));
  t.is(Object.getPrototypeOf(decoded.tensors), Object.prototype);
  t.deepEqual(Object.keys(decoded.tensors), ['__proto__']);
  t.deepEqual(Array.from(decoded.tensors['__proto__'].data as Uint8Array), [7]);
});

test('encoding rejects malformed tensors and non-string metadata, naming them', (t) => {
  const f32 = (n: number): TensorData => ({ dtype: 'F32', shape: [n], data: new Float32Array(n) });
  t.throws(() => encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } as TensorData }),
    { message: /tensor 'w': shape \[3\] has 3 elements but data has 2/ });
  t.throws(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float64Array(2) } as unknown as TensorData }),
    { message: /tensor 'w': F32 data must be a Float32Array/ });
  t.throws(() => encodeSafetensors({ w: { dtype: 'Q8', shape: [2], data: new Uint8Array(2) } as unknown as TensorData }),
    { message: /tensor 'w': unknown dtype "Q8"/ });
  t.throws(() => encodeSafetensors({ __metadata__: f32(1) }), { message: /'__metadata__' is reserved/ });
  t.throws(() => encodeSafetensors({ w: f32(1) }, { epoch: 3 } as never), { message: /__metadata__ value of 'epoch' must be a string/ });
});

test('an unaligned input buffer still decodes (the tensors are copied)', (t) => {
  const file = Buffer.concat(encodeSafetensors({ w: { dtype: 'F64', shape: [2], data: new Float64Array([1.5, -2]) } }));
  const shifted = new Uint8Array(file.length + 1).subarray(1);
  shifted.set(file);
  const decoded = decodeSafetensors(shifted);
  t.deepEqual(Array.from(decoded.tensors.w.data as Float64Array), [1.5, -2]);
  t.not(decoded.tensors.w.data.buffer, shifted.buffer);
});

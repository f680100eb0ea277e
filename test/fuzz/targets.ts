// What the fuzz harness feeds each parser: valid seeds (some mutated below their container: the
// IDX inside a .gz, the pickle inside a .pt, then re-wrapped), and fixed cases that must be
// refused (the bombs and the crafted files of issue 12). File-based readers get their input
// through a scratch directory next to valid companion files.
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { decodeTorchCheckpoint } from '../../lib/checkpoint/pytorch';
import { decodeSafetensors, encodeSafetensors } from '../../lib/checkpoint/safetensors';
import { loadStateDict } from '../../lib/checkpoint/state-dict';
import type { TensorData } from '../../lib/checkpoint/tensor-data';
import { newDict, unpickle, UnpickleHooks } from '../../lib/checkpoint/unpickle';
import { ZipArchive } from '../../lib/checkpoint/zip';
import { cifar10, cifar100 } from '../../lib/data/cifar';
import { fromNpy } from '../../lib/data/from-npy';
import { decodeIdx } from '../../lib/data/idx';
import { svhn } from '../../lib/data/svhn';
import { CheckpointError } from '../../lib/errors';
import { deflateRawBomb, gzipBomb, zlibBomb } from '../helpers/bombs';
import { fixture } from '../helpers/checkpoint-expected';
import { patternImages, tempDir } from '../helpers/fixtures';
import { nchwToColumnMajor, writeMat } from '../helpers/matwriter';
import { f32Bytes, npyBytes } from '../helpers/npy-writer';
import { PickleWriter, stateDictPickle, TensorLayout, torchSaveFile } from '../helpers/pickle-writer';
import { writeZip } from '../helpers/zip-writer';

type Parse = (bytes: Uint8Array) => Promise<unknown>;

export interface Seed {
  label: string;
  /** What the mutator edits. */
  bytes: Uint8Array;
  /** Turns the edited bytes into the parser's input (e.g. gzips them); the identity by default. */
  wrap?: (edited: Uint8Array) => Uint8Array;
  parse: Parse;
}

/** A fixed input with a known verdict: it must parse ('ok'), or be refused with this error class. */
export interface Case {
  label: string;
  bytes: () => Uint8Array;
  parse: Parse;
  expected: 'ok' | 'DatasetError' | 'CheckpointError';
}

export interface Target {
  seeds: Seed[];
  cases: Case[];
}

function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

function idxSeeds(): { images: Seed; labels: Seed } {
  const parseImages: Parse = (b) => decodeIdx(b, 'fuzz-images', 3, 'images');
  const parseLabels: Parse = (b) => decodeIdx(b, 'fuzz-labels', 1, 'labels');
  return {
    images: { label: 'images', bytes: idx([3, 28, 28], patternImages(3, 1, 28, 28)), parse: parseImages },
    labels: { label: 'labels', bytes: idx([5], Uint8Array.from([0, 9, 3, 3, 7])), parse: parseLabels },
  };
}

function idxTarget(gzip: boolean): Target {
  const { images, labels } = idxSeeds();
  const gz = (b: Uint8Array) => zlib.gzipSync(b);
  const seeds = gzip
    ? [
      { ...images, label: 'images.gz', bytes: gz(images.bytes) },
      { ...labels, label: 'labels.gz', bytes: gz(labels.bytes) },
      // The IDX edited inside, then compressed: reaches the header checks behind the gzip layer.
      { ...images, label: 'images inside .gz', wrap: gz },
      { ...labels, label: 'labels inside .gz', wrap: gz },
    ]
    : [images, labels];
  const zero = idx([0, 28, 28], new Uint8Array(0));
  const cases: Case[] = [
    { label: 'declares 0 images', bytes: () => (gzip ? gz(zero) : zero), parse: images.parse, expected: 'DatasetError' },
  ];
  if (gzip) {
    cases.push({ label: 'gzip bomb: 20 images declared, 2 GiB inflated', bytes: () => gzipBomb(idx([20, 28, 28], new Uint8Array(0)), 2 ** 31), parse: images.parse, expected: 'DatasetError' });
    cases.push({ label: 'gzip bomb: 60000 images declared in a tiny file', bytes: () => gz(idx([60000, 28, 28], new Uint8Array(10))), parse: images.parse, expected: 'DatasetError' });
  }
  return { seeds, cases };
}

const PIXELS = 3 * 32 * 32;
function records(n: number, labelBytes: number, salt: number): Buffer {
  const images = patternImages(n, 3, 32, 32, salt);
  return Buffer.concat(Array.from({ length: n }, (_, i) => Buffer.concat([
    Buffer.from(Array.from({ length: labelBytes }, (_, b) => (i * 3 + b) % 10)), images.subarray(i * PIXELS, (i + 1) * PIXELS)])));
}

/** A scratch directory holding valid companions; the input replaces `file` in it before each parse. */
function inScratch(name: string, companions: Record<string, Uint8Array>, file: string, read: (dir: string) => Promise<unknown>): Parse {
  let dir: string | undefined;
  return async (bytes) => {
    if (!dir) {
      dir = tempDir(`fuzz-${name}`);
      for (const [f, b] of Object.entries(companions)) writeFileSync(path.join(dir, f), b);
    }
    writeFileSync(path.join(dir, file), bytes);
    return read(dir);
  };
}

function cifarTarget(): Target {
  const batches: Record<string, Uint8Array> = { 'test_batch.bin': records(1, 1, 9) };
  for (let i = 1; i <= 5; i += 1) batches[`data_batch_${i}.bin`] = records(1, 1, i);
  const cifar10Batch = inScratch('cifar10', batches, 'data_batch_3.bin', (dir) => cifar10(dir));
  const cifar100Files = { 'train.bin': records(2, 2, 1), 'test.bin': records(1, 2, 2) };
  const cifar100Train = inScratch('cifar100', cifar100Files, 'train.bin', (dir) => cifar100(dir));
  const cifar100Coarse = inScratch('cifar100c', cifar100Files, 'test.bin', (dir) => cifar100(dir, { labels: 'coarse' }));
  return {
    seeds: [
      { label: 'cifar10 batch', bytes: records(2, 1, 3), parse: cifar10Batch },
      { label: 'cifar100 train', bytes: records(2, 2, 4), parse: cifar100Train },
      { label: 'cifar100 coarse test', bytes: records(1, 2, 5), parse: cifar100Coarse },
    ],
    cases: [{ label: 'a batch of 0 images', bytes: () => new Uint8Array(0), parse: cifar10Batch, expected: 'DatasetError' }],
  };
}

/** .npy inputs and labels, alone and in a stored and a deflated .npz (issue 22). */
function npyTarget(): Target {
  const x = npyBytes({ shape: [3, 2, 2], fortranOrder: true, data: f32Bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) });
  const y = npyBytes({ descr: '<i8', shape: [3], data: new Uint8Array(new BigInt64Array([2n, 0n, 1n]).buffer) });
  const pair = inScratch('npy', { 'y.npy': y }, 'x.npy', (dir) => fromNpy({ inputs: path.join(dir, 'x.npy'), labels: path.join(dir, 'y.npy') }));
  const archive = inScratch('npz', {}, 'd.npz', (dir) => fromNpy({ file: path.join(dir, 'd.npz') }));
  return {
    seeds: [
      { label: '.npy inputs (Fortran order)', bytes: x, parse: pair },
      { label: '.npz stored', bytes: writeZip({ 'x.npy': x, 'y.npy': y }), parse: archive },
      { label: '.npz deflated, edited inside', bytes: x, wrap: (edited) => writeZip({ 'x.npy': edited, 'y.npy': y }, { deflate: true }), parse: archive },
    ],
    cases: [
      { label: 'a .npy declaring 2^32 + 1 elements', bytes: () => npyBytes({ descr: '|u1', shape: [2 ** 32 + 1] }), parse: pair, expected: 'DatasetError' },
      {
        label: 'zip bomb: x.npy declares 4 KiB, inflates to 2 GiB', parse: archive, expected: 'DatasetError',
        bytes: () => writeZip({ 'x.npy': { deflated: deflateRawBomb(x.subarray(0, 128), 2 ** 31), size: 4096, crc32: 0 }, 'y.npy': y }),
      },
    ],
  };
}

function svhnFile(n: number, salt: number, options: { compress: boolean; littleEndian?: boolean }): Buffer {
  const digits = Array.from({ length: n }, (_, i) => (i * 7) % 10);
  return writeMat([
    { name: 'X', className: 'uint8', dims: [32, 32, 3, n], data: nchwToColumnMajor(patternImages(n, 3, 32, 32, salt), n, 3, 32, 32), compress: options.compress },
    { name: 'y', className: 'double', dims: [n, 1], data: digits.map((d) => (d === 0 ? 10 : d)), storedAs: 'uint8', compress: options.compress },
  ], { littleEndian: options.littleEndian });
}

function svhnTarget(): Target {
  const parse = inScratch('svhn', { 'test_32x32.mat': svhnFile(1, 2, { compress: true }) }, 'train_32x32.mat', (dir) => svhn(dir));
  // A valid stream that inflates far past the matrix it declares.
  const bombedMat = (): Uint8Array => {
    const file = svhnFile(1, 1, { compress: false });
    const matrix = file.subarray(128);
    const bomb = zlibBomb(matrix, 2 ** 31);
    const tag = Buffer.alloc(8);
    tag.writeUInt32LE(15, 0);
    tag.writeUInt32LE(bomb.length, 4);
    return Buffer.concat([file.subarray(0, 128), tag, bomb]);
  };
  return {
    seeds: [
      { label: 'compressed', bytes: svhnFile(2, 1, { compress: true }), parse },
      { label: 'plain', bytes: svhnFile(2, 3, { compress: false }), parse },
      { label: 'plain big-endian', bytes: svhnFile(1, 4, { compress: false, littleEndian: false }), parse },
    ],
    cases: [
      { label: 'X of 0 images', bytes: () => svhnFile(0, 1, { compress: true }), parse, expected: 'DatasetError' },
      { label: 'zlib bomb after the matrix', bytes: bombedMat, parse, expected: 'DatasetError' },
    ],
  };
}

/** The entries of a fixture archive. */
async function entriesOf(file: string): Promise<Record<string, Uint8Array>> {
  const zip = new ZipArchive(readFileSync(file), file);
  const out: Record<string, Uint8Array> = {};
  for (const name of zip.names()) out[name] = await zip.read(name);
  return out;
}

async function ptTarget(): Promise<Target> {
  const decode: Parse = (b) => decodeTorchCheckpoint(b, 'fuzz.pt');
  const mlp = await entriesOf(fixture('mlp_state_dict.pt'));
  const mlpShapes = await decodeTorchCheckpoint(readFileSync(fixture('mlp_state_dict.pt'))) as Record<string, TensorData>;
  const expect = new Map(Object.entries(mlpShapes).map(([name, t]) => [name, t.shape]));
  const scratch = tempDir('fuzz-pt');
  const viaStateDict = (withExpect: boolean): Parse => async (b) => {
    const file = path.join(scratch, 'model.pt');
    writeFileSync(file, b);
    return loadStateDict(file, withExpect ? { expect, toFloat32: true } : {});
  };
  const pickleName = Object.keys(mlp).find((n) => n.endsWith('/data.pkl'))!;
  const rezip = (deflate: boolean) => (pickle: Uint8Array) => writeZip({ ...mlp, [pickleName]: pickle }, { deflate });
  const fixtures = ['mlp_state_dict.pt', 'wrn_state_dict.pt', 'wrn_state_dict_deflated.pt', 'layouts.pt', 'clf.pth', 'clf_100_classes.pt'];
  const stride0 = () => torchSaveFile({ w: { key: '0', storage: 'FloatStorage', numel: 1, size: [32768, 32768], stride: [0, 0] } }, { 0: new Uint8Array(4) });
  const huge = () => torchSaveFile({ w: { key: '0', storage: 'FloatStorage', numel: 1, size: [2 ** 20, 2 ** 20], stride: [0, 0] } }, { 0: new Uint8Array(4) });
  const pickle = stateDictPickle({});
  const views = () => {
    const layouts: Record<string, TensorLayout> = {};
    for (let i = 0; i < 100; i += 1) layouts[`v${i}`] = { key: '0', storage: 'FloatStorage', numel: 4 << 20, size: [4 << 20], stride: [1] };
    return writeZip({ 'a/data.pkl': stateDictPickle(layouts), 'a/data/0': new Uint8Array(16 << 20) }, { deflate: true });
  };
  return {
    seeds: [
      ...fixtures.map((f) => ({ label: f, bytes: readFileSync(fixture(f)), parse: decode })),
      { label: 'mlp via loadStateDict', bytes: readFileSync(fixture('mlp_state_dict.pt')), parse: viaStateDict(false) },
      { label: 'mlp via loadStateDict + expect', bytes: readFileSync(fixture('mlp_state_dict.pt')), parse: viaStateDict(true) },
      { label: 'mlp pickle, stored', bytes: mlp[pickleName], wrap: rezip(false), parse: decode },
      { label: 'mlp pickle, deflated', bytes: mlp[pickleName], wrap: rezip(true), parse: viaStateDict(false) },
      { label: 'mlp deflated', bytes: writeZip(mlp, { deflate: true }), parse: decode },
      { label: 'mlp zip64', bytes: writeZip(mlp, { zip64: true }), parse: decode },
    ],
    cases: [
      { label: 'zip bomb: data.pkl declares 2 GiB', bytes: () => writeZip({ 'a/data.pkl': { deflated: deflateRawBomb(pickle, 2 ** 31), size: pickle.length + 2 ** 31, crc32: 0 } }), parse: decode, expected: 'CheckpointError' },
      { label: 'zip bomb: data.pkl declares 4 KiB, inflates to 2 GiB', bytes: () => writeZip({ 'a/data.pkl': { deflated: deflateRawBomb(pickle, 2 ** 31), size: 4096, crc32: 0 } }), parse: decode, expected: 'CheckpointError' },
      { label: 'stride-0 [32768, 32768], with expect', bytes: stride0, parse: viaStateDict(true), expected: 'CheckpointError' },
      { label: 'stride-0 [32768, 32768], no expect', bytes: stride0, parse: decode, expected: 'CheckpointError' },
      { label: '[2^20, 2^20]', bytes: huge, parse: viaStateDict(false), expected: 'CheckpointError' },
      { label: '100 full views of one 16 MiB storage', bytes: views, parse: decode, expected: 'CheckpointError' },
      { label: 'a 60 KB deflated pickle of 60M EMPTY_LIST opcodes', bytes: () => writeZip({ 'a/data.pkl': Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(60 << 20, 0x5d)]) }, { deflate: true }), parse: decode, expected: 'CheckpointError' },
    ],
  };
}

function safetensorsTarget(): Target {
  const decode: Parse = async (b) => decodeSafetensors(b, 'fuzz.safetensors');
  const scratch = tempDir('fuzz-st');
  const viaStateDict: Parse = async (b) => {
    const file = path.join(scratch, 'model.safetensors');
    writeFileSync(file, b);
    return loadStateDict(file, { toFloat32: true });
  };
  const sample = Buffer.concat(encodeSafetensors({
    'conv.weight': { dtype: 'F32', shape: [2, 1, 2], data: new Float32Array([1, -2, 3, 0.5]) },
    'module.bn.num_batches_tracked': { dtype: 'I64', shape: [], data: new BigInt64Array([7n]) },
    half: { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0, 0xfbff]) },
    empty: { dtype: 'U8', shape: [0], data: new Uint8Array(0) },
  }, { kind: 'weights', note: 'fuzz' }));
  const header = (json: string, data: Uint8Array): Uint8Array => {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    return Buffer.concat([length, Buffer.from(json), data]);
  };
  // The header as text, edited and re-framed: reaches the checks behind the JSON layer.
  const reframe = (json: Uint8Array) => header(Buffer.from(json).toString('latin1'), new Uint8Array(24));
  const headerText = Buffer.from('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[1,2],"data_offsets":[8,24]},"__metadata__":{"k":"v"}}');
  return {
    seeds: [
      { label: 'python.safetensors', bytes: readFileSync(fixture('python.safetensors')), parse: decode },
      { label: 'sample', bytes: sample, parse: decode },
      { label: 'sample via loadStateDict', bytes: sample, parse: viaStateDict },
      { label: 'header text', bytes: headerText, wrap: reframe, parse: decode },
    ],
    cases: [
      { label: 'duplicate tensor name', bytes: () => header('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', new Uint8Array(2)), parse: decode, expected: 'CheckpointError' },
      { label: 'header of 2^63 bytes', bytes: () => Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]), parse: decode, expected: 'CheckpointError' },
    ],
  };
}

/** Hooks that build plain values for any global: the unpickler alone, without torch's allow-list. */
const permissive: UnpickleHooks = {
  findGlobal: (module, name) => {
    if (module === 'os' || module === 'subprocess') throw new CheckpointError(`refused ${module}.${name}`);
    return { qualifiedName: `${module}.${name}`, call: () => newDict() };
  },
  persistentLoad: (pid) => pid,
};

async function unpickleTarget(): Promise<Target> {
  const parse: Parse = async (b) => unpickle(b, permissive, 'fuzz.pkl');
  const pickles: Seed[] = [];
  for (const f of ['mlp_state_dict.pt', 'layouts.pt', 'clf.pth']) {
    const entries = await entriesOf(fixture(f));
    const name = Object.keys(entries).find((n) => n.endsWith('/data.pkl'))!;
    pickles.push({ label: `${f} data.pkl`, bytes: entries[name], parse });
  }
  // pickle.dumps({'a': (1, -300, 2**70, -2**63, 1.5, None, True, 'é', b'xy', 70000, -1), 'b': [1, 2, {3: 'x', True: None}], 'c': 0}, protocol=4)
  const protocol4 = Buffer.from('80049565000000000000007d94288c016194284b014ad4feffff8a090000000000000000408a080000000000000080473ff80000000000004e888c02c3a99443027879944a701101004affffffff74948c0162945d94284b014b027d94284b038c017894884e75658c0163944b00752e', 'hex');
  const appends = () => {
    const p = new PickleWriter().emptyList().mark();
    for (let i = 0; i < 300_000; i += 1) p.int(i % 256);
    return p.appends().stop();
  };
  // LONG4 of 8 MB: decoding it byte by byte into a BigInt is quadratic (minutes), through hex linear.
  const long4 = () => {
    const length = Buffer.alloc(4);
    length.writeInt32LE(8 << 20);
    return Buffer.concat([Buffer.from([0x80, 2, 0x8b]), length, Buffer.alloc(8 << 20, 0xff), Buffer.from('.')]);
  };
  return {
    seeds: [...pickles, { label: 'protocol 4', bytes: protocol4, parse }],
    cases: [
      { label: 'APPENDS of 300k items', bytes: appends, parse, expected: 'ok' },
      { label: 'APPENDS of 300k items, then a bad opcode', bytes: () => Buffer.concat([appends().subarray(0, -1), Buffer.from([0xff])]), parse, expected: 'CheckpointError' },
      { label: 'LONG4 of 8 MB', bytes: long4, parse, expected: 'ok' },
      { label: '17M MEMOIZE (more than a Map holds)', bytes: () => Buffer.concat([Buffer.from([0x80, 2, 0x4e]), Buffer.alloc(17_000_000, 0x94), Buffer.from('.')]), parse, expected: 'CheckpointError' },
    ],
  };
}

export const TARGET_NAMES = ['idx', 'idx-gz', 'cifar', 'svhn', 'npy', 'pt', 'safetensors', 'unpickle'] as const;
export type TargetName = typeof TARGET_NAMES[number];

export async function buildTarget(name: TargetName): Promise<Target> {
  switch (name) {
    case 'idx': return idxTarget(false);
    case 'idx-gz': return idxTarget(true);
    case 'cifar': return cifarTarget();
    case 'svhn': return svhnTarget();
    case 'npy': return npyTarget();
    case 'pt': return ptTarget();
    case 'safetensors': return safetensorsTarget();
    case 'unpickle': return unpickleTarget();
  }
}

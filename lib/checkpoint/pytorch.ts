// Checkpoints written by PyTorch's torch.save (the zip format, the default since 1.6): a ZIP with
// <archive>/data.pkl (the pickled object), <archive>/data/<key> (raw little-endian storages),
// <archive>/byteorder and <archive>/version. Tensors come out as TensorData, made contiguous.
//
// Decoding is in two steps, so a file cannot make us allocate what it merely declares: the pickle
// gives each tensor as a TorchTensorRef (dtype, shape, stride, offset on a storage), checked
// against the storage's declared size but holding no data; its load() reads and copies the data,
// after the caller has had the chance to compare names and shapes with what it expects.
import { CheckpointError } from '../errors';
import { gatherStrided } from '../typed-array';
import { readCheckpointBytes } from './checkpoint-bytes';
import { setOwn } from './own-property';
import { pt2ArchiveOf, pt2Refusal } from './pt2-archive';
import { describe, newDict, PickleCallable, unpickle } from './unpickle';
import { FileDtype, dtypeSize, elementCount, TensorData, tensorFromBytes, toFloat32, zerosTensor } from './tensor-data';
import { ZipArchive } from './zip';

export interface TorchLoadOptions {
  /** Convert F16, BF16 and F64 tensors to F32. Default false. */
  toFloat32?: boolean;
}

/** A storage class from the pickle (torch.FloatStorage, ...): only its element type matters here. */
class StorageType {
  constructor(readonly dtype: FileDtype, readonly qualifiedName: string) {}
}

// A pickle holds the structure only (tensor data lives in data/<key> entries): kilobytes, a few MB
// for the largest state dicts.
const MAX_PICKLE_BYTES = 64 << 20;
// A view with stride 0 (or overlapping strides) holds more elements than its storage; copying it
// out costs memory the file does not contain, so beyond this much it is refused.
const MAX_EXPANSION_BYTES = 64 << 20;
// One tensor at most: far beyond the models here, and what one typed array can safely hold.
const MAX_TENSOR_BYTES = 2 ** 31;

/**
 * What all of an archive's tensors may take once copied out: twice its storages (a storage may be
 * shared, as tied weights are) plus the expansion allowance. Without it, many views of one
 * storage, each within bounds, would multiply a small file's storage many times over.
 */
class CopyBudget {
  storageBytes = 0;
  private copied = 0;

  spend(bytes: number, what: string): void {
    const limit = 2 * this.storageBytes + MAX_EXPANSION_BYTES;
    if (this.copied + bytes > limit) {
      throw new CheckpointError(`${what}: the archive's tensors would take more than ${limit} bytes once copied out, twice its ${this.storageBytes} bytes of storages (plus ${MAX_EXPANSION_BYTES}); refused`);
    }
    this.copied += bytes;
  }
}

/** A storage in the archive: `numel` elements of `dtype` in entry `entry`, read once, when first needed. */
class Storage {
  private bytes?: Promise<Uint8Array>;
  constructor(readonly dtype: FileDtype, readonly numel: number, readonly key: string, private readonly entry: string, private readonly zip: ZipArchive) {}

  read(): Promise<Uint8Array> {
    this.bytes ??= this.zip.read(this.entry);
    return this.bytes;
  }
}

const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * A tensor as the pickle describes it: a view on a storage, checked to lie inside the storage
 * but not yet read. `load` copies its elements into a new row-major tensor.
 */
export class TorchTensorRef {
  private loaded?: Promise<TensorData>;

  constructor(readonly dtype: FileDtype, readonly shape: number[], readonly stride: number[], readonly offset: number,
    private readonly storage: Storage, private readonly fileName: string, private readonly budget: CopyBudget) {}

  /** The tensor's data (read once; later calls share it); `name` names the tensor in errors. */
  load(name: string): Promise<TensorData> {
    this.loaded ??= this.materialize(name);
    return this.loaded;
  }

  private async materialize(name: string): Promise<TensorData> {
    const { dtype, shape, stride, offset, storage } = this;
    const n = elementCount(shape);
    const width = dtypeSize(dtype);
    const what = `${this.fileName}: tensor '${name}' ${formatShape(shape)}`;
    if (n > storage.numel && n * width > MAX_EXPANSION_BYTES) {
      throw new CheckpointError(`${what} would expand its ${storage.numel}-element storage '${storage.key}' to ${n} elements (stride ${formatShape(stride)}); views that repeat their storage are refused above ${MAX_EXPANSION_BYTES} bytes`);
    }
    if (n * width > MAX_TENSOR_BYTES) throw new CheckpointError(`${what} has ${n} elements (${n * width} bytes), more than the limit of ${MAX_TENSOR_BYTES} bytes`);
    this.budget.spend(n * width, what);
    const bytes = await storage.read();
    let out: TensorData;
    try {
      out = zerosTensor(dtype, shape);
    } catch (error) {
      throw new CheckpointError(`${what}: cannot allocate ${n * width} bytes (${(error as Error).message})`);
    }
    if (n === 0) return out;
    let contiguous = true;
    for (let k = shape.length - 1, expected = 1; k >= 0; expected *= shape[k], k -= 1) {
      if (shape[k] !== 1 && stride[k] !== expected) contiguous = false;
    }
    if (contiguous) {
      new Uint8Array(out.data.buffer).set(bytes.subarray(offset * width, (offset + n) * width));
      return out;
    }
    const source = tensorFromBytes(dtype, [storage.numel], bytes).data as unknown as ArrayLike<unknown>;
    const target = out.data as unknown as { [i: number]: unknown; length: number };
    gatherStrided(source, target, shape, stride, offset);
    return out;
  }
}

const STORAGE_DTYPES: Record<string, FileDtype> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8',
  ByteStorage: 'U8', BoolStorage: 'BOOL', UntypedStorage: 'U8',
};

// torch.<dtype> objects (e.g. a saved `dtype` field) become the string 'torch.<name>'.
const TORCH_DTYPE_NAMES = new Set([
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'int64', 'long',
  'int32', 'int', 'int16', 'short', 'int8', 'uint8', 'bool',
]);

// Marker values for the tensor classes that _rebuild_from_type_v2 may name.
const TENSOR_CLASSES = new Set(['torch.Tensor', 'torch.nn.parameter.Parameter']);
class TensorClass {
  constructor(readonly qualifiedName: string) {}
}

function callable(qualifiedName: string, call: (args: unknown[]) => unknown): PickleCallable {
  return { qualifiedName, call };
}

/**
 * True for the legacy (pre-1.6) torch.save format, which begins with a protocol-2 pickle of its
 * magic number (PROTO 2, LONG1 of 10 bytes). A safetensors header length cannot look like this.
 */
export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  return bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a && bytes[3] === 0x0a;
}

/** True when the bytes start like a ZIP archive (a torch.save file since PyTorch 1.6). */
export function isZipFile(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b;
}

/**
 * Decodes a torch.save zip archive held in memory, tensors as TorchTensorRef (no tensor data is
 * read); `fileName` starts every error message.
 */
export async function readTorchArchive(buffer: Uint8Array, fileName = '<buffer>'): Promise<unknown> {
  const fail = (what: string): never => { throw new CheckpointError(`${fileName}: ${what}`); };
  if (isLegacyTorchFile(buffer)) {
    fail('this is the legacy torch.save format (PyTorch < 1.6 or _use_new_zipfile_serialization=False), which is not supported; re-save it with torch.save in a current PyTorch');
  }
  if (!isZipFile(buffer)) fail('not a torch.save checkpoint (a torch.save file is a ZIP archive and starts with "PK")');
  const zip = new ZipArchive(buffer, fileName);
  const pickles = zip.names().filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    const pt2 = pt2ArchiveOf(zip);
    if (pt2) throw new CheckpointError(pt2Refusal(fileName, 'a torch.save checkpoint', pt2));
    const torchScript = zip.names().some((name) => /^[^/]+\/constants\.pkl$/.test(name));
    fail(torchScript ? 'a TorchScript archive (torch.jit.save) is not a torch.save checkpoint' : `expected one <archive>/data.pkl entry, found ${pickles.length}`);
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}byteorder`)) {
    const order = Buffer.from(await zip.read(`${prefix}byteorder`, 64, 'a byte order')).toString('utf8').trim();
    if (order !== 'little') fail(`storages are stored ${order}-endian; only little-endian checkpoints are supported`);
  }

  const storages = new Map<string, Storage>();
  const budget = new CopyBudget();
  const loadStorage = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
      fail(`unsupported persistent id ${describe(pid)}; expected ('storage', type, key, location, numel)`);
    }
    const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
    if (!(type instanceof StorageType)) return fail(`persistent id names ${describe(type)} instead of a storage type`);
    if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0) {
      fail(`malformed storage id (key ${describe(key)}, numel ${describe(numel)})`);
    }
    const cached = storages.get(key as string);
    if (cached) {
      if (cached.dtype !== type.dtype || cached.numel !== numel) fail(`storage '${key}' is described twice, differently`);
      return cached;
    }
    const entry = `${prefix}data/${key}`;
    if (!zip.has(entry)) fail(`storage '${key}' is missing from the archive (no entry '${entry}')`);
    // The directory's size is checked now, before anything is inflated.
    const size = zip.declaredSize(entry);
    const expected = (numel as number) * dtypeSize(type.dtype);
    if (size !== expected) fail(`storage '${key}' has ${size} bytes, but ${numel} ${type.dtype} elements need ${expected}`);
    const storage = new Storage(type.dtype, numel as number, key as string, entry, zip);
    storages.set(key as string, storage);
    budget.storageBytes += size;
    return storage;
  };

  const rebuildTensor = (args: unknown[]): TorchTensorRef => {
    const [storage, offset, size, stride] = args;
    if (args.length < 6 || !(storage instanceof Storage)) {
      return fail('_rebuild_tensor_v2 expects (storage, offset, size, stride, requires_grad, hooks[, metadata])');
    }
    const valid = (v: unknown): v is number[] => Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
    if (!Number.isSafeInteger(offset) || (offset as number) < 0 || !valid(size) || !valid(stride) || size.length !== stride.length) {
      fail(`tensor on storage '${storage.key}' has a malformed layout (offset ${describe(offset)}, size and stride must be equal-length lists of non-negative integers)`);
    }
    const shape = [...(size as number[])];
    const n = elementCount(shape);
    if (!Number.isSafeInteger(n)) fail(`tensor ${formatShape(shape)} on storage '${storage.key}' has more elements than can be addressed (${n})`);
    if (n > 0) {
      const last = (offset as number) + shape.reduce((sum, d, k) => sum + (d - 1) * (stride as number[])[k], 0);
      if (!(last < storage.numel)) {
        fail(`tensor ${formatShape(shape)} with stride ${formatShape(stride as number[])} at offset ${offset} reaches element ${last} of storage '${storage.key}', which has ${storage.numel}`);
      }
    }
    return new TorchTensorRef(storage.dtype, shape, [...(stride as number[])], offset as number, storage, fileName, budget);
  };

  const findGlobal = (module: string, name: string): unknown => {
    const qualified = `${module}.${name}`;
    if (qualified === 'collections.OrderedDict') {
      return callable(qualified, (args) => {
        if (args.length !== 0) fail('OrderedDict with constructor arguments is not supported');
        return newDict();
      });
    }
    if ((module === 'builtins' || module === '__builtin__') && (name === 'set' || name === 'frozenset')) {
      return callable(qualified, (args) => (Array.isArray(args[0]) ? [...args[0]] : []));
    }
    if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return callable(qualified, rebuildTensor);
    if (module === 'torch._utils' && (name === '_rebuild_parameter' || name === '_rebuild_parameter_with_state')) {
      return callable(qualified, (args) => args[0]);
    }
    if (module === 'torch._tensor' && name === '_rebuild_from_type_v2') {
      // (func, type, args, state): only plain tensors and parameters, whose state we do not need.
      return callable(qualified, (args) => {
        const [func, type, innerArgs] = args;
        if (!(type instanceof TensorClass)) fail(`refusing to rebuild a tensor of class ${describe(type)}`);
        if (typeof func !== 'object' || func === null || !('call' in func) || !Array.isArray(innerArgs)) {
          fail('malformed _rebuild_from_type_v2 arguments');
        }
        return (func as PickleCallable).call(innerArgs as unknown[]);
      });
    }
    if (TENSOR_CLASSES.has(qualified)) return new TensorClass(qualified);
    if ((module === 'torch' || module === 'torch.storage') && STORAGE_DTYPES[name]) return new StorageType(STORAGE_DTYPES[name], qualified);
    if (module === 'torch' && TORCH_DTYPE_NAMES.has(name)) return qualified;
    return fail(`refusing to load the pickled global '${qualified}': only tensors, storages, dtypes and plain containers are allowed`);
  };

  const pickle = await zip.read(pickles[0], MAX_PICKLE_BYTES, 'a pickle');
  return unpickle(pickle, { findGlobal, persistentLoad: loadStorage }, `${fileName} (${pickles[0]})`);
}

function isContainer(value: unknown): value is unknown[] | Record<string, unknown> {
  if (Array.isArray(value)) return true;
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Every TorchTensorRef in `root` replaced by its loaded data, in place. Iterative, and each
 * container visited once: a pickle can nest deeply or refer to itself.
 */
async function loadAll(root: unknown, options: TorchLoadOptions): Promise<unknown> {
  const load = async (ref: TorchTensorRef, name: string): Promise<TensorData> => {
    const tensor = await ref.load(name);
    return options.toFloat32 ? toFloat32(tensor) : tensor;
  };
  if (root instanceof TorchTensorRef) return load(root, '<root>');
  const seen = new Set<object>();
  const pending: { container: unknown[] | Record<string, unknown>; path: string }[] = [];
  if (isContainer(root)) pending.push({ container: root, path: '' });
  while (pending.length > 0) {
    const { container, path } = pending.pop()!;
    if (seen.has(container)) continue;
    seen.add(container);
    const keys = Array.isArray(container) ? container.map((_, i) => i) : Object.keys(container);
    for (const key of keys) {
      const child = (container as Record<string | number, unknown>)[key];
      const childPath = typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (child instanceof TorchTensorRef) {
        const tensor = await load(child, childPath);
        if (typeof key === 'number') (container as unknown[])[key] = tensor;
        else setOwn(container as Record<string, unknown>, key, tensor);
      } else if (isContainer(child)) {
        pending.push({ container: child, path: childPath });
      }
    }
  }
  return root;
}

/** Decodes a torch.save zip archive held in memory: the whole unpickled object, tensors as TensorData. */
export async function decodeTorchCheckpoint(buffer: Uint8Array, fileName = '<buffer>', options: TorchLoadOptions = {}): Promise<unknown> {
  return loadAll(await readTorchArchive(buffer, fileName), options);
}

/** Reads a torch.save checkpoint: the whole unpickled object, with tensors as TensorData. */
export async function loadTorchCheckpoint(path: string, options: TorchLoadOptions = {}): Promise<unknown> {
  return decodeTorchCheckpoint(await readCheckpointBytes(path, 'a torch.save checkpoint'), path, options);
}

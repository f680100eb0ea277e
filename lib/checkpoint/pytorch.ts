// Checkpoints written by PyTorch's torch.save (the zip format, the default since 1.6): a ZIP with
// <archive>/data.pkl (the pickled object), <archive>/data/<key> (raw little-endian storages),
// <archive>/byteorder and <archive>/version. Tensors come out as TensorData, made contiguous.
import { promises as fs } from 'fs';
import { describe, newDict, PickleCallable, unpickle } from './unpickle';
import { Dtype, dtypeSize, elementCount, TensorData, tensorFromBytes, toFloat32, zerosTensor } from './tensor-data';
import { ZipArchive } from './zip';

export interface TorchLoadOptions {
  /** Convert F16, BF16 and F64 tensors to F32. Default false. */
  toFloat32?: boolean;
}

/** A storage class from the pickle (torch.FloatStorage, ...): only its element type matters here. */
class StorageType {
  constructor(readonly dtype: Dtype, readonly qualifiedName: string) {}
}

/** A storage loaded from the archive: `numel` elements of `dtype`. */
class Storage {
  constructor(readonly dtype: Dtype, readonly numel: number, readonly bytes: Uint8Array, readonly key: string) {}
}

const STORAGE_DTYPES: Record<string, Dtype> = {
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

/** Decodes a torch.save zip archive held in memory; `fileName` starts every error message. */
export function decodeTorchCheckpoint(buffer: Uint8Array, fileName = '<buffer>', options: TorchLoadOptions = {}): unknown {
  if (isLegacyTorchFile(buffer)) {
    throw new Error(`${fileName}: this is the legacy torch.save format (PyTorch < 1.6 or _use_new_zipfile_serialization=False), which is not supported; re-save it with torch.save in a current PyTorch`);
  }
  if (!isZipFile(buffer)) {
    throw new Error(`${fileName}: not a torch.save checkpoint (a torch.save file is a ZIP archive and starts with "PK")`);
  }
  const zip = new ZipArchive(buffer, fileName);
  const pickles = zip.names().filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    const torchScript = zip.names().some((name) => /^[^/]+\/constants\.pkl$/.test(name));
    throw new Error(`${fileName}: ${torchScript ? 'a TorchScript archive (torch.jit.save) is not a torch.save checkpoint'
      : `expected one <archive>/data.pkl entry, found ${pickles.length}`}`);
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}byteorder`)) {
    const order = Buffer.from(zip.read(`${prefix}byteorder`)).toString('utf8').trim();
    if (order !== 'little') throw new Error(`${fileName}: storages are stored ${order}-endian; only little-endian checkpoints are supported`);
  }

  const storages = new Map<string, Storage>();
  const loadStorage = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
      throw new Error(`${fileName}: unsupported persistent id ${describe(pid)}; expected ('storage', type, key, location, numel)`);
    }
    const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
    if (!(type instanceof StorageType)) throw new Error(`${fileName}: persistent id names ${describe(type)} instead of a storage type`);
    if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0) {
      throw new Error(`${fileName}: malformed storage id (key ${describe(key)}, numel ${describe(numel)})`);
    }
    const cached = storages.get(key);
    if (cached) return cached;
    const entry = `${prefix}data/${key}`;
    if (!zip.has(entry)) throw new Error(`${fileName}: storage '${key}' is missing from the archive (no entry '${entry}')`);
    const bytes = zip.read(entry);
    const expected = (numel as number) * dtypeSize(type.dtype);
    if (bytes.byteLength !== expected) {
      throw new Error(`${fileName}: storage '${key}' has ${bytes.byteLength} bytes, but ${numel} ${type.dtype} elements need ${expected}`);
    }
    const storage = new Storage(type.dtype, numel as number, bytes, key);
    storages.set(key, storage);
    return storage;
  };

  const rebuildTensor = (args: unknown[]): TensorData => {
    const [storage, offset, size, stride] = args;
    if (args.length < 6 || !(storage instanceof Storage)) {
      throw new Error(`${fileName}: _rebuild_tensor_v2 expects (storage, offset, size, stride, requires_grad, hooks[, metadata])`);
    }
    const valid = (v: unknown): v is number[] => Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
    if (!Number.isSafeInteger(offset) || (offset as number) < 0 || !valid(size) || !valid(stride) || size.length !== stride.length) {
      throw new Error(`${fileName}: tensor on storage '${storage.key}' has a malformed layout (offset ${describe(offset)}, size and stride must be equal-length lists of non-negative integers)`);
    }
    const tensor = materialize(storage, offset as number, size, stride, fileName);
    return options.toFloat32 ? toFloat32(tensor) : tensor;
  };

  const findGlobal = (module: string, name: string): unknown => {
    const qualified = `${module}.${name}`;
    if (qualified === 'collections.OrderedDict') {
      return callable(qualified, (args) => {
        if (args.length !== 0) throw new Error(`${fileName}: OrderedDict with constructor arguments is not supported`);
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
        if (!(type instanceof TensorClass)) throw new Error(`${fileName}: refusing to rebuild a tensor of class ${describe(type)}`);
        if (typeof func !== 'object' || func === null || !('call' in func) || !Array.isArray(innerArgs)) {
          throw new Error(`${fileName}: malformed _rebuild_from_type_v2 arguments`);
        }
        return (func as PickleCallable).call(innerArgs);
      });
    }
    if (TENSOR_CLASSES.has(qualified)) return new TensorClass(qualified);
    if ((module === 'torch' || module === 'torch.storage') && STORAGE_DTYPES[name]) return new StorageType(STORAGE_DTYPES[name], qualified);
    if (module === 'torch' && TORCH_DTYPE_NAMES.has(name)) return qualified;
    throw new Error(`${fileName}: refusing to load the pickled global '${qualified}': only tensors, storages, dtypes and plain containers are allowed`);
  };

  return unpickle(zip.read(pickles[0]), { findGlobal, persistentLoad: loadStorage }, `${fileName} (${pickles[0]})`);
}

/**
 * The elements `offset + Σ index[k]·stride[k]` of a storage, copied into a new row-major tensor,
 * so transposed views and strided slices come out contiguous.
 */
function materialize(storage: Storage, offset: number, size: number[], stride: number[], fileName: string): TensorData {
  const n = elementCount(size);
  const out = zerosTensor(storage.dtype, size);
  if (n === 0) return out;
  const last = offset + size.reduce((sum, d, k) => sum + (d - 1) * stride[k], 0);
  if (last >= storage.numel) {
    throw new Error(`${fileName}: tensor [${size.join(', ')}] with stride [${stride.join(', ')}] at offset ${offset} reaches element ${last} of storage '${storage.key}', which has ${storage.numel}`);
  }
  let contiguous = true;
  for (let k = size.length - 1, expected = 1; k >= 0; expected *= size[k], k -= 1) {
    if (size[k] !== 1 && stride[k] !== expected) contiguous = false;
  }
  const width = dtypeSize(storage.dtype);
  if (contiguous) {
    new Uint8Array(out.data.buffer).set(storage.bytes.subarray(offset * width, (offset + n) * width));
    return out;
  }
  const source = tensorFromBytes(storage.dtype, [storage.numel], storage.bytes).data;
  const target = out.data as unknown as { [i: number]: unknown };
  const items = source as unknown as { [i: number]: unknown };
  const index = new Array<number>(size.length).fill(0);
  let at = offset;
  for (let i = 0; i < n; i += 1) {
    target[i] = items[at];
    // Odometer over the index, innermost dimension fastest.
    for (let k = size.length - 1; k >= 0; k -= 1) {
      index[k] += 1;
      at += stride[k];
      if (index[k] < size[k]) break;
      at -= stride[k] * size[k];
      index[k] = 0;
    }
  }
  return out;
}

/** Reads a torch.save checkpoint: the whole unpickled object, with tensors as TensorData. */
export async function loadTorchCheckpoint(path: string, options: TorchLoadOptions = {}): Promise<unknown> {
  return decodeTorchCheckpoint(await fs.readFile(path), path, options);
}

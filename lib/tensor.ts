// Tensors from typed arrays and Buffers, and back: the typed face of the native Tensor.
import { OptionError } from './errors';
import { show } from './options';
import { native } from './addon';
import { AnyTypedArray, Dtype, NativeTensor } from './native';
import { checkTypedArray } from './typed-array';

export type Tensor = NativeTensor;

const BYTES: Record<Dtype, number> = { uint8: 1, int32: 4, int64: 8, float32: 4 };

/** Copies `data` into a new tensor of the given shape (default: 1-D) on `device` (default 'cpu'). */
export function tensor(data: AnyTypedArray, shape?: number[], options: { device?: string } = {}): Tensor {
  checkTypedArray('tensor', 'data', data);
  return new native.Tensor(data, shape ?? [data.length], options.device ?? 'cpu');
}

/** Reads a Buffer's bytes as `dtype` (little-endian, as stored by the platform) into a tensor. */
export function fromBuffer(buffer: Buffer, dtype: Dtype, shape: number[], options: { device?: string } = {}): Tensor {
  checkTypedArray('fromBuffer', 'buffer', buffer);
  const width = typeof dtype === 'string' ? BYTES[dtype] : undefined;
  if (width === undefined) throw new OptionError(`fromBuffer: dtype ${show(dtype)} is not supported; expected uint8, int32, int64 or float32`);
  if (buffer.byteLength % width !== 0) {
    throw new OptionError(`a Buffer of ${buffer.byteLength} bytes cannot hold whole ${dtype} elements (${width} bytes each)`);
  }
  // Typed-array views need aligned offsets: copy when the Buffer sits at an unaligned offset in its pool.
  const bytes = buffer.byteOffset % width === 0 ? buffer : Buffer.from(buffer);
  const n = bytes.byteLength / width;
  const view: AnyTypedArray = dtype === 'uint8' ? new Uint8Array(bytes.buffer, bytes.byteOffset, n)
    : dtype === 'int32' ? new Int32Array(bytes.buffer, bytes.byteOffset, n)
      : dtype === 'int64' ? new BigInt64Array(bytes.buffer, bytes.byteOffset, n)
        : new Float32Array(bytes.buffer, bytes.byteOffset, n);
  return tensor(view, shape, options);
}

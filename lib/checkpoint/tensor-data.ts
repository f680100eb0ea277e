// Tensors as plain data for the checkpoint formats: a dtype code (the safetensors names), a shape
// and a typed array in row-major order. Half-precision types keep their raw bits in a Uint16Array.
import { CheckpointError, OptionError } from '../errors';

/** Element types, named as in the safetensors header. */
export type FileDtype =
  | 'BOOL' | 'U8' | 'I8' | 'F8_E5M2' | 'F8_E4M3'
  | 'I16' | 'U16' | 'F16' | 'BF16'
  | 'I32' | 'U32' | 'F32'
  | 'I64' | 'U64' | 'F64';

/** The typed array that holds each dtype's elements. */
export interface FileDtypeArrays {
  BOOL: Uint8Array; U8: Uint8Array; I8: Int8Array; F8_E5M2: Uint8Array; F8_E4M3: Uint8Array;
  I16: Int16Array; U16: Uint16Array; F16: Uint16Array; BF16: Uint16Array;
  I32: Int32Array; U32: Uint32Array; F32: Float32Array;
  I64: BigInt64Array; U64: BigUint64Array; F64: Float64Array;
}

/** A tensor as data; narrowing on `dtype` narrows `data` to its typed array. */
export type TensorData = { [D in FileDtype]: { dtype: D; shape: number[]; data: FileDtypeArrays[D] } }[FileDtype];

export type TensorArray = FileDtypeArrays[FileDtype];

type TypedArrayClass = { new(buffer: ArrayBufferLike, byteOffset: number, length: number): TensorArray; BYTES_PER_ELEMENT: number };

const ARRAY_CLASS: Record<FileDtype, TypedArrayClass> = {
  BOOL: Uint8Array, U8: Uint8Array, I8: Int8Array, F8_E5M2: Uint8Array, F8_E4M3: Uint8Array,
  I16: Int16Array, U16: Uint16Array, F16: Uint16Array, BF16: Uint16Array,
  I32: Int32Array, U32: Uint32Array, F32: Float32Array,
  I64: BigInt64Array, U64: BigUint64Array, F64: Float64Array,
};

export const DTYPES = Object.keys(ARRAY_CLASS) as FileDtype[];

/** A zero-filled tensor of the given dtype and shape. */
export function zerosTensor(dtype: FileDtype, shape: number[]): TensorData {
  const Class = ARRAY_CLASS[dtype];
  const n = elementCount(shape);
  return { dtype, shape, data: new Class(new ArrayBuffer(n * Class.BYTES_PER_ELEMENT), 0, n) } as TensorData;
}

export function isDtype(value: unknown): value is FileDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ARRAY_CLASS, value);
}

/** Bytes per element of `dtype`. */
export function dtypeSize(dtype: FileDtype): number {
  return ARRAY_CLASS[dtype].BYTES_PER_ELEMENT;
}

/** Number of elements of a shape (1 for a scalar's empty shape). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** True for a valid shape: an array of non-negative safe integers. */
export function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** A tensor over little-endian `bytes`: a view when `bytes` is aligned for the dtype, a copy otherwise. */
export function tensorFromBytes(dtype: FileDtype, shape: number[], bytes: Uint8Array): TensorData {
  const Class = ARRAY_CLASS[dtype];
  const width = Class.BYTES_PER_ELEMENT;
  const n = elementCount(shape);
  if (bytes.byteLength !== n * width) {
    throw new CheckpointError(`${dtype} tensor of shape [${shape.join(', ')}] needs ${n * width} bytes, got ${bytes.byteLength}`);
  }
  const aligned = bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes);
  return { dtype, shape, data: new Class(aligned.buffer, aligned.byteOffset, n) } as TensorData;
}

/** The raw little-endian bytes of a tensor's data (a view, no copy). */
export function tensorBytes(tensor: TensorData): Uint8Array {
  return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}

/** True when `value` looks like a TensorData (dtype, shape and a typed array of the right kind and length). */
export function isTensorData(value: unknown): value is TensorData {
  if (typeof value !== 'object' || value === null) return false;
  const { dtype, shape, data } = value as { dtype?: unknown; shape?: unknown; data?: unknown };
  return isDtype(dtype) && isShape(shape) && data instanceof ARRAY_CLASS[dtype]
    && (data as TensorArray).length === elementCount(shape);
}

/** Checks that a tensor's typed array matches its dtype and shape; the OptionError names the tensor. */
export function assertTensorData(name: string, value: unknown): asserts value is TensorData {
  if (isTensorData(value)) return;
  const t = value as { dtype?: unknown; shape?: unknown; data?: unknown } | null;
  if (typeof t !== 'object' || t === null) throw new OptionError(`tensor '${name}': expected { dtype, shape, data }, got ${t === null ? 'null' : typeof t}`);
  if (!isDtype(t.dtype)) throw new OptionError(`tensor '${name}': unknown dtype ${JSON.stringify(t.dtype)}; expected one of ${DTYPES.join(', ')}`);
  if (!isShape(t.shape)) throw new OptionError(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
  const Class = ARRAY_CLASS[t.dtype];
  if (!(t.data instanceof Class)) throw new OptionError(`tensor '${name}': ${t.dtype} data must be a ${Class.name}`);
  throw new OptionError(`tensor '${name}': shape [${t.shape.join(', ')}] has ${elementCount(t.shape)} elements but data has ${(t.data as TensorArray).length}`);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits to a number (exact: every half value is a float32 value). */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** bfloat16 bits to a number: they are the upper half of a float32. */
export function bfloat16ToNumber(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

/**
 * The tensor with F16, BF16 and F64 data converted to F32 (F16 and BF16 exactly, F64 rounded to
 * nearest); other dtypes are returned unchanged.
 */
export function toFloat32(tensor: TensorData): TensorData {
  switch (tensor.dtype) {
    case 'F16': return { dtype: 'F32', shape: tensor.shape, data: Float32Array.from(tensor.data, halfToNumber) };
    case 'BF16': {
      const out = new Uint32Array(tensor.data.length);
      for (let i = 0; i < out.length; i += 1) out[i] = tensor.data[i] << 16;
      return { dtype: 'F32', shape: tensor.shape, data: new Float32Array(out.buffer) };
    }
    case 'F64': return { dtype: 'F32', shape: tensor.shape, data: Float32Array.from(tensor.data) };
    default: return tensor;
  }
}

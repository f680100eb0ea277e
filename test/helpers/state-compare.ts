// Comparing trainer state dicts and checkpoint tensors bit for bit.
import type { StateDict, TensorEntry } from '../../lib';
import type { TensorData } from '../../lib/checkpoint/tensor-data';

export function bytesOf(t: { data: TensorEntry['data'] | TensorData['data'] }): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Names whose shape or bytes differ (or that only one side has); empty when identical. */
export function differingTensors(a: Record<string, { shape: number[]; data: TensorEntry['data'] | TensorData['data'] }>,
  b: Record<string, { shape: number[]; data: TensorEntry['data'] | TensorData['data'] }>): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((n) => !a[n] || !b[n] || a[n].shape.join() !== b[n].shape.join() || !bytesOf(a[n]).equals(bytesOf(b[n])));
}

const FILE_DTYPES = { float32: 'F32', int64: 'I64', int32: 'I32', uint8: 'U8' } as const;

/** A trainer tensor as checkpoint TensorData (same memory). */
export function asTensorData(entry: StateDict[string]): TensorData {
  return { dtype: FILE_DTYPES[entry.dtype], shape: entry.shape, data: entry.data } as TensorData;
}

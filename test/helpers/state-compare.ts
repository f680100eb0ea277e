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

/**
 * The largest difference of a tensor relative to its own largest value, over the names `want` has (a name
 * missing from `got` is an infinite difference), and which tensor it is.
 */
export function worstRelative(got: Record<string, { data: ArrayLike<number | bigint> }>, want: Record<string, { data: ArrayLike<number | bigint> }>):
  { worst: number; where: string } {
  let worst = 0, where = '';
  for (const name of Object.keys(want)) {
    if (!(name in got)) return { worst: Infinity, where: `${name} (missing)` };
    const x = got[name].data, y = want[name].data;
    let scale = 0, diff = 0;
    for (let i = 0; i < y.length; i += 1) {
      scale = Math.max(scale, Math.abs(Number(y[i])));
      diff = Math.max(diff, Math.abs(Number(x[i]) - Number(y[i])));
    }
    const relative = diff / Math.max(scale, 1e-12);
    if (relative > worst) [worst, where] = [relative, name];
  }
  return { worst, where };
}

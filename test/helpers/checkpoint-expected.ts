// The expected values that test/fixtures/make_pytorch_fixtures.py records for each tensor, and an
// exact comparison of a loaded tensor against them.
import type { ExecutionContext } from 'ava';
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import { bfloat16ToNumber, FileDtype, halfToNumber, tensorBytes, TensorData } from '../../lib/checkpoint/tensor-data';

// Compiled to dist/test/helpers: the fixtures stay in the source tree.
export const FIXTURES = path.resolve(__dirname, '../../../test/fixtures');
export const fixture = (name: string): string => path.join(FIXTURES, name);

export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  sha256: string;
  first: (number | string | boolean)[];
  sum?: number | string;
}

/** float32 values written as doubles (each converts back to the same float32), with their shape. */
export interface ExactFloats {
  shape: number[];
  values: number[];
}

export const expected = JSON.parse(readFileSync(fixture('checkpoints.expected.json'), 'utf8')) as {
  wrn_10_1_shapes: Record<string, number[]>;
  wrn_state_dict: Record<string, ExpectedTensor>;
  authors_merged: Record<string, ExpectedTensor>;
  authors_changed_by_step: string[];
  authors_optim_first_momentum: ExpectedTensor;
  layouts: Record<string, ExpectedTensor>;
  layouts_strides: Record<string, number[]>;
  python_safetensors: Record<string, ExpectedTensor>;
  python_safetensors_metadata: Record<string, string>;
  mlp_state_dict: Record<string, ExpectedTensor>;
  mlp_inputs: ExactFloats;
  mlp_features: ExactFloats;
  wrn_10_1_merged: Record<string, ExpectedTensor>;
  wrn_10_1_inputs: ExactFloats;
  wrn_10_1_features: ExactFloats;
};

const TORCH_DTYPES: Record<string, FileDtype> = {
  float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL',
};

/** Element values as numbers (floats), decimal strings (integers, exact for int64) or booleans. */
function values(tensor: TensorData): (number | string | boolean)[] {
  switch (tensor.dtype) {
    case 'F16': return Array.from(tensor.data, halfToNumber);
    case 'BF16': return Array.from(tensor.data, bfloat16ToNumber);
    case 'F32': case 'F64': return Array.from(tensor.data as ArrayLike<number>);
    case 'BOOL': return Array.from(tensor.data, (v) => v !== 0);
    default: return Array.from(tensor.data as ArrayLike<number | bigint>, (v) => String(v));
  }
}

/** Asserts dtype, shape, the exact bytes (SHA-256), the first values and the row-major sum. */
export function assertTensorMatches(t: ExecutionContext, name: string, tensor: TensorData | undefined, want: ExpectedTensor): void {
  if (!tensor) { t.fail(`${name}: missing`); return; }
  t.is(tensor.dtype, TORCH_DTYPES[want.dtype], `${name}: dtype`);
  t.deepEqual(tensor.shape, want.shape, `${name}: shape`);
  t.is(createHash('sha256').update(tensorBytes(tensor)).digest('hex'), want.sha256, `${name}: bytes`);
  const all = values(tensor);
  t.deepEqual(all.slice(0, 4), want.first, `${name}: first values`);
  if (typeof want.sum === 'number') {
    let sum = 0;
    for (const v of all) sum += v as number;
    t.is(sum, want.sum, `${name}: sum`);
  } else if (typeof want.sum === 'string') {
    t.is(String(all.reduce((s, v) => s + BigInt(v as string), 0n)), want.sum, `${name}: sum`);
  }
}

// Comparing a checkpoint's tensors with what a model expects, so a wrong checkpoint fails with a
// list of what differs instead of a shape error deep inside the native code.
import { CheckpointError } from '../errors';

export interface StateDictMismatchOptions {
  /** How many mismatches the error lists; default 5. */
  maxListed?: number;
  /** Where the checkpoint came from, for the message. */
  source?: string;
}

const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Every difference between a model's expected names → shapes and a checkpoint's tensors, in model order, then the unexpected names. */
export function stateDictMismatches(expected: Record<string, readonly number[]>, actual: Record<string, { shape: readonly number[] }>): string[] {
  const has = (record: object, name: string): boolean => Object.prototype.hasOwnProperty.call(record, name);
  const mismatches: string[] = [];
  for (const [name, shape] of Object.entries(expected)) {
    if (!has(actual, name)) {
      mismatches.push(`${name}: missing from the checkpoint (model ${formatShape(shape)})`);
    } else {
      const found = actual[name].shape;
      if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) {
        mismatches.push(`${name}: checkpoint ${formatShape(found)} vs model ${formatShape(shape)}`);
      }
    }
  }
  for (const name of Object.keys(actual)) {
    if (!has(expected, name)) mismatches.push(`${name}: unexpected in the checkpoint (${formatShape(actual[name].shape)}), not in the model`);
  }
  return mismatches;
}

/** Throws, listing the first few mismatches and their total, unless the names and shapes agree exactly. */
export function matchStateDict(expected: Record<string, readonly number[]>, actual: Record<string, { shape: readonly number[] }>, options: StateDictMismatchOptions = {}): void {
  const mismatches = stateDictMismatches(expected, actual);
  if (mismatches.length === 0) return;
  const listed = mismatches.slice(0, options.maxListed ?? 5);
  const more = mismatches.length - listed.length;
  throw new CheckpointError([
    `${options.source ? `${options.source}: ` : ''}checkpoint does not match the model: ${mismatches.length} mismatch${mismatches.length === 1 ? '' : 'es'}`,
    ...listed.map((m) => `  ${m}`),
    ...(more > 0 ? [`  ... and ${more} more`] : []),
  ].join('\n'));
}

const isFloating = (dtype: string): boolean => dtype.startsWith('float');

/**
 * Throws unless every tensor that the model has is of the model's kind of dtype: a float weight takes no integer
 * tensor, an integer buffer (BatchNorm's num_batches_tracked) no float one, since copying it in would cast silently.
 * File dtypes F16, BF16 and F64 reach here widened to float32.
 */
export function assertDtypesMatch(entries: readonly { name: string; dtype: string }[], model: readonly { name: string; dtype: string }[],
  source: string): void {
  const own = new Map(model.map((m) => [m.name, m.dtype]));
  for (const e of entries) {
    const want = own.get(e.name);
    if (want !== undefined && isFloating(want) !== isFloating(e.dtype)) {
      throw new CheckpointError(`${source}: tensor '${e.name}' is ${e.dtype}, but the model's is ${want}; ` +
        `expected ${isFloating(want) ? 'a floating-point' : 'an integer'} tensor`);
    }
  }
}

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

// Vectors and arrays given to an analysis must be finite: a NaN would spread through every product and
// come back as a NaN result (or a line search "rejected" with ξ* NaN) instead of an error.
import { NonFiniteError } from '../errors';
import { firstNonFinite } from '../typed-array';

/** Throws a NonFiniteError naming the first NaN or infinite entry of `values` (`name[i]`). */
export function checkFinite(where: string, name: string, values: ArrayLike<number>): void {
  const i = firstNonFinite(values);
  if (i >= 0) throw new NonFiniteError(`${where}: ${name}[${i}] is ${values[i]}; expected finite values`);
}

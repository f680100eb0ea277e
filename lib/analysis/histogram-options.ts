// The options of the figure inputs (xiStarHistogram, curvatureHistogram, perturbationHistogram): no unknown
// keys, and bins bounded so that a typo cannot ask plot.histogram for a billion edges.
import { checkNumber, RULES } from '../defaults';
import { checkKeys, ownOptions } from '../options';

/** `options` with its keys checked (`bins` and `extra`), and its bin count, defaulting to `fallback`. */
export function histogramOptions<T extends { bins?: number }>(where: string, given: T, fallback: number, extra: string[] = []): T & { bins: number } {
  const options = ownOptions(where, given);
  checkKeys(where, options, ['bins', ...extra]);
  return { ...options, bins: checkNumber(where, 'bins', options.bins ?? fallback, RULES.bins) };
}

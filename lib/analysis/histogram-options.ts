// The options of the figure inputs (xiStarHistogram, curvatureHistogram, perturbationHistogram): no unknown
// keys, and bins bounded so that a typo cannot ask plot.histogram for a billion edges.
import { checkNumber, RULES } from '../defaults';
import { OptionError } from '../errors';
import { checkKeys, ownOptions, show } from '../options';

/** `options` with its keys checked (`bins` and `extra`), and its bin count, defaulting to `fallback`. */
export function histogramOptions<T extends { bins?: number }>(where: string, given: T, fallback: number, extra: string[] = []): T & { bins: number } {
  const options = ownOptions(where, given);
  checkKeys(where, options, ['bins', ...extra]);
  return { ...options, bins: checkNumber(where, 'bins', options.bins ?? fallback, RULES.bins) };
}

/** A figure's series as given: an array of { name, values: number[] } (the histogram reads nothing else). */
export function checkSeries(where: string, series: unknown): { name: string; values: number[] }[] {
  if (!Array.isArray(series) || series.length === 0) throw new OptionError(`${where}: series must be a non-empty array`);
  series.forEach((s, i) => {
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string') {
      throw new OptionError(`${where}: series[${i}] must be { name: string, values: number[] }, got ${show(s)}`);
    }
    checkValues(where, `series[${i}].values`, s.values);
  });
  return series;
}

/** An array of numbers (NaN and infinite ones are left out of the bins). */
export function checkValues(where: string, name: string, values: unknown): number[] {
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number')) {
    throw new OptionError(`${where}: ${name} must be an array of numbers, got ${show(values)}`);
  }
  return values;
}

// One Vega-Lite spec per kind of figure in the paper's analyses. Each takes plain numbers and
// returns a spec whose title, subtitle, axis titles (with units) and legend say what is shown,
// so a figure reads without the paper next to it. Losses are mean cross-entropy, in nats.
import { OptionError } from '../errors';
import type { TopLevelSpec } from './spec';
import { binSeries } from './bins';

const WIDTH = 460;
const HEIGHT = 280;
/** Categorical colours (Tableau 10), assigned to series in the order given, so legends keep that order. */
const PALETTE = ['#4c78a8', '#e45756', '#f58518', '#54a24b', '#b279a2', '#72b7b2', '#eeca3b', '#ff9da6', '#9d755d', '#bab0ac'];

function colorScale(names: string[]): { domain: string[]; range: string[] } {
  return { domain: names, range: names.map((_, i) => PALETTE[i % PALETTE.length]) };
}

function uniqueInOrder(names: string[]): string[] {
  return [...new Set(names)];
}

function requireFinite(where: string, what: string, values: number[]): void {
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError(`${where}: ${what}[${i}] must be a finite number, got ${v}`);
  });
}

function requireSameLength(where: string, what: string, values: unknown[], expected: number, of: string): void {
  if (values.length !== expected) throw new OptionError(`${where}: ${what} has ${values.length} values but ${of} has ${expected}`);
}

function requireSeries(where: string, series: unknown[]): void {
  if (series.length === 0) throw new OptionError(`${where}: series must not be empty`);
}

// ---------------------------------------------------------------------------------------------

/** Fig. 1c: ΔL per weight layer, grouped bars, one colour per method (e.g. SGD vs PoF). */
export function deltaLPerLayer(input: { layers: number[]; series: { name: string; deltaL: number[] }[] }): TopLevelSpec {
  const where = 'deltaLPerLayer';
  requireSeries(where, input.series);
  requireFinite(where, 'layers', input.layers);
  const rows = input.series.flatMap((s) => {
    requireSameLength(where, `series "${s.name}" deltaL`, s.deltaL, input.layers.length, 'layers');
    requireFinite(where, `series "${s.name}" deltaL`, s.deltaL);
    return input.layers.map((layer, i) => ({ layer, method: s.name, deltaL: s.deltaL[i] }));
  });
  const names = uniqueInOrder(input.series.map((s) => s.name));
  const last = Math.max(...input.layers);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Test loss left to gain along each layer\u2019s sharpest direction',
      subtitle: [
        'ΔL = L_test(w) − min over |t| ≤ T of L_test(w + t·v_l), v_l = top eigenvector of layer l\u2019s Hessian block',
        `(training loss). Smaller ΔL: the layer sits closer to a test minimum. Layer ${last} is the classifier.`,
      ],
    },
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'layer', type: 'ordinal', title: 'weight layer l (1 = input side)', axis: { labelAngle: 0 } },
      xOffset: { field: 'method', type: 'nominal', scale: { domain: names } },
      y: { field: 'deltaL', type: 'quantitative', title: 'ΔL (test cross-entropy, nats)' },
      color: { field: 'method', type: 'nominal', title: 'method', scale: colorScale(names) },
      tooltip: [{ field: 'layer' }, { field: 'method' }, { field: 'deltaL', format: '.4g' }],
    },
  };
}

/** Fig. 1d: training loss along t·v_i for top Hessian eigenvectors; colour = method, dash = eigenvector. */
export function lossAlongDirections(input: { t: number[]; series: { name: string; direction: string; loss: number[] }[] }): TopLevelSpec {
  const where = 'lossAlongDirections';
  requireSeries(where, input.series);
  requireFinite(where, 't', input.t);
  const rows = input.series.flatMap((s) => {
    requireSameLength(where, `series "${s.name}" / "${s.direction}" loss`, s.loss, input.t.length, 't');
    requireFinite(where, `series "${s.name}" / "${s.direction}" loss`, s.loss);
    return input.t.map((t, i) => ({ t, method: s.name, direction: s.direction, loss: s.loss[i] }));
  });
  const names = uniqueInOrder(input.series.map((s) => s.name));
  const directions = uniqueInOrder(input.series.map((s) => s.direction));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Training loss along the classifier\u2019s top Hessian eigenvectors',
      subtitle: 'Loss at θ + t·v_i (v_i: i-th eigenvector, unit norm). A wider low region = a flatter minimum.',
    },
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'step t along v_i (parameter-space distance, a.u.)', scale: { nice: false } },
      y: { field: 'loss', type: 'quantitative', title: 'training loss (cross-entropy, nats)', scale: { zero: false } },
      color: { field: 'method', type: 'nominal', title: 'method', scale: colorScale(names) },
      strokeDash: { field: 'direction', type: 'nominal', title: 'eigenvector', scale: { domain: directions } },
      tooltip: [{ field: 'method' }, { field: 'direction' }, { field: 't', format: '.3g' }, { field: 'loss', format: '.4g' }],
    },
  };
}

/** Fig. 2a: how often each top-10 eigenvector is the one most aligned with the mini-batch gradient. */
export function eigenvectorCorrelationCounts(input: { counts: { name?: string; index: number; count: number }[] }): TopLevelSpec {
  const where = 'eigenvectorCorrelationCounts';
  if (input.counts.length === 0) throw new OptionError(`${where}: counts must not be empty`);
  input.counts.forEach((c, i) => {
    if (!Number.isInteger(c.index) || c.index < 1) throw new OptionError(`${where}: counts[${i}].index must be an integer ≥ 1, got ${c.index}`);
    if (!Number.isFinite(c.count) || c.count < 0) throw new OptionError(`${where}: counts[${i}].count must be a count ≥ 0, got ${c.count}`);
  });
  const grouped = input.counts.some((c) => c.name !== undefined);
  const rows = input.counts.map((c) => ({ index: c.index, count: c.count, name: c.name ?? '' }));
  const names = uniqueInOrder(rows.map((r) => r.name));
  // Show every index 1..10 (or more) even where no mini-batch picked it: the empty bars are the point.
  const maxIndex = Math.max(10, ...rows.map((r) => r.index));
  const indices = Array.from({ length: maxIndex }, (_, i) => i + 1);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Which Hessian eigenvector the mini-batch gradient follows',
      subtitle: [
        'For each mini-batch B: the index i of the top-10 classifier-Hessian eigenvector v_i',
        'with the largest |v_iᵀ ∂L_B/∂θ|. Mostly i = 1 justifies perturbing along the gradient.',
      ],
    },
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    encoding: {
      x: {
        field: 'index',
        type: 'ordinal',
        title: 'eigenvector index i (1 = largest eigenvalue)',
        scale: { domain: indices },
        axis: { labelAngle: 0 },
      },
      ...(grouped ? { xOffset: { field: 'name', type: 'nominal' as const, scale: { domain: names } } } : {}),
      y: { field: 'count', type: 'quantitative', title: 'mini-batches (count)' },
    },
    layer: [
      {
        mark: { type: 'bar', ...(grouped ? {} : { color: PALETTE[0] }) },
        encoding: grouped ? { color: { field: 'name', type: 'nominal', title: 'model', scale: colorScale(names) } } : {},
      },
      // The count over each bar: small counts (2 vs 0) are invisible as bar heights.
      { mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 10 }, encoding: { text: { field: 'count', type: 'quantitative' } } },
    ],
  };
}

/** A number short enough for a legend: 3 significant digits, exponent form when tiny or huge. */
function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(3)));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Powers of ten covering [lo, hi]: the only ticks and grid lines of a log axis, so it stays uncluttered. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

/**
 * Overlaid step histograms on shared bins: Fig. 2b (ξ*), Fig. 5 (curvature), Fig. 6 (perturbation sizes).
 * Each series is drawn from its first to its last non-empty bin, with a dashed rule at its median
 * (the legend gives n and the median too).
 */
export function histogram(input: {
  title: string;
  subtitle?: string | string[];
  xLabel: string;
  series: { name: string; values: number[] }[];
  bins?: number;
  logX?: boolean;
  /** What one value is (for the y axis title): 'mini-batches' gives "fraction of mini-batches per bin". */
  valuesAre?: string;
  /** 'fraction' (default) divides each series by its own size, so series of different sizes compare. */
  y?: 'fraction' | 'count';
}): TopLevelSpec {
  const where = 'histogram';
  requireSeries(where, input.series);
  input.series.forEach((s) => {
    if (s.values.length === 0) throw new OptionError(`${where}: series "${s.name}" has no values`);
    requireFinite(where, `series "${s.name}" values`, s.values);
  });
  const logX = input.logX ?? false;
  const asFraction = (input.y ?? 'fraction') === 'fraction';
  const valuesAre = input.valuesAre ?? 'values';
  const binned = binSeries(input.series, input.bins ?? 30, logX);
  const medians = input.series.map((s) => median(s.values));
  const labels = binned.map((b, k) => `${b.name} (n = ${b.total}, median ${shortNumber(medians[k])})`);

  // Outline points in drawing order: up from the baseline at the first non-empty bin, a step per
  // bin (step-after: a point holds its height until the next one), down again after the last.
  // `closing` marks the two baseline points, which the fill leaves out (it closes by itself).
  const rows = binned.flatMap((b, k) => {
    const height = (count: number) => (asFraction ? count / b.total : count);
    const first = b.counts.findIndex((c) => c > 0);
    const last = b.counts.length - 1 - [...b.counts].reverse().findIndex((c) => c > 0);
    const points = [{ x: b.edges[first], height: 0, closing: true }];
    for (let i = first; i <= last; i++) points.push({ x: b.edges[i], height: height(b.counts[i]), closing: false });
    points.push({ x: b.edges[last + 1], height: height(b.counts[last]), closing: false });
    points.push({ x: b.edges[last + 1], height: 0, closing: true });
    return points.map((p, order) => ({ series: labels[k], order, ...p }));
  });
  const edges = binned[0].edges;
  const color = { field: 'series', type: 'nominal' as const, title: null, scale: colorScale(labels), legend: { symbolType: 'square' } };
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: input.xLabel,
    scale: logX ? { type: 'log' as const } : { zero: false, nice: false },
    // Log axes otherwise label every minor tick with SI prefixes (10µ, 100m), which read as units.
    axis: logX ? { values: decades(edges[0], edges[edges.length - 1]), format: '.0e' } : {},
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: input.subtitle === undefined ? { text: input.title } : { text: input.title, subtitle: input.subtitle },
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: rows },
        transform: [{ filter: '!datum.closing' }],
        mark: { type: 'area', interpolate: 'step-after', fillOpacity: 0.15 },
        encoding: {
          x,
          y: { field: 'height', type: 'quantitative', title: asFraction ? `fraction of ${valuesAre} per bin` : `${valuesAre} per bin (count)`, stack: null },
          color,
        },
      },
      {
        data: { values: rows },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: { x, y: { field: 'height', type: 'quantitative' }, order: { field: 'order', type: 'quantitative' }, color },
      },
      {
        data: { values: labels.map((series, k) => ({ series, median: medians[k] })) },
        mark: { type: 'rule', strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { x: { field: 'median', type: 'quantitative' }, color },
      },
    ],
  };
}

/** Per-epoch curves of a run: one panel for loss (nats), one for error (%), a line per series. */
export function trainingCurves(input: {
  epochs: number[];
  series: { name: string; metric: 'loss' | 'error'; values: number[] }[];
  title?: string;
}): TopLevelSpec {
  const where = 'trainingCurves';
  requireSeries(where, input.series);
  requireFinite(where, 'epochs', input.epochs);
  const rows = input.series.flatMap((s) => {
    if (s.metric !== 'loss' && s.metric !== 'error') throw new OptionError(`${where}: series "${s.name}" metric must be 'loss' or 'error', got ${String(s.metric)}`);
    requireSameLength(where, `series "${s.name}" (${s.metric}) values`, s.values, input.epochs.length, 'epochs');
    requireFinite(where, `series "${s.name}" (${s.metric}) values`, s.values);
    return input.epochs.map((epoch, i) => ({ epoch, series: s.name, metric: s.metric, value: s.values[i] }));
  });
  const names = uniqueInOrder(input.series.map((s) => s.name));
  const metrics = (['loss', 'error'] as const).filter((m) => input.series.some((s) => s.metric === m));
  const axisTitle = { loss: 'loss (cross-entropy, nats)', error: 'error (%)' };
  const showPoints = input.epochs.length <= 30;
  const panel = (metric: 'loss' | 'error') => ({
    width: WIDTH,
    height: metrics.length > 1 ? 200 : HEIGHT,
    transform: [{ filter: { field: 'metric', equal: metric } }],
    mark: { type: 'line' as const, strokeWidth: 2, point: showPoints },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative' as const, title: axisTitle[metric], scale: { zero: false } },
      color: { field: 'series', type: 'nominal' as const, title: null, scale: colorScale(names) },
      tooltip: [{ field: 'series' }, { field: 'epoch' }, { field: 'value', format: '.4g' }],
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: input.title ?? 'Training curves', subtitle: 'Per-epoch means; error is the percentage of misclassified examples.' },
    data: { values: rows },
    vconcat: metrics.map(panel),
  };
}

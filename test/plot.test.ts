import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  binSeries,
  countInBins,
  deltaLPerLayer,
  eigenvectorCorrelationCounts,
  histogram,
  lossAlongDirections,
  rasteriserStatus,
  renderPng,
  renderSvg,
  sharedEdges,
  trainingCurves,
  writeFigure,
} from '../lib/plot';
import type { TopLevelSpec } from '../lib/plot';
import { allElements, parseXml, XmlElement } from './xml-tree';

// Small, plausible inputs for each figure.
const layers = [1, 2, 3, 4, 5];
const fig1c = () =>
  deltaLPerLayer({ layers, series: [{ name: 'SGD', deltaL: [0.004, 0.011, 0.009, 0.021, 0.118] }, { name: 'PoF', deltaL: [0.005, 0.01, 0.01, 0.018, 0.019] }] });
const steps = Array.from({ length: 21 }, (_, i) => -1 + i / 10);
const bowl = (width: number) => steps.map((x) => 0.02 + 2 * (1 - Math.exp(-(x * x) / (width * width))));
const fig1d = () =>
  lossAlongDirections({
    t: steps,
    series: [
      { name: 'SGD', direction: 'v1', loss: bowl(0.3) },
      { name: 'SGD', direction: 'v2', loss: bowl(0.4) },
      { name: 'PoF', direction: 'v1', loss: bowl(0.7) },
      { name: 'PoF', direction: 'v2', loss: bowl(0.9) },
    ],
  });
const fig2a = () => eigenvectorCorrelationCounts({ counts: [{ index: 1, count: 300 }, { index: 2, count: 40 }, { index: 4, count: 7 }] });
const spread = (centre: number, n: number) => Array.from({ length: n }, (_, i) => centre * (0.5 + ((i * 37) % n) / n));
const fig2b = () =>
  histogram({
    title: 'Distance to the nearest mini-batch minimum',
    xLabel: 'ξ*_B (parameter-space distance, a.u.)',
    valuesAre: 'mini-batches',
    series: [{ name: 'train', values: spread(0.3, 200) }, { name: 'test', values: spread(0.6, 150) }],
  });
const fig6 = () =>
  histogram({
    title: 'Perturbation sizes in classifier space',
    xLabel: 'perturbation norm (log scale)',
    logX: true,
    series: [{ name: 'SGD', values: spread(3e-5, 100) }, { name: 'SAM', values: spread(0.04, 100) }, { name: 'PoF', values: spread(2.5, 100) }],
  });
const epochs = [1, 2, 3, 4, 5, 6];
const curves = () =>
  trainingCurves({
    epochs,
    series: [
      { name: 'train', metric: 'loss', values: [0.5, 0.3, 0.2, 0.15, 0.12, 0.1] },
      { name: 'test', metric: 'loss', values: [0.6, 0.45, 0.4, 0.38, 0.37, 0.37] },
      { name: 'train', metric: 'error', values: [12, 8, 6, 5, 4.5, 4] },
    ],
  });

/** Each figure, what its SVG must say, and how many mark groups of which kind draw its series. */
const figures: { name: string; spec: () => TopLevelSpec; texts: string[]; marks: { kind: string; count: number } }[] = [
  { name: 'Fig. 1c ΔL per layer', spec: fig1c, texts: ['ΔL (test cross-entropy, nats)', 'weight layer l (1 = input side)', 'SGD', 'PoF'], marks: { kind: 'rect', count: 2 } },
  { name: 'Fig. 1d loss along directions', spec: fig1d, texts: ['training loss (cross-entropy, nats)', 'step t along v_i (parameter-space distance, a.u.)', 'v1', 'v2'], marks: { kind: 'line', count: 4 } },
  { name: 'Fig. 2a eigenvector counts', spec: fig2a, texts: ['mini-batches (count)', 'eigenvector index i (1 = largest eigenvalue)', '300'], marks: { kind: 'rect', count: 1 } },
  { name: 'Fig. 2b histogram', spec: fig2b, texts: ['fraction of mini-batches per bin', 'ξ*_B (parameter-space distance, a.u.)', 'train (n = 200, median 0.299)', 'test (n = 150, median 0.598)'], marks: { kind: 'line', count: 2 } },
  { name: 'Fig. 6 log-scale histogram', spec: fig6, texts: ['fraction of values per bin', 'perturbation norm (log scale)', '1e-4', '1e+0'], marks: { kind: 'line', count: 3 } },
  { name: 'training curves', spec: curves, texts: ['loss (cross-entropy, nats)', 'error (%)', 'epoch'], marks: { kind: 'line', count: 3 } },
];

function titleOf(spec: TopLevelSpec): string {
  const title = (spec as { title?: { text?: string } }).title;
  if (!title?.text) throw new Error('spec without a title');
  return title.text;
}

function svgTexts(root: XmlElement): string[] {
  return allElements(root)
    .filter((e) => e.name === 'text')
    .map((e) => e.text + e.children.map((c) => c.text).join(''));
}

function markGroups(root: XmlElement, kind: string): XmlElement[] {
  return allElements(root).filter((e) => e.name === 'g' && (e.attributes.class ?? '').startsWith(`mark-${kind} role-mark`));
}

/** Bars of one series share a fill: the number of fills is the number of series drawn as bars. */
function seriesInBars(root: XmlElement): number {
  const fills = markGroups(root, 'rect').flatMap((g) => g.children.map((bar) => bar.attributes.fill));
  return new Set(fills).size;
}

for (const figure of figures) {
  test(`${figure.name}: well-formed SVG with title, axis titles, legend and a mark group per series`, async (t) => {
    const spec = figure.spec();
    const svg = await renderSvg(spec);
    const root = parseXml(svg);
    t.is(root.name, 'svg');
    t.truthy(Number(root.attributes.width) > 200 && Number(root.attributes.height) > 150);
    const texts = svgTexts(root);
    for (const expected of [titleOf(spec), ...figure.texts]) t.true(texts.includes(expected), `missing text: ${expected}`);
    const drawn = figure.marks.kind === 'rect' ? seriesInBars(root) : markGroups(root, figure.marks.kind).length;
    t.is(drawn, figure.marks.count);
  });
}

test('the XML check rejects malformed SVG', (t) => {
  t.notThrows(() => parseXml('<?xml version="1.0"?><svg a="1"><g><text>a &amp; b</text></g><rect/></svg>'));
  for (const bad of ['<svg><g></svg>', '<svg a=1/>', '<svg>a & b</svg>', '<svg/><svg/>', '<svg a="1" a="2"/>', '<svg><text>x</tex></svg>', '<svg>']) {
    t.throws(() => parseXml(bad), undefined, bad);
  }
});

test('histogram outlines start and end on the baseline, so each series closes', async (t) => {
  const root = parseXml(await renderSvg(fig2b()));
  const outlines = markGroups(root, 'line').map((g) => g.children[0].attributes.d);
  t.is(outlines.length, 2);
  for (const d of outlines) {
    const ys = [...d.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map((m) => Number(m[2]));
    const baseline = Math.max(...ys);
    t.is(ys[0], baseline);
    t.is(ys[ys.length - 1], baseline);
    t.true(ys.some((y) => y < baseline));
  }
});

test('shared bins: the same edges for all series, every value counted once', (t) => {
  const binned = binSeries([{ name: 'a', values: [0, 1, 2, 3, 4] }, { name: 'b', values: [2, 6, 10] }], 5, false);
  t.deepEqual(binned[0].edges, [0, 2, 4, 6, 8, 10]);
  t.is(binned[1].edges, binned[0].edges);
  t.deepEqual(binned[0].counts, [2, 2, 1, 0, 0]);
  t.deepEqual(binned[1].counts, [0, 1, 0, 1, 1]); // the top edge belongs to the last bin
  t.is(binned[1].total, 3);
});

test('log bins are evenly spaced in log10 and keep the extremes inside', (t) => {
  const values = [3e-5, 1e-3, 0.04, 2.7];
  const edges = sharedEdges(values, 10, true);
  t.is(edges[0], 3e-5);
  t.is(edges[10], 2.7);
  const ratios = edges.slice(1).map((e, i) => e / edges[i]);
  for (const r of ratios) t.true(Math.abs(r - ratios[0]) < 1e-9 * ratios[0]);
  t.is(countInBins(values, edges).reduce((a, b) => a + b, 0), values.length);
  t.throws(() => sharedEdges([1, 0], 10, true), { message: /positive values/ });
});

test('a single repeated value still gets a visible bin', (t) => {
  const edges = sharedEdges([2, 2, 2], 4, false);
  t.true(edges[0] < 2 && edges[4] > 2);
  t.is(countInBins([2, 2, 2], edges).reduce((a, b) => a + b, 0), 3);
});

test('figure inputs of mismatched lengths or non-finite numbers are refused with a clear message', (t) => {
  t.throws(() => deltaLPerLayer({ layers: [1, 2], series: [{ name: 'SGD', deltaL: [1] }] }), { message: /deltaLPerLayer: series "SGD" deltaL has 1 values but layers has 2/ });
  t.throws(() => lossAlongDirections({ t: [0, 1], series: [{ name: 'PoF', direction: 'v1', loss: [0, NaN] }] }), { message: /finite number/ });
  t.throws(() => histogram({ title: 'x', xLabel: 'x', series: [] }), { message: /series must not be empty/ });
  t.throws(() => eigenvectorCorrelationCounts({ counts: [{ index: 0, count: 3 }] }), { message: /index must be an integer ≥ 1/ });
  t.throws(() => trainingCurves({ epochs: [1], series: [{ name: 'a', metric: 'accuracy' as 'loss', values: [1] }] }), { message: /metric must be 'loss' or 'error'/ });
});

const withRasteriser = rasteriserStatus().available ? test : test.skip;

withRasteriser('PNG: valid signature, twice the SVG size, text drawn with an installed font', async (t) => {
  const status = rasteriserStatus();
  t.truthy(status.font, status.reason);
  const svg = await renderSvg(fig1c());
  const png = renderPng(svg);
  if (!png) return t.fail('renderPng returned null although the rasteriser loaded');
  t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  t.is(png.toString('ascii', 12, 16), 'IHDR');
  const root = parseXml(svg);
  t.is(png.readUInt32BE(16), 2 * Number(root.attributes.width));
  t.is(png.readUInt32BE(20), 2 * Number(root.attributes.height));
});

withRasteriser('PNG: the title is drawn (removing the text changes the image)', async (t) => {
  const svg = await renderSvg(fig2a());
  const withText = renderPng(svg);
  const withoutText = renderPng(svg.replace(/<text\b[^>]*>[^<]*<\/text>/g, ''));
  t.truthy(withText && withoutText);
  t.notDeepEqual(withText, withoutText);
});

test('writeFigure writes the SVG, and the PNG when it can', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-plot-'));
  try {
    const written = await writeFigure(path.join(dir, 'figs'), 'fig6-perturbations', fig6());
    t.is(written.svg, path.join(dir, 'figs', 'fig6-perturbations.svg'));
    t.is(parseXml(fs.readFileSync(written.svg, 'utf8')).name, 'svg');
    if (rasteriserStatus().available) t.is(fs.readFileSync(written.png!).toString('ascii', 1, 4), 'PNG');
    else t.is(written.png, undefined);
    await t.throwsAsync(writeFigure(dir, '../escape', fig6()), { message: /plain file name/ });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

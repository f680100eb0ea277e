// Vega-Lite spec → SVG (vega, headless) → PNG (resvg, when its prebuilt binary is installed).
import * as path from 'path';
import { writeFileAtomic } from '../checkpoint/atomic';
import { OptionError } from '../errors';
import type { TopLevelSpec } from './spec';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { loadVega, loadVegaLite } from './esm';
import { FIGURE_FONT, installedSansFamily } from './fonts';
import { vegaTextWidth } from './text-width';
import { makeDirectory } from '../make-directory';

/** Style shared by every figure; a spec's own `config` wins over it. */
const BASE_CONFIG = {
  font: FIGURE_FONT,
  background: 'white',
  title: { fontSize: 15, subtitleFontSize: 12, anchor: 'start' as const, offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titlePadding: 8 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
};

function withBaseConfig(spec: TopLevelSpec): TopLevelSpec {
  const own = (spec.config ?? {}) as Record<string, unknown>;
  const config: Record<string, unknown> = { ...BASE_CONFIG, ...own };
  for (const key of ['title', 'axis', 'legend'] as const) {
    config[key] = { ...BASE_CONFIG[key], ...(own[key] as object | undefined) };
  }
  return { ...spec, config } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to a standalone SVG document (no browser, no canvas needed). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([loadVega(), loadVegaLite()]);
  // Headless vega has no canvas to measure text; give it real font widths for the layout.
  (vega as unknown as { textMetrics: { width: unknown } }).textMetrics.width = vegaTextWidth;
  const compiled = vegaLite.compile(withBaseConfig(spec)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // vega omits the XML declaration; with it the file opens as SVG from disk everywhere.
    return svg.startsWith('<?xml') ? svg : `<?xml version="1.0" encoding="UTF-8"?>\n${svg}`;
  } finally {
    view.finalize();
  }
}

type ResvgModule = typeof import('@resvg/resvg-js');
let resvg: ResvgModule | null | undefined;

/** The rasteriser, or null when @resvg/resvg-js (an optional, prebuilt native package) cannot be loaded. */
function loadResvg(): ResvgModule | null {
  if (resvg === undefined) {
    try {
      resvg = require('@resvg/resvg-js') as ResvgModule;
    } catch {
      resvg = null;
    }
  }
  return resvg;
}

/** What PNG output can do on this machine; `reason` says why it is missing or degraded. */
export function rasteriserStatus(): { available: boolean; font: string | null; reason?: string } {
  if (!loadResvg()) {
    return { available: false, font: null, reason: '@resvg/resvg-js could not be loaded (no prebuilt binary for this platform?): only SVG is written' };
  }
  const font = installedSansFamily();
  if (!font) {
    return { available: true, font: null, reason: 'no sans-serif font found (e.g. apt-get install fonts-dejavu-core): PNG text may be missing; the SVG is unaffected' };
  }
  return { available: true, font };
}

let warnedNoFont = false;

/** Rasterises an SVG to PNG at twice its size (sharp on high-density screens); null without a rasteriser. */
export function renderPng(svg: string): Buffer | null {
  const lib = loadResvg();
  if (!lib) return null;
  const font = installedSansFamily();
  if (!font && !warnedNoFont) {
    warnedNoFont = true;
    process.emitWarning(rasteriserStatus().reason ?? 'no font', 'PofPlotWarning');
  }
  const options: ResvgRenderOptions = {
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
    font: { loadSystemFonts: true, ...(font ? { defaultFontFamily: font, sansSerifFamily: font } : {}) },
  };
  return new lib.Resvg(svg, options).render().asPng();
}

/** Writes `<dir>/<name>.svg`, and `<dir>/<name>.png` when a rasteriser is available; returns the paths. */
export async function writeFigure(dir: string, name: string, spec: TopLevelSpec): Promise<{ svg: string; png?: string }> {
  if (!/^[\w.-]+$/.test(name)) throw new OptionError(`writeFigure: name must be a plain file name (letters, digits, _ . -), got ${JSON.stringify(name)}`);
  const svg = await renderSvg(spec);
  makeDirectory(dir, `writeFigure: cannot create ${dir}`);
  const svgPath = path.join(dir, `${name}.svg`);
  await writeFileAtomic(svgPath, Buffer.from(svg));
  const png = renderPng(svg);
  if (!png) return { svg: svgPath };
  const pngPath = path.join(dir, `${name}.png`);
  await writeFileAtomic(pngPath, Buffer.from(png));
  return { svg: svgPath, png: pngPath };
}

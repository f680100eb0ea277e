// Figures of the paper's analyses: Vega-Lite specs, rendered to SVG (and PNG when resvg loads).
export { renderSvg, renderPng, writeFigure, rasteriserStatus } from './render';
export { deltaLPerLayer, lossAlongDirections, eigenvectorCorrelationCounts, histogram, trainingCurves } from './figures';
export { binSeries, sharedEdges, countInBins } from './bins';
export type { BinnedSeries } from './bins';
export type { TopLevelSpec } from './spec';

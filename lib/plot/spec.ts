// vega-lite declares its types only through package.json "exports", which this project's
// `moduleResolution: node` does not read; its types are named through their file, here alone.
export type { TopLevelSpec } from 'vega-lite/build/index';
export type VegaLiteModule = typeof import('vega-lite/build/index');

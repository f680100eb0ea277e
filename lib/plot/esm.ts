// vega and vega-lite ship only as ES modules. With `module: commonjs`, TypeScript would turn a
// plain `import()` into `require()`, which Node 20 refuses for ESM; this keeps a real dynamic
// import, in one place, and loads each library once.
import type * as Vega from 'vega';
import type { VegaLiteModule } from './spec';

const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let vega: Promise<typeof Vega> | undefined;
let vegaLite: Promise<VegaLiteModule> | undefined;

export function loadVega(): Promise<typeof Vega> {
  vega ??= dynamicImport('vega') as Promise<typeof Vega>;
  return vega;
}

export function loadVegaLite(): Promise<VegaLiteModule> {
  vegaLite ??= dynamicImport('vega-lite') as Promise<VegaLiteModule>;
  return vegaLite;
}

// pof-torch: the public API.
export { tensor, fromBuffer, Tensor } from './tensor';
export { versions, cudaAvailable, devices, manualSeed, info, Versions } from './device';
export type { Dtype } from './native';

// What this LibTorch can run on, and the global seed.
import { loadedAddon, native } from './addon';
import { LoadedAddon, NativeVersions } from './native';
import { OptionError } from './errors';
import { sharpStatus } from './data/sharp';

export type Versions = NativeVersions;

export function versions(): Versions {
  return native.versions();
}

export function cudaAvailable(): boolean {
  return native.cudaAvailable();
}

/** Every usable device name: 'cpu', then 'cuda:0', 'cuda:1', ... */
export function devices(): string[] {
  const count = native.cudaAvailable() ? native.cudaDeviceCount() : 0;
  return ['cpu', ...Array.from({ length: count }, (_, i) => `cuda:${i}`)];
}

/** Seeds LibTorch's global generators (CPU and CUDA). */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new OptionError(`manualSeed: seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

/**
 * What `pof info` prints. `distributed`: the data-parallel backends this build has (optional at build time);
 * `addon`: the file loaded, what it was built against (`build` null: no build-info file beside it) and the LibTorch it
 * found through its link (`linked`).
 */
export function info(): {
  libtorch: string; cuda: boolean; cudaVersion: string | null; cudnn: string | null; cudaInstrumentation: boolean; devices: string[];
  distributed: { gloo: boolean; nccl: boolean; note: string }; exportedPrograms: string; addon: LoadedAddon;
  sharp: { available: boolean; version: string | null; note: string };
} {
  const v = versions();
  const d = v.distributed;
  const note = d.gloo
    ? `data-parallel training under torchrun: gloo (CPU)${d.nccl ? ' and nccl (CUDA)' : ''}`
    : 'no data-parallel training: built without the Gloo headers (apt-get install libgloo-dev, or GLOO_INCLUDE_DIR; then npm rebuild pof-torch)';
  return {
    libtorch: v.libtorch, cuda: cudaAvailable(), cudaVersion: v.cuda, cudnn: v.cudnn, cudaInstrumentation: v.cudaInstrumentation,
    devices: devices(), distributed: { ...d, note },
    exportedPrograms: `models.exported reads torch.export programs (.pt2) of schema ${v.exportSchema} (torch 2.13 to 2.15), made by python/export_program.py`,
    addon: loadedAddon(),
    sharp: sharpStatus(),  // the optional dependency that decodes image folders
  };
}

// Flags several commands share, and what they turn into.
import type { DeviceName } from '../defaults';
import { Flag, Flags, numberFlag, stringFlag, UsageError } from './args';

export const DEVICE_FLAG: Record<string, Flag> = {
  device: { type: 'string', help: "'cpu', 'cuda' or 'cuda:N'", default: 'cpu' },
};

export const OUT_FLAGS: Record<string, Flag> = {
  out: { type: 'string', help: 'the output directory', required: true },
  force: { type: 'boolean', help: 'overwrite a run already in --out' },
};

/** PoF's B = the previous iteration's B̃: no forward pass for B, its features one step stale. */
export const FEATURE_REUSE_FLAG: Record<string, Flag> = {
  'feature-reuse': { type: 'boolean', help: 'PoF: B = the previous step\'s B̃, reusing its features (one step stale; skips a forward pass)' },
};

export function featureReuseFlag(flags: Flags): boolean {
  return flags['feature-reuse'] === true;
}

/** What table1 and table2 share: the scale, the output directory, and overrides of its model and batch size. */
export const REPRODUCE_TABLE_FLAGS: Record<string, Flag> = {
  scale: { type: 'string', help: 'smoke or full', default: 'smoke' },
  out: { type: 'string', help: 'the output directory', required: true },
  model: { type: 'string', help: 'override the model (wrn-<depth>-<widen> or mlp-<width>-...)' },
  'batch-size': { type: 'string', help: 'override the batch size' },
};

/** --device as the trainer takes it; whether this build and machine have it is the trainer's to say (a DeviceError). */
export function deviceFlag(flags: Flags): DeviceName {
  const device = stringFlag(flags, 'device', 'cpu');
  if (!/^(cpu|cuda(:\d+)?)$/.test(device)) throw new UsageError(`--device must be 'cpu', 'cuda' or 'cuda:N', got '${device}'`);
  return device as DeviceName;
}

export function seedFlag(flags: Flags): number {
  return numberFlag(flags, 'seed', 0, { integer: true, min: 0 });
}

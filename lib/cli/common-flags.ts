// Flags several commands share, and what they turn into.
import { DEFAULTS, DEVICE_FORMS, DeviceName, isDeviceName, OptionNames, RULES } from '../defaults';
import { Flag, Flags, numberFlag, stringFlag, UsageError } from './args';

export const DEVICE_FLAG: Record<string, Flag> = {
  device: { type: 'string', help: DEVICE_FORMS, default: DEFAULTS.device },
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
  const device = stringFlag(flags, 'device', DEFAULTS.device);
  if (!isDeviceName(device)) throw new UsageError(`--device must be ${DEVICE_FORMS}, got '${device}'`);
  return device;
}

export function seedFlag(flags: Flags): number {
  return numberFlag(flags, 'seed', DEFAULTS.seed, RULES.seed);
}

/** Options named as flags (weakBatchSize: --weak-batch-size), for the rules the CLI shares with the API (defaults.ts). */
export const FLAG_NAMES: OptionNames = { prefix: '', name: (key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` };

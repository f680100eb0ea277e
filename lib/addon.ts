// The one place that loads the compiled addon, on first use and once per process (types: lib/native.ts).
// Loading lazily lets any module name the addon at top level and still be imported where it is missing
// or broken: the CLI imports every command statically, and `pof --help` must work without the addon.
// Native errors are made as the classes of lib/errors.ts (setErrorClasses), so they carry `code`.
import * as path from 'path';
import { goneLibTorch, linkedLibTorch, missingLibTorch, notBuiltMessage, readBuildInfo, versionMismatch } from './build-info';
import { NATIVE_ERROR_CLASSES } from './errors';
import { guardReceivers } from './native-receivers';
import type { LoadedAddon, NativeAddon } from './native';

type Loaded = LoadedAddon & { addon: NativeAddon };

function load(): Loaded {
  // POF_TORCH_ADDON names an addon to load instead of the built one (e.g. the node-gyp build).
  const explicit = process.env.POF_TORCH_ADDON;
  const root = path.resolve(__dirname, '..', '..');
  const candidates = explicit ? [path.resolve(explicit)]
    : [path.join(root, 'build', 'Release', 'pof_torch.node'), path.join(root, 'build', 'Debug', 'pof_torch.node')];
  for (const file of candidates) {
    const build = readBuildInfo(file);
    // Checked before loading: a LibTorch swapped under the addon fails here with a message, not in dlopen or later.
    const linked = linkedLibTorch(file);
    if (linked === 'gone') throw goneLibTorch(build, file);
    const mismatch = versionMismatch(build, linked);
    if (mismatch) throw mismatch;
    let addon: NativeAddon;
    try {
      addon = require(file) as NativeAddon;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'MODULE_NOT_FOUND' && err.message.includes(file)) continue;
      throw missingLibTorch(build, err) ?? new Error(`pof-torch: the native addon failed to load:\n${file}: ${err.message}`);
    }
    addon.setErrorClasses(NATIVE_ERROR_CLASSES);
    guardReceivers(addon.Tensor, 'Tensor');
    return { addon, file, build, linked };
  }
  throw new Error(notBuiltMessage(candidates));
}

// A failed load is not kept: every use throws its error again (the message says how to fix it).
let loaded: Loaded | undefined;

function loadOnce(): Loaded {
  loaded ??= load();
  return loaded;
}

/**
 * The addon, loaded on the first access to any of its members (a load failure throws there). A Proxy rather
 * than a function so that code written against the addon object (`native.Model`, `native.analysis`) reads as it did.
 */
export const native: NativeAddon = new Proxy({} as NativeAddon, {
  get: (_target, key) => Reflect.get(loadOnce().addon, key),
  // Listing and `in` see the addon's exports too (Object.entries(native) enumerates them). Each is reported
  // configurable, as a proxy must for a key its empty target lacks.
  has: (_target, key) => Reflect.has(loadOnce().addon, key),
  ownKeys: () => Reflect.ownKeys(loadOnce().addon),
  getOwnPropertyDescriptor: (_target, key) => {
    const d = Reflect.getOwnPropertyDescriptor(loadOnce().addon, key);
    return d && { ...d, configurable: true };
  },
});

/** Which addon file was loaded, its build info and the LibTorch it found (`pof info` prints them); loads it if need be. */
export function loadedAddon(): LoadedAddon {
  const { file, build, linked } = loadOnce();
  return { file, build, linked };
}

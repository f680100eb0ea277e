// sharp (libvips) decodes image folders. It is an optional dependency: an install where its prebuilt binary
// is missing still works for everything else, so it is loaded only when an image folder is read.
import { OptionError } from '../errors';

// The types are sharp's ES module's (its default export is what require gives).
export type Sharp = typeof import('sharp').default;

let loaded: Sharp | undefined;

/** The sharp module, or an OptionError saying how to get it. */
export function loadSharp(where: string): Sharp {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('sharp') as Sharp;
  } catch (error) {
    throw new OptionError(`${where}: image folders need the optional dependency sharp: npm install sharp ` +
      `(it could not be loaded: ${(error as Error).message.split('\n')[0]})`);
  }
  return loaded;
}

/** Whether sharp loads here, and its libvips version, for `pof info`. */
export function sharpStatus(): { available: boolean; version: string | null; note: string } {
  try {
    const sharp = loadSharp('info');
    return { available: true, version: sharp.versions.sharp ?? null, note: `image folders (datasets.imageFolder, datasets.prepare, pof prepare) with libvips ${sharp.versions.vips}` };
  } catch {
    return { available: false, version: null, note: 'no image folders: the optional dependency sharp is missing (npm install sharp)' };
  }
}

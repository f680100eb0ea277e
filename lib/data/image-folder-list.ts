// What an image folder holds, in torchvision's ImageFolder order: one subfolder per class, class index = its
// position among the sorted names (or in a given list), and in each class the image files of the folder and
// its subfolders, sorted by path. Names are sorted by UTF-16 code units (Python sorts by code points: the same
// order but for characters beyond the Basic Multilingual Plane). Hidden names (a leading dot) are skipped.
import { promises as fs, Dirent } from 'fs';
import * as path from 'path';
import { DatasetError, FileError, fileError } from '../errors';

/** The extensions the prebuilt libvips of sharp decodes (lower case; names are matched case-insensitively). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'];

export interface FolderListing {
  /** The absolute folder. */
  root: string;
  classes: string[];
  /** Each image's path relative to `root` ('/'-separated), in order. */
  files: string[];
  /** The class index of each file. */
  labels: Int32Array;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const hidden = (name: string) => name.startsWith('.');

/** Lists `dir` (a FileError when it is missing or not a directory; a DatasetError when it holds no classes or an empty one). */
export async function listImageFolder(where: string, dir: string, classes?: string[]): Promise<FolderListing> {
  const root = path.resolve(dir);
  const stat = await fs.stat(root).catch((error) => { throw fileError('read', root, error); });
  if (!stat.isDirectory()) throw new FileError(`${where}: cannot read ${root}: it is not a directory (ENOTDIR)`, root, 'ENOTDIR');
  const folders: string[] = [];
  for (const entry of await readDir(root)) {
    if (!hidden(entry.name) && await isDirectory(root, entry)) folders.push(entry.name);
  }
  folders.sort(byCodeUnits);
  if (classes) {
    const missing = classes.filter((c) => !folders.includes(c));
    if (missing.length > 0) {
      throw new DatasetError(`${where}: class folder${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')} ` +
        `not found in ${root} (its folders: ${folders.join(', ') || 'none'})`);
    }
  } else if (folders.length === 0) {
    throw new DatasetError(`${where}: ${root} has no class folders; expected one subfolder per class, each holding its images`);
  }
  const names = classes ?? folders;
  const files: string[] = [];
  const labels: number[] = [];
  for (const [label, name] of names.entries()) {
    const found = await imagesUnder(root, name, new Set());
    if (found.length === 0) {
      throw new DatasetError(`${where}: the class folder ${path.join(root, name)} holds no images ` +
        `(expected files ending in ${IMAGE_EXTENSIONS.join(' ')})`);
    }
    for (const file of found) {  // a loop, not push(...found): a class may hold more files than a call takes arguments
      files.push(file);
      labels.push(label);
    }
  }
  return { root, classes: names, files, labels: Int32Array.from(labels) };
}

/** The images under root/relative, recursively and sorted; `seen` holds the real paths visited (a link loop ends). */
async function imagesUnder(root: string, relative: string, seen: Set<string>): Promise<string[]> {
  const dir = path.join(root, relative);
  const real = await fs.realpath(dir).catch((error) => { throw fileError('read', dir, error); });
  if (seen.has(real)) return [];
  seen.add(real);
  const out: string[] = [];
  const entries = (await readDir(dir)).filter((e) => !hidden(e.name)).sort((a, b) => byCodeUnits(a.name, b.name));
  for (const entry of entries) {
    const child = `${relative}/${entry.name}`;
    if (await isDirectory(root, entry, relative)) for (const file of await imagesUnder(root, child, seen)) out.push(file);
    // Anything else with an image's name is kept: a FIFO or a broken link is then reported (or skipped) as a bad image.
    else if (IMAGE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) out.push(child);
  }
  return out;
}

async function readDir(dir: string): Promise<Dirent[]> {
  return fs.readdir(dir, { withFileTypes: true }).catch((error) => { throw fileError('read', dir, error); });
}

/** A directory, or a link to one (followed, as torchvision does). */
async function isDirectory(root: string, entry: Dirent, relative = ''): Promise<boolean> {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  const stat = await fs.stat(path.join(root, relative, entry.name)).catch(() => undefined);
  return stat?.isDirectory() ?? false;
}

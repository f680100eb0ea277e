// The PNG rasteriser draws text only with fonts it can find; the SVG names a list of families and
// the viewer picks one. This finds which of those families is installed, so the rasteriser can map
// the generic `sans-serif` onto it, and so a machine without any of them is reported, not silently
// drawn without labels.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Families named in the figures' font stack, in order of preference, with a file that proves each one present. */
const SANS_FAMILIES: { family: string; file: RegExp }[] = [
  { family: 'DejaVu Sans', file: /^DejaVuSans\.ttf$/i },
  { family: 'Liberation Sans', file: /^LiberationSans-Regular\.ttf$/i },
  { family: 'Noto Sans', file: /^NotoSans-Regular\.(ttf|otf)$/i },
  { family: 'Arial', file: /^arial\.ttf$/i },
  { family: 'Helvetica', file: /^Helvetica\.(ttf|ttc|otf)$/i },
];

/** The CSS font-family list written into every figure. */
export const FIGURE_FONT = [...SANS_FAMILIES.map((f) => `'${f.family}'`), 'sans-serif'].join(', ');

const FONT_DIRS = [
  '/usr/share/fonts',
  '/usr/local/share/fonts',
  '/Library/Fonts',
  '/System/Library/Fonts',
  path.join(os.homedir(), '.fonts'),
  path.join(os.homedir(), '.local/share/fonts'),
];

function fontFileNames(dir: string, depth: number, into: Set<string>): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // a missing or unreadable font directory is simply not a source of fonts
  }
  for (const entry of entries) {
    if (entry.isDirectory() && depth > 0) fontFileNames(path.join(dir, entry.name), depth - 1, into);
    else if (entry.isFile()) into.add(entry.name);
  }
}

let found: { family: string } | null | undefined;

/** The first installed family of the figures' font stack, or null when none is installed. */
export function installedSansFamily(): string | null {
  if (found === undefined) {
    const names = new Set<string>();
    for (const dir of FONT_DIRS) fontFileNames(dir, 4, names);
    const match = SANS_FAMILIES.find((f) => [...names].some((n) => f.file.test(n)));
    found = match ? { family: match.family } : null;
  }
  return found ? found.family : null;
}

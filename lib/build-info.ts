// What the addon was built against (scripts/write-build-info.js writes it beside pof_torch.node), and the
// load-time messages that use it: a LibTorch that changed or moved since the build is named, not crashed on.
import * as fs from 'fs';
import * as path from 'path';

export interface BuildInfo {
  libtorch: string;
  /** 'cpu', 'cu128', ... ('cuda' when the CUDA version was unknown at build time). */
  variant: string;
  /** The LibTorch root the addon was compiled and linked against. */
  root: string;
  /** _GLIBCXX_USE_CXX11_ABI of the build. */
  cxx11Abi: number;
  cxxStandard: number;
  /** Compile definitions that change LibTorch's class layouts (data parallelism). */
  defines: string[];
  napiVersion: number;
  nodeAddonApi: string;
  node: string;
  platform: string;
  builtAt: string;
  /** The prebuilt tarball it was installed from (absent: compiled on this machine). */
  prebuild?: string;
}

export const REBUILD = 'npm rebuild pof-torch';

/** The build-info file beside `addonFile`, or null when there is none (a build older than the file). */
export function readBuildInfo(addonFile: string): BuildInfo | null {
  const file = path.join(path.dirname(addonFile), 'pof_torch.build-info.json');
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as BuildInfo;
  } catch (e) {
    throw new Error(`pof-torch: the build-info file ${file} is unreadable (${(e as Error).message}); rebuild the addon: ${REBUILD}`);
  }
}

/** The LibTorch that the link beside an addon leads to now (scripts/link-libtorch.js). */
export interface LinkedLibTorch {
  /** The link itself, and the LibTorch root it leads to. */
  link: string;
  root: string;
  version: string;
  /** 'cpu', 'cu128', ... as in BuildInfo. */
  variant: string;
}

// The build scripts' own readers, so that the load check reads a LibTorch exactly as the build did.
/* eslint-disable @typescript-eslint/no-require-imports */
const { readVersion, isCudaLibTorch } = require('../../scripts/find-libtorch') as
  { readVersion(root: string): string; isCudaLibTorch(root: string): boolean };
const { variant } = require('../../scripts/write-build-info') as { variant(torch: { root: string; cuda: boolean }): string };
const { LIBTORCH_LINK } = require('../../scripts/link-libtorch') as { LIBTORCH_LINK: string };
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The LibTorch the addon will load: null when there is no link beside it (an addon built before links, whose
 * RUNPATH names LibTorch itself), 'gone' when the link leads nowhere (LibTorch moved or was removed).
 */
export function linkedLibTorch(addonFile: string): LinkedLibTorch | 'gone' | null {
  const link = path.join(path.dirname(addonFile), LIBTORCH_LINK);
  if (!fs.lstatSync(link, { throwIfNoEntry: false })) return null;
  if (!fs.existsSync(link)) return 'gone';  // existsSync follows the link
  const root = path.dirname(fs.realpathSync(link));
  return { link, root, version: readVersion(root), variant: variant({ root, cuda: isCudaLibTorch(root) }) };
}

const majorMinor = (version: string) => version.split('.').slice(0, 2).join('.');

/**
 * Null when the linked LibTorch fits the build (same major.minor and variant: what a prebuild's key promises),
 * else the error to fail with before loading: "built for X, found Y".
 */
export function versionMismatch(build: BuildInfo | null, linked: LinkedLibTorch | null): Error | null {
  if (!build || !linked) return null;
  if (majorMinor(build.libtorch) === majorMinor(linked.version) && build.variant === linked.variant) return null;
  return new Error(`pof-torch: the addon was built for LibTorch ${build.libtorch} (${build.variant}) but finds LibTorch ` +
    `${linked.version} (${linked.variant}) at ${linked.root}, through ${linked.link}; rebuild it: ${REBUILD}`);
}

/** The one-line failure for an addon whose link to LibTorch leads nowhere. */
export function goneLibTorch(build: BuildInfo | null, addonFile: string): Error {
  return new Error(`pof-torch: the addon's LibTorch is gone (${path.join(path.dirname(addonFile), LIBTORCH_LINK)} leads nowhere): ` +
    `it was built against ${builtAgainst(build)}, which has moved or been removed. ${REBUILD_ELSEWHERE}`);
}

/** The one-line failure for a load error where a LibTorch library is not found (it moved or was removed); else null. */
export function missingLibTorch(build: BuildInfo | null, error: Error): Error | null {
  const m = error.message.match(/(lib(?:c10|torch)[\w.+-]*): cannot open shared object file/);
  if (!m) return null;
  return new Error(`pof-torch: the addon cannot find ${m[1]}: it was built against ${builtAgainst(build)}, which has moved or ` +
    `been removed. ${REBUILD_ELSEWHERE}`);
}

const REBUILD_ELSEWHERE = `Rebuild it: ${REBUILD} (with LIBTORCH=/path/to/libtorch if LibTorch is now elsewhere).`;

function builtAgainst(build: BuildInfo | null): string {
  return build ? `the LibTorch ${build.libtorch} at ${build.root}` : 'a LibTorch that is no longer where it was';
}

/** What to run when there is no addon at all (the install script did not run, or failed). */
export function notBuiltMessage(lookedFor: string[]): string {
  return `pof-torch: the native addon is not built (looked for ${lookedFor.join(', ')}). Run \`${REBUILD}\` in your project ` +
    '(in a checkout of the pof-torch repository: `npm run build`). pnpm runs build scripts only when approved: ' +
    '`pnpm approve-builds`, or add pof-torch to `onlyBuiltDependencies`, then `pnpm rebuild pof-torch`. ' +
    'yarn: `yarn rebuild pof-torch` (Yarn 2+ needs `enableScripts` left on).';
}

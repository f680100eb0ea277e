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
}

export const REBUILD = 'npm rebuild pof-torch';

/** The build-info file beside `addonFile`, or null when there is none (a build older than the file). */
export function readBuildInfo(addonFile: string): BuildInfo | null {
  const file = path.join(path.dirname(addonFile), 'pof_torch.build-info.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as BuildInfo : null;
}

/** Null when the LibTorch loaded is the one built against, else the error to fail with. */
export function versionMismatch(build: BuildInfo | null, loaded: string): Error | null {
  if (!build || build.libtorch === loaded) return null;
  return new Error(`pof-torch: the addon was built for LibTorch ${build.libtorch} (at ${build.root}) but loads ${loaded}; ` +
    `rebuild it: ${REBUILD}`);
}

/** The one-line failure for a load error where a LibTorch library is not found (it moved or was removed); else null. */
export function missingLibTorch(build: BuildInfo | null, error: Error): Error | null {
  const m = error.message.match(/(lib(?:c10|torch)[\w.+-]*): cannot open shared object file/);
  if (!m) return null;
  const where = build ? `the LibTorch ${build.libtorch} at ${build.root}` : 'a LibTorch that is no longer where it was';
  return new Error(`pof-torch: the addon cannot find ${m[1]}: it was built against ${where}, which has moved or been removed. ` +
    `Rebuild it: ${REBUILD} (with LIBTORCH=/path/to/libtorch if LibTorch is now elsewhere).`);
}

/** What to run when there is no addon at all (the install script did not run, or failed). */
export function notBuiltMessage(lookedFor: string[]): string {
  return `pof-torch: the native addon is not built (looked for ${lookedFor.join(', ')}). Run \`${REBUILD}\` in your project ` +
    '(in a checkout of the pof-torch repository: `npm run build`). pnpm runs build scripts only when approved: ' +
    '`pnpm approve-builds`, or add pof-torch to `onlyBuiltDependencies`, then `pnpm rebuild pof-torch`. ' +
    'yarn: `yarn rebuild pof-torch` (Yarn 2+ needs `enableScripts` left on).';
}

// The package as installed: the build-info file and the load-time checks that use it, `pof --version` and
// `--help` without the addon, the exports map, LICENSE and the package.json fields, and the device type.
// Addons that must fail load in a child process (POF_TORCH_ADDON), so that this process keeps its own.
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { ModelSpec, TrainerOptions } from '../lib';
import { versions } from '../lib';
import { BuildInfo, missingLibTorch } from '../lib/build-info';
import { loadedAddon } from '../lib/addon';
import { tempDir } from './helpers/fixtures';
import { pof } from './helpers/pof-cli';

const ROOT = path.resolve(__dirname, '../..');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const ADDON = path.join(ROOT, 'dist', 'lib', 'addon.js');
const WRITE_BUILD_INFO = path.join(ROOT, 'scripts', 'write-build-info.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildInfo } = require(WRITE_BUILD_INFO) as { buildInfo: (torch: object) => BuildInfo };
const NO_ADDON = { ...process.env, POF_TORCH_ADDON: path.join(ROOT, 'no-such-dir', 'pof_torch.node') };

/** The build-info file write-build-info.js writes for the LibTorch the addon loads, into `dir`. */
function writeBuildInfo(dir: string): BuildInfo {
  execFileSync(process.execPath, [WRITE_BUILD_INFO, dir], { encoding: 'utf8', env: LOADED_LIBTORCH });
  return JSON.parse(fs.readFileSync(path.join(dir, 'pof_torch.build-info.json'), 'utf8')) as BuildInfo;
}

const addon = loadedAddon();
const TORCH_LIB = fs.realpathSync(addon.linked!.link);
// The scripts told which LibTorch the addon loads: left to find one, they take the first they find (the system
// python3's torch, say), which need not be the one this checkout was built for with LIBTORCH at install.
const LOADED_LIBTORCH = { ...process.env, LIBTORCH: path.dirname(TORCH_LIB) };

/**
 * A copy of the loaded addon in a fresh directory, with `build` (if given) as its build-info file, and its
 * pof_torch.libtorch link leading to `libDir` (this machine's LibTorch unless said).
 */
function addonCopy(build?: Partial<BuildInfo>, libDir = TORCH_LIB): string {
  const dir = tempDir('addon-copy');
  const file = path.join(dir, 'pof_torch.node');
  fs.copyFileSync(addon.file, file);
  fs.symlinkSync(libDir, path.join(dir, 'pof_torch.libtorch'), 'dir');
  if (build) fs.writeFileSync(path.join(dir, 'pof_torch.build-info.json'), JSON.stringify(build));
  return file;
}

const OWN_VARIANT = addon.linked!.variant;
const OWN_ROOT = path.dirname(TORCH_LIB);

/**
 * A fake LibTorch root that says it is `version`, of this addon's own variant or (`otherVariant`) the other kind
 * (CPU <-> CUDA 13.0): what the addon sees when another torch is installed where its own was. Built only from
 * fresh files and copies of the small files the load check reads (version.h, version.py, lib/libtorch_cuda.so
 * present or not), never links into the real LibTorch, so no test can write into it. Returns its lib/ and
 * the variant it reads as.
 */
function swappedLibTorch(version: string, otherVariant = false): { lib: string; variant: string } {
  const root = tempDir('swapped-torch');
  const [major, minor, patch] = version.split('.');
  fs.mkdirSync(path.join(root, 'include', 'torch', 'headeronly'), { recursive: true });
  fs.writeFileSync(path.join(root, 'include', 'torch', 'headeronly', 'version.h'),
    `#define TORCH_VERSION_MAJOR ${major}\n#define TORCH_VERSION_MINOR ${minor}\n#define TORCH_VERSION_PATCH ${patch}\n`);
  fs.mkdirSync(path.join(root, 'lib'));
  const ownIsCuda = OWN_VARIANT !== 'cpu';
  if (!otherVariant && fs.existsSync(path.join(OWN_ROOT, 'version.py'))) {
    fs.copyFileSync(path.join(OWN_ROOT, 'version.py'), path.join(root, 'version.py'));
  } else if (otherVariant && !ownIsCuda) {
    fs.writeFileSync(path.join(root, 'version.py'), `__version__ = '${version}+cu130'\ncuda = '13.0'\n`);
  }
  // An empty stand-in: the check only asks whether it exists.
  if (ownIsCuda !== otherVariant) fs.writeFileSync(path.join(root, 'lib', 'libtorch_cuda.so'), '');
  return { lib: path.join(root, 'lib'), variant: otherVariant ? (ownIsCuda ? 'cpu' : 'cu130') : OWN_VARIANT };
}

/** Size and mtime of each library of the real LibTorch: no test may change them. */
function realLibraries(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(TORCH_LIB).filter((n) => /\.so(\.|$)/.test(n))) {
    const s = fs.statSync(path.join(TORCH_LIB, name));
    out[name] = `${s.size} ${s.mtimeMs}`;
  }
  return out;
}
const REAL_LIBRARIES = realLibraries();

test.after('the real LibTorch\'s libraries are unchanged (size and mtime)', (t) => {
  t.deepEqual(realLibraries(), REAL_LIBRARIES);
});

/** Loads the addon (lib/addon.js) in a child process with POF_TORCH_ADDON=file. */
function loadIn(file: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['-e', `require(${JSON.stringify(ADDON)}).loadedAddon()`],
    { env: { ...process.env, ...env, POF_TORCH_ADDON: file }, encoding: 'utf8' });
}

test('write-build-info records the LibTorch the addon loads, its variant, ABI, defines and Node-API version', (t) => {
  const info = writeBuildInfo(tempDir('build-info'));
  const torch = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'find-libtorch.js')], { encoding: 'utf8', env: LOADED_LIBTORCH }));
  t.is(info.libtorch, versions().libtorch);
  t.is(info.root, torch.root);
  t.regex(info.variant, torch.cuda ? /^cu(da|\d+)$/ : /^cpu$/);
  t.true([0, 1].includes(info.cxx11Abi));
  t.deepEqual(info.defines, torch.distributedDefines);
  t.is(info.napiVersion, PACKAGE.binary.napi_versions[0]);
  t.is(info.nodeAddonApi, JSON.parse(fs.readFileSync(require.resolve('node-addon-api/package.json'), 'utf8')).version);
  t.false(Number.isNaN(Date.parse(info.builtAt)));
});

test('the variant comes from version.py (cuXYZ), the ABI from TorchConfig\'s flags', (t) => {
  const root = tempDir('fake-torch');
  const describe = (cuda: boolean, cxxFlags: string[] = []) =>
    buildInfo({ root, version: '2.13.0', cuda, cxxFlags, cxxStandard: 17, distributedDefines: [] });
  t.is(describe(false).variant, 'cpu');
  t.is(describe(true).variant, 'cuda', 'a CUDA LibTorch without version.py: version unknown');
  fs.writeFileSync(path.join(root, 'version.py'), "__version__ = '2.13.0+cu128'\ncuda: Optional[str] = '12.8'\n");
  t.is(describe(true).variant, 'cu128');
  t.is(describe(true).cxx11Abi, 1);
  t.is(describe(true, ['-D_GLIBCXX_USE_CXX11_ABI=0']).cxx11Abi, 0);
});

test('an addon whose build info names another LibTorch fails to load with the rebuild message', (t) => {
  const r = loadIn(addonCopy({ libtorch: '1.99.0', variant: 'cpu', root: '/opt/old-libtorch' }));
  t.not(r.status, 0);
  t.true(r.stderr.includes(`pof-torch: the addon was built for LibTorch 1.99.0 (cpu) but finds LibTorch ${versions().libtorch} (${OWN_VARIANT}) at ` +
    `${path.dirname(TORCH_LIB)}, through `), r.stderr);
  t.true(r.stderr.includes('; rebuild it: npm rebuild pof-torch'), r.stderr);
});

test('a malformed build-info file is one message naming it and how to rebuild', (t) => {
  const file = addonCopy();
  fs.writeFileSync(path.join(path.dirname(file), 'pof_torch.build-info.json'), '{ "libtorch": ');
  const r = loadIn(file);
  t.not(r.status, 0);
  t.true(r.stderr.includes(`pof-torch: the build-info file ${path.join(path.dirname(file), 'pof_torch.build-info.json')} is unreadable (`), r.stderr);
  t.true(r.stderr.includes('); rebuild the addon: npm rebuild pof-torch'), r.stderr);
});

test('a LibTorch swapped under the addon after install (another minor version or variant) is refused before loading', (t) => {
  const own = versions().libtorch;
  const [major, minor] = own.split('.').map(Number);
  const build = { ...addon.build!, libtorch: own, variant: OWN_VARIANT };
  for (const [version, otherVariant] of [[`${major}.${minor + 1}.0`, false], [own, true]] as const) {
    const swapped = swappedLibTorch(version, otherVariant);
    const r = loadIn(addonCopy(build, swapped.lib));
    t.not(r.status, 0);
    t.true(r.stderr.includes(`pof-torch: the addon was built for LibTorch ${own} (${OWN_VARIANT}) but finds LibTorch ${version} ` +
      `(${swapped.variant}) at ${path.dirname(swapped.lib)}`), r.stderr);
    t.notRegex(r.stderr, /undefined symbol/);
  }
  // Another patch release of the same minor version and variant keeps the ABI: the prebuild key says torchX.Y.
  // The fake tree has no libraries: the loader takes the real ones from LD_LIBRARY_PATH (read only).
  const patch = loadIn(addonCopy(build, swappedLibTorch(`${major}.${minor}.97`).lib), { LD_LIBRARY_PATH: TORCH_LIB });
  t.is(patch.status, 0, patch.stderr);
});

test('an addon whose link to LibTorch leads nowhere fails with one message naming the LibTorch it was built against', (t) => {
  const r = loadIn(addonCopy({ libtorch: '2.13.0', variant: 'cpu', root: '/opt/moved-libtorch' }, '/opt/moved-libtorch/lib'));
  t.not(r.status, 0);
  t.true(r.stderr.includes('pof-torch: the addon\'s LibTorch is gone ('), r.stderr);
  t.true(r.stderr.includes('it was built against the LibTorch 2.13.0 at /opt/moved-libtorch, which has moved or been removed. ' +
    'Rebuild it: npm rebuild pof-torch (with LIBTORCH=/path/to/libtorch if LibTorch is now elsewhere).'), r.stderr);
});

test('pof info prints the build info beside what is loaded', async (t) => {
  const dir = path.dirname(addonCopy());
  const build = writeBuildInfo(dir);
  const r = await pof(['info'], 120_000, { ...process.env, POF_TORCH_ADDON: path.join(dir, 'pof_torch.node') });
  t.is(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  t.is(info.libtorch, build.libtorch);
  t.deepEqual(info.addon, { file: path.join(dir, 'pof_torch.node'), build,
    linked: { link: path.join(dir, 'pof_torch.libtorch'), root: path.dirname(TORCH_LIB), version: build.libtorch, variant: build.variant } });
});

test('a LibTorch library that cannot be found is one message naming the LibTorch built against and how to rebuild', (t) => {
  const build = { libtorch: '2.13.0', root: '/opt/libtorch' } as BuildInfo;
  const error = new Error('libc10.so: cannot open shared object file: No such file or directory');
  t.is(missingLibTorch(build, error)?.message, 'pof-torch: the addon cannot find libc10.so: it was built against the LibTorch 2.13.0 at ' +
    '/opt/libtorch, which has moved or been removed. Rebuild it: npm rebuild pof-torch (with LIBTORCH=/path/to/libtorch if LibTorch is now elsewhere).');
  t.regex(missingLibTorch(null, new Error('libtorch_cpu.so: cannot open shared object file'))?.message ?? '',
    /cannot find libtorch_cpu\.so: it was built against a LibTorch that is no longer where it was/);
  t.is(missingLibTorch(build, new Error('libfoo.so: cannot open shared object file')), null, 'not a LibTorch library');
});

/** A C compiler on PATH (for a library that needs a libc10.so that is gone), or null. */
const CC = ['cc', 'gcc'].find((c) => spawnSync(c, ['--version']).status === 0) ?? null;

(CC ? test : test.skip)('an addon whose LibTorch is gone fails to load with that message, naming the build\'s LibTorch', (t) => {
  // A library linked against a stub libc10.so that is then removed: what a moved LibTorch looks like to dlopen.
  const dir = tempDir('gone-torch');
  fs.writeFileSync(path.join(dir, 'c10.c'), 'int c10_stub(void) { return 1; }\n');
  fs.writeFileSync(path.join(dir, 'addon.c'), 'int c10_stub(void);\nint use(void) { return c10_stub(); }\n');
  execFileSync(CC!, ['-shared', '-fPIC', '-o', 'libc10.so', 'c10.c'], { cwd: dir });
  execFileSync(CC!, ['-shared', '-fPIC', '-o', 'pof_torch.node', 'addon.c', '-L.', '-lc10'], { cwd: dir });
  fs.rmSync(path.join(dir, 'libc10.so'));
  fs.writeFileSync(path.join(dir, 'pof_torch.build-info.json'), JSON.stringify({ libtorch: '2.13.0', root: '/opt/moved-libtorch' }));
  const r = loadIn(path.join(dir, 'pof_torch.node'));
  t.not(r.status, 0);
  t.true(r.stderr.includes('pof-torch: the addon cannot find libc10.so: it was built against the LibTorch 2.13.0 at /opt/moved-libtorch'),
    r.stderr);
});

test('a file that is not a loadable library is a load failure that names it', (t) => {
  const file = path.join(tempDir('bad-addon'), 'pof_torch.node');
  fs.writeFileSync(file, 'not a shared library');
  const r = loadIn(file);
  t.not(r.status, 0);
  t.true(r.stderr.includes(`pof-torch: the native addon failed to load:\n${file}: `), r.stderr);
});

test('no addon: the error says what to run under npm, in a checkout, under pnpm and yarn', (t) => {
  const r = loadIn(NO_ADDON.POF_TORCH_ADDON);
  t.not(r.status, 0);
  for (const text of ['the native addon is not built', '`npm rebuild pof-torch`', '`npm run build`', '`pnpm approve-builds`', '`onlyBuiltDependencies`',
    '`yarn rebuild pof-torch`']) {
    t.true(r.stderr.includes(text), text);
  }
});

test('pof --version and -v print the package version, and --help works, without the addon', async (t) => {
  for (const flag of ['--version', '-v']) {
    const r = await pof([flag], 60_000, NO_ADDON);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `${PACKAGE.version}\n`);
  }
  const commands = ['train', 'post-train', 'eval', 'analyze', 'info', 'download', 'prepare', 'reproduce toy', 'reproduce table1', 'reproduce table2',
    'reproduce fig5', 'reproduce fig6'];
  for (const args of [['--help'], ...commands.map((c) => [...c.split(' '), '--help'])]) {
    const r = await pof(args, 60_000, NO_ADDON);
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('the exports map: require and import of pof-torch from a project, package.json, nothing deeper', (t) => {
  const project = tempDir('consumer');
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'pof-torch'), 'dir');
  const run = (script: string, file = 'check.js') => {
    fs.writeFileSync(path.join(project, file), script);
    return spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8' });
  };
  const resolved = run(`for (const id of ['pof-torch', 'pof-torch/package.json']) console.log(require.resolve(id));
try { require.resolve('pof-torch/dist/lib/native'); } catch (e) { console.log(e.code); }`);
  t.is(resolved.status, 0, resolved.stderr);
  const real = fs.realpathSync(ROOT);
  t.deepEqual(resolved.stdout.trim().split('\n'),
    [path.join(real, 'dist', 'lib', 'index.js'), path.join(real, 'package.json'), 'ERR_PACKAGE_PATH_NOT_EXPORTED']);
  const imported = run(`import { PoFTrainer, versions } from 'pof-torch';
import { createRequire } from 'module';
const cjs = createRequire(import.meta.url)('pof-torch');
console.log(typeof PoFTrainer, versions().libtorch, PoFTrainer === cjs.PoFTrainer);`, 'check.mjs');
  t.is(imported.status, 0, imported.stderr);
  t.is(imported.stdout.trim(), `function ${versions().libtorch} true`, 'ESM and CommonJS share one module (one addon)');
});

test('LICENSE is MIT, shipped, and package.json says the engines, os and cpu it needs', (t) => {
  const license = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
  t.regex(license, /^MIT License\n\nCopyright \(c\) 2026 the pof-torch authors\n/);
  t.is(PACKAGE.license, 'MIT');
  t.true(PACKAGE.files.includes('LICENSE'));
  const cmakeJs = JSON.parse(fs.readFileSync(require.resolve('cmake-js/package.json'), 'utf8'));
  t.is(PACKAGE.engines.node, cmakeJs.engines.node, 'cmake-js 8 is the strictest of the dependencies');
  t.deepEqual(PACKAGE.os, ['linux']);
  t.deepEqual(PACKAGE.cpu, ['x64', 'arm64']);
  t.is(PACKAGE.repository.url, 'git+https://github.com/pof-torch/pof-torch.git');
});

test('the device option takes cpu, cuda and cuda:N only (checked by the compiler)', (t) => {
  const model: ModelSpec = { kind: 'mlp', inputDim: 2, hidden: [4], numClasses: 2 };
  const ok: TrainerOptions[] = [{ model, device: 'cpu' }, { model, device: 'cuda' }, { model, device: 'cuda:1' }];
  // @ts-expect-error: 'gpu' is no device name
  const bad: TrainerOptions = { model, device: 'gpu' };
  t.is(ok.length + (bad ? 1 : 0), 4);
});

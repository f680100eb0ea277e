// Prebuilt addons: the key that names one, the install script's choice (a fitting prebuild, else a compile,
// and why), and an install of the packed package into an empty project from a prebuild, without compiling.
// The prebuild here is this build's addon and build-info file in prebuild's layout (build/Release/...), as
// `npm run prebuild-binaries` packs them; making one with prebuild itself is a full build (minutes).
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadedAddon } from '../lib/addon';
import { tempDir } from './helpers/fixtures';

const addon = loadedAddon();
// The scripts and the installs below look for the LibTorch this addon loads: left to search, they would take
// the first they find (the system python3's torch, say), not the one this checkout was built for with LIBTORCH.
process.env.LIBTORCH = path.dirname(fs.realpathSync(addon.linked!.link));
const ROOT = path.resolve(__dirname, '../..');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const INSTALL = path.join(ROOT, 'scripts', 'install.js');
/* eslint-disable @typescript-eslint/no-require-imports */
const { findLibTorch } = require(path.join(ROOT, 'scripts', 'find-libtorch.js'));
const { prebuildKey, prebuildFileName } = require(path.join(ROOT, 'scripts', 'prebuild-key.js'));
/* eslint-enable @typescript-eslint/no-require-imports */
const KEY: string = prebuildKey(findLibTorch());

/** A prebuild tarball named `name` in a new directory, holding this build's addon and build-info file. */
function prebuildDir(name: string): string {
  const stage = tempDir('prebuild-stage');
  fs.mkdirSync(path.join(stage, 'build', 'Release'), { recursive: true });
  for (const f of ['pof_torch.node', 'pof_torch.build-info.json']) {
    fs.copyFileSync(path.join(path.dirname(addon.file), f), path.join(stage, 'build', 'Release', f));
  }
  const dir = tempDir('prebuilds');
  execFileSync('tar', ['-czf', path.join(dir, name), '-C', stage, 'build/Release/pof_torch.node', 'build/Release/pof_torch.build-info.json']);
  return dir;
}

function plan(env: NodeJS.ProcessEnv) {
  return execFileSync(process.execPath, [INSTALL, '--plan'], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

test('the key names LibTorch major.minor and variant, the C++ ABI, platform, arch, libc and Node-API version', (t) => {
  const build = addon.build!;
  const [major, minor] = build.libtorch.split('.');
  t.is(KEY, `torch${major}.${minor}-${build.variant}-${build.cxx11Abi ? 'cxx11abi' : 'precxx11abi'}-linux-${process.arch}-glibc-napi${build.napiVersion}`);
  t.is(prebuildFileName(KEY), `pof-torch-v${PACKAGE.version}-${KEY}.tar.gz`);
});

test('without a fitting prebuild the install script compiles and says why; with one it installs it', (t) => {
  const other = KEY.replace(/^torch\d+\.\d+/, 'torch1.0');
  const elsewhere = prebuildDir(prebuildFileName(other));
  t.regex(plan({ POF_TORCH_PREBUILDS: elsewhere }), new RegExp(`compiling the addon from source, because no prebuilt addon for ${KEY.replace(/\./g, '\\.')} ` +
    `in ${elsewhere}, .*prebuilds \\(there: pof-torch-v${PACKAGE.version}-torch1\\.0-`));
  const fitting = prebuildDir(prebuildFileName(KEY));
  t.regex(plan({ POF_TORCH_PREBUILDS: fitting }), new RegExp(`would install the prebuilt addon ${fitting}/pof-torch-v`));
  t.regex(plan({ npm_config_pof_torch_prebuilds: fitting }), /would install the prebuilt addon/, 'npm config pof_torch_prebuilds');
  t.regex(plan({ POF_TORCH_PREBUILDS: fitting, POF_TORCH_BUILD_FROM_SOURCE: '1' }), /compiling the addon from source, because a build from source was asked for/);
});

test('npm install of the packed package into an empty project uses the prebuild, loads, and refuses a LibTorch swapped later', (t) => {
  const work = tempDir('npm-install');
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
  const tarball = path.join(work, `pof-torch-${PACKAGE.version}.tgz`);
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
  // The dependencies come from npm's cache where it has them (the suite's own install filled it).
  const started = Date.now();
  const r = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball],
    { cwd: app, encoding: 'utf8', env: { ...process.env, POF_TORCH_PREBUILDS: prebuildDir(prebuildFileName(KEY)) } });
  t.is(r.status, 0, r.stderr);
  t.log(`npm install took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.regex(r.stdout, new RegExp(`installed the prebuilt addon pof-torch-v${PACKAGE.version}-${KEY.replace(/\./g, '\\.')}\\.tar\\.gz .*\\(no compile\\)`));
  t.notRegex(r.stdout, /compiling/);
  const release = path.join(app, 'node_modules', 'pof-torch', 'build', 'Release');
  t.deepEqual(fs.readdirSync(release).sort(), ['pof_torch.build-info.json', 'pof_torch.libtorch', 'pof_torch.node']);
  const build = JSON.parse(fs.readFileSync(path.join(release, 'pof_torch.build-info.json'), 'utf8'));
  t.is(build.prebuild, prebuildFileName(KEY));
  t.is(build.root, findLibTorch().root);

  const use = () => spawnSync(process.execPath, ['-e', 'const p = require("pof-torch"); console.log(p.versions().libtorch)'], { cwd: app, encoding: 'utf8' });
  const loaded = use();
  t.is(loaded.status, 0, loaded.stderr);
  t.is(loaded.stdout.trim(), addon.build!.libtorch);

  // Another torch where this one was: the link now leads to a LibTorch that says it is 1.0.0.
  const swapped = tempDir('swapped');
  fs.mkdirSync(path.join(swapped, 'include', 'torch', 'headeronly'), { recursive: true });
  fs.writeFileSync(path.join(swapped, 'include', 'torch', 'headeronly', 'version.h'),
    '#define TORCH_VERSION_MAJOR 1\n#define TORCH_VERSION_MINOR 0\n#define TORCH_VERSION_PATCH 0\n');
  fs.mkdirSync(path.join(swapped, 'lib'));
  fs.rmSync(path.join(release, 'pof_torch.libtorch'));
  fs.symlinkSync(path.join(swapped, 'lib'), path.join(release, 'pof_torch.libtorch'));
  const refused = use();
  t.not(refused.status, 0);
  t.true(refused.stderr.includes(`pof-torch: the addon was built for LibTorch ${build.libtorch} (${build.variant}) but finds LibTorch 1.0.0 (cpu) at ` +
    `${swapped}`), refused.stderr);
  t.true(refused.stderr.includes('rebuild it: npm rebuild pof-torch'));
});

test('after a source build installed as a dependency, only the addon, its build-info file and its link stay in build/', (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { removeIntermediates, installedAsDependency } = require(path.join(ROOT, 'scripts', 'prebuilds.js'));
  const root = path.join(tempDir('dependency'), 'node_modules', 'pof-torch');
  const release = path.join(root, 'build', 'Release');
  fs.mkdirSync(path.join(root, 'build', 'CMakeFiles', 'pof_torch.dir'), { recursive: true });
  fs.mkdirSync(release, { recursive: true });
  fs.writeFileSync(path.join(root, 'build', 'CMakeFiles', 'pof_torch.dir', 'cmake_pch.hxx.gch'), Buffer.alloc(3000));
  fs.writeFileSync(path.join(root, 'build', 'build.ninja'), Buffer.alloc(500));
  fs.writeFileSync(path.join(release, 'pof_torch.node'), 'addon');
  fs.writeFileSync(path.join(release, 'pof_torch.build-info.json'), '{}');
  fs.writeFileSync(path.join(release, 'leftover.o'), Buffer.alloc(100));
  fs.symlinkSync('/nonexistent/torch/lib', path.join(release, 'pof_torch.libtorch'));
  t.true(installedAsDependency(root));
  t.false(installedAsDependency(ROOT.includes('node_modules') ? '/checkout' : ROOT));
  t.is(removeIntermediates(root), 3600);
  t.deepEqual(fs.readdirSync(path.join(root, 'build')), ['Release']);
  t.deepEqual(fs.readdirSync(release).sort(), ['pof_torch.build-info.json', 'pof_torch.libtorch', 'pof_torch.node']);
});

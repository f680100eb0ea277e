'use strict';
// Prebuilt addons: where the install script looks for one, and how one is put in place. A prebuild is the
// tarball `npm run prebuild-binaries` makes (prebuild's layout: build/Release/pof_torch.node and its
// build-info file), named by prebuild-key.js; it is used only when its name is this package version's and
// this machine's key, and only once it has loaded here.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { LIBTORCH_LINK, linkLibTorch } = require('./link-libtorch');
const { prebuildFileName } = require('./prebuild-key');
const { adoptBuildInfo } = require('./write-build-info');

/** Where prebuilds are looked for, in order: POF_TORCH_PREBUILDS, npm config pof_torch_prebuilds, the package's prebuilds/. */
function prebuildDirs(root) {
  const dirs = [process.env.POF_TORCH_PREBUILDS, process.env.npm_config_pof_torch_prebuilds, path.join(root, 'prebuilds')];
  return [...new Set(dirs.filter(Boolean).map((d) => path.resolve(d)))];
}

/** The prebuild for `key` in `dirs` ({ file }), else what the directories hold ({ file: null, others }). */
function findPrebuild(dirs, key) {
  const wanted = prebuildFileName(key);
  const others = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    const names = fs.readdirSync(dir).filter((n) => n.endsWith('.tar.gz'));
    if (names.includes(wanted)) return { file: path.join(dir, wanted), others };
    others.push(...names);
  }
  return { file: null, others };
}

/**
 * Unpacks `file` beside build/, links it to `torch`, checks that it loads here (all symbols bound at once), and
 * only then makes it build/Release. Throws, leaving build/Release as it was, when any step fails.
 */
function installPrebuild(file, root, torch) {
  fs.mkdirSync(path.join(root, 'build'), { recursive: true });
  const staging = fs.mkdtempSync(path.join(root, 'build', '.prebuild-'));
  try {
    const untar = spawnSync('tar', ['-xzf', file, '-C', staging, '--no-same-owner', '--no-same-permissions'], { encoding: 'utf8' });
    if (untar.error || untar.status !== 0) throw new Error(`tar cannot unpack it: ${(untar.error?.message ?? untar.stderr).trim()}`);
    const release = path.join(staging, 'build', 'Release');
    const addon = path.join(release, 'pof_torch.node');
    if (!fs.existsSync(addon)) throw new Error('it holds no build/Release/pof_torch.node');
    linkLibTorch(release, torch.libDir);
    adoptBuildInfo(release, torch, path.basename(file));
    assertLoads(addon);
    const target = path.join(root, 'build', 'Release');
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(release, target);
    return path.join(target, 'pof_torch.node');
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Loads the addon in a child process with RTLD_NOW, so that a symbol this LibTorch lacks fails here, not later. */
function assertLoads(addon) {
  const script = 'const m = { exports: {} }; process.dlopen(m, process.argv[1], require("os").constants.dlopen.RTLD_NOW); m.exports.versions();';
  const r = spawnSync(process.execPath, ['-e', script, addon], { encoding: 'utf8' });
  if (r.status !== 0) {
    const line = (r.stderr || '').split('\n').find((l) => /Error|error/.test(l)) || `exit ${r.status}`;
    throw new Error(`it does not load here: ${line.trim()}`);
  }
}

/**
 * After a source build installed as a dependency: everything under build/ but the addon, its build-info file
 * and its link (the object files and the precompiled header are most of a gigabyte). Returns the bytes freed.
 */
function removeIntermediates(root) {
  const keep = new Set(['pof_torch.node', 'pof_torch.build-info.json', LIBTORCH_LINK]);
  const build = path.join(root, 'build');
  let freed = 0;
  const remove = (p) => {
    freed += sizeOf(p);
    fs.rmSync(p, { recursive: true, force: true });
  };
  for (const entry of fs.readdirSync(build)) {
    const p = path.join(build, entry);
    if (entry !== 'Release') { remove(p); continue; }
    for (const name of fs.readdirSync(p)) if (!keep.has(name)) remove(path.join(p, name));
  }
  return freed;
}

function sizeOf(p) {
  const stat = fs.lstatSync(p);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(p).reduce((sum, name) => sum + sizeOf(path.join(p, name)), 0);
}

/** Whether the package sits in someone's node_modules (installed as a dependency, not a checkout being developed). */
function installedAsDependency(root) {
  return path.resolve(root).split(path.sep).includes('node_modules');
}

module.exports = { prebuildDirs, findPrebuild, installPrebuild, removeIntermediates, installedAsDependency };

#!/usr/bin/env node
'use strict';
// The `npm install` step: find this machine's LibTorch, then put a prebuilt addon for it in place when one
// is at hand (prebuilds.js), else compile one (build-native.js). It says which, and why (install-plan.js).
//   POF_TORCH_PREBUILDS=DIR (or npm config pof_torch_prebuilds)  another directory of prebuilds
//   POF_TORCH_BUILD_FROM_SOURCE=1 (or npm install --build-from-source)  compile even when a prebuild fits
//   POF_TORCH_KEEP_BUILD=1  keep the build intermediates of a source build (removed when installed as a dependency)
//   --plan  say what would be done, do nothing
const fs = require('fs');
const path = require('path');
const { buildFromSource } = require('./build-native');
const { findLibTorch } = require('./find-libtorch');
const { installPlan } = require('./install-plan');
const { prebuildKey } = require('./prebuild-key');
const { findPrebuild, installPrebuild, installedAsDependency, prebuildDirs, removeIntermediates } = require('./prebuilds');
const { FILE_NAME } = require('./write-build-info');

const root = path.resolve(__dirname, '..');
const plan = process.argv.includes('--plan');
const yes = (value) => value !== undefined && value !== '' && value !== '0' && value !== 'false';

/** The addon already in build/Release and its build-info (null if unreadable), or null when there is none. */
function existingAddon() {
  const release = path.join(root, 'build', 'Release');
  if (!fs.existsSync(path.join(release, 'pof_torch.node'))) return null;
  try {
    return { build: JSON.parse(fs.readFileSync(path.join(release, FILE_NAME), 'utf8')) };
  } catch {
    return { build: null };
  }
}

function main() {
  // `npx pof` in a checkout links the checkout into npx's cache and runs this script there again
  // (npm_command=exec), without the LIBTORCH given at install: an addon built here stays as it is.
  const existing = existingAddon();
  if (process.env.npm_command === 'exec' && existing?.build) {
    const b = existing.build;
    return console.log(`pof-torch: npx ran the install script again: the addon in build/Release stays as built, for LibTorch ` +
      `${b.libtorch} (${b.variant}) at ${b.root} (npm install, with LIBTORCH, to change it)`);
  }
  let torch;
  try {
    torch = findLibTorch();
  } catch (e) {
    console.error(`\npof-torch: cannot install the native addon.\n${e.message}\n`);
    process.exit(1);
  }
  const key = prebuildKey(torch);
  console.log(`pof-torch: LibTorch ${torch.version} at ${torch.root} [${torch.source}]: addon key ${key}`);

  const dirs = prebuildDirs(root);
  const decided = installPlan({ torch, key, existing, dirs, found: findPrebuild(dirs, key),
    fromSource: yes(process.env.POF_TORCH_BUILD_FROM_SOURCE) || yes(process.env.npm_config_build_from_source) });
  let why = decided.why;
  if (decided.action === 'prebuild') {
    const replacing = decided.replaces ? `, replacing the existing one: ${decided.replaces}` : '';
    if (plan) return console.log(`pof-torch: would install the prebuilt addon ${decided.file}${replacing}`);
    try {
      const addon = installPrebuild(decided.file, root, torch);
      return console.log(`pof-torch: installed the prebuilt addon ${path.basename(decided.file)} as ${addon} (no compile)${replacing}`);
    } catch (e) {
      why = `the prebuilt addon ${decided.file} cannot be used: ${e.message}`;
    }
  }
  console.log(`pof-torch: compiling the addon from source, because ${why}. This takes a few minutes (about 10 on 2 cores).`);
  if (plan) return;
  buildFromSource(torch);
  if (installedAsDependency(root) && !yes(process.env.POF_TORCH_KEEP_BUILD)) {
    const freed = removeIntermediates(root);
    console.log(`pof-torch: removed the build intermediates (${(freed / 2 ** 20).toFixed(0)} MB); kept build/Release/pof_torch.node`);
  }
}

main();

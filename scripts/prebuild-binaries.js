#!/usr/bin/env node
'use strict';
// `npm run prebuild-binaries`: builds the addon from scratch with prebuild (cmake-js backend, Node-API) and
// names the tarball by what its ABI depends on (prebuild-key.js), in prebuilds/. `npm pack` then ships it,
// and the install script uses it on any machine with the same key. Extra arguments go to prebuild.
// Takes as long as a clean build (about 13 minutes on 2 cores); it replaces build/.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { findLibTorch } = require('./find-libtorch');
const { linkLibTorch } = require('./link-libtorch');
const { PACKAGE, prebuildFileName, prebuildKey } = require('./prebuild-key');

const root = path.resolve(__dirname, '..');
const torch = findLibTorch();
const key = prebuildKey(torch);
console.log(`pof-torch: prebuilding ${key} against LibTorch ${torch.version} at ${torch.root}`);

const napi = PACKAGE.binary.napi_versions[0];
// prebuild's own name for the tarball (it knows nothing of LibTorch): renamed below.
const made = path.join(root, 'prebuilds', `${PACKAGE.name}-v${PACKAGE.version}-napi-v${napi}-${process.platform}-${process.arch}.tar.gz`);
fs.rmSync(made, { force: true });
const args = [require.resolve('prebuild/bin.js'), '--backend', 'cmake-js', '-r', 'napi', '--force',
  // the build-info file travels with the addon (the link to LibTorch is made where it is installed)
  '--include-regex', '\\.(node|json)$', '--prepack', 'node scripts/write-build-info.js build/Release', ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status === null ? 1 : result.status);
if (!fs.existsSync(made)) {
  console.error(`pof-torch: prebuild succeeded but ${made} is not there`);
  process.exit(1);
}
const file = path.join(root, 'prebuilds', prebuildFileName(key));
fs.renameSync(made, file);
linkLibTorch(path.join(root, 'build', 'Release'), torch.libDir);  // the rebuilt build/ loads here too
console.log(`pof-torch: wrote ${path.relative(root, file)} (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MB)`);

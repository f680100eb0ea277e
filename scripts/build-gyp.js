#!/usr/bin/env node
'use strict';
// Builds the addon with node-gyp (binding.gyp) in a scratch copy of the sources, so that it never
// touches the cmake-js build in build/, then checks that the result loads and answers `pof info`.
// Output: build-gyp/pof_torch.node, its pof_torch.build-info.json and its pof_torch.libtorch link.
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { findLibTorch } = require('./find-libtorch');
const { bindAddon } = require('./write-build-info');

const root = path.resolve(__dirname, '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-gyp-'));
for (const item of ['binding.gyp', 'native', 'scripts', 'package.json']) {
  fs.cpSync(path.join(root, item), path.join(scratch, item), { recursive: true });
}
fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');

// Use the headers of the running node when it ships them (no download); node-gyp's default otherwise.
const nodeDir = path.resolve(path.dirname(process.execPath), '..');
const args = [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--jobs', String(os.cpus().length)];
if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
const result = spawnSync(process.execPath, args, { cwd: scratch, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status === null ? 1 : result.status);

const outDir = path.join(root, 'build-gyp');
fs.mkdirSync(outDir, { recursive: true });
const addon = path.join(outDir, 'pof_torch.node');
fs.copyFileSync(path.join(scratch, 'build', 'Release', 'pof_torch.node'), addon);
fs.rmSync(scratch, { recursive: true, force: true });
bindAddon(outDir, findLibTorch());

const info = execFileSync(process.execPath, [path.join(root, 'dist', 'lib', 'cli.js'), 'info'],
  { env: { ...process.env, POF_TORCH_ADDON: addon }, encoding: 'utf8' });
console.log(`node-gyp build loads: ${addon}\n${info}`);

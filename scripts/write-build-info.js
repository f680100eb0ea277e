#!/usr/bin/env node
'use strict';
// Writes pof_torch.build-info.json beside a built addon: what the addon was compiled against, so that
// lib/addon.ts can tell at load time that the LibTorch has changed since (and `pof info` can show it).
// Both builds call writeBuildInfo after they succeed; run by hand for an existing build:
//   node scripts/write-build-info.js build/Release
const fs = require('fs');
const path = require('path');
const { findLibTorch, torchCudaVersion } = require('./find-libtorch');
const { linkLibTorch } = require('./link-libtorch');

const FILE_NAME = 'pof_torch.build-info.json';
const root = path.resolve(__dirname, '..');

/** 'cpu' or 'cuXYZ' (a pip torch's version.py says cuda = '12.8'); 'cuda' for a CUDA LibTorch of unknown version. */
function variant(torch) {
  const cuda = torchCudaVersion(torch.root);
  if (cuda) return `cu${cuda.replace('.', '')}`;
  return torch.cuda ? 'cuda' : 'cpu';
}

/** The _GLIBCXX_USE_CXX11_ABI the addon was compiled with: TorchConfig's flag, else the compiler's default (1). */
function cxx11Abi(torch) {
  const flag = torch.cxxFlags.map((f) => f.match(/^-D_GLIBCXX_USE_CXX11_ABI=(\d)$/)).find(Boolean);
  return flag ? Number(flag[1]) : 1;
}

const PACKAGE = packageJson(path.join(root, 'package.json'));

function packageJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The build-info record for an addon built against `torch` (find-libtorch's description). */
function buildInfo(torch) {
  return {
    libtorch: torch.version,
    variant: variant(torch),
    root: torch.root,
    cxx11Abi: cxx11Abi(torch),
    cxxStandard: torch.cxxStandard,
    defines: torch.distributedDefines,
    napiVersion: PACKAGE.binary.napi_versions[0],
    nodeAddonApi: packageJson(require.resolve('node-addon-api/package.json')).version,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    builtAt: new Date().toISOString(),
  };
}

/** Writes the record into `dir` (beside pof_torch.node); returns the file's path. */
function writeBuildInfo(dir, torch = findLibTorch()) {
  return writeRecord(dir, buildInfo(torch));
}

/**
 * For a prebuilt addon unpacked into `dir`: its builder's record, with the root of this machine's LibTorch
 * (the one it is linked to) and the prebuild it came from.
 */
function adoptBuildInfo(dir, torch, prebuild) {
  const file = path.join(dir, FILE_NAME);
  const built = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : buildInfo(torch);
  return writeRecord(dir, { ...built, root: torch.root, prebuild });
}

function writeRecord(dir, record) {
  const file = path.join(dir, FILE_NAME);
  fs.writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  return file;
}

/** After a build: the build-info file and the pof_torch.libtorch link beside the addon in `dir`. */
function bindAddon(dir, torch) {
  writeBuildInfo(dir, torch);
  linkLibTorch(dir, torch.libDir);
}

module.exports = { buildInfo, writeBuildInfo, adoptBuildInfo, bindAddon, variant, cxx11Abi, FILE_NAME, PACKAGE };

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node scripts/write-build-info.js DIR   (the directory holding pof_torch.node)\n');
    process.exit(2);
  }
  try {
    console.log(`pof-torch: wrote ${writeBuildInfo(path.resolve(dir))}`);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}

'use strict';
// What a cmake build directory is configured for: one LibTorch (root, version, variant), the C++ standard and
// the flags and defines passed for it. cmake-js configures only when build/CMakeCache.txt is missing, so a
// build/ configured for one LibTorch would otherwise keep compiling (or not compiling) against it when another
// is found. build-native.js records this beside CMakeCache.txt and starts afresh when it differs.
const fs = require('fs');
const path = require('path');
const { variant } = require('./write-build-info');

const RECORD = 'pof_torch.build-config.json';
/** What cmake writes when it configures (the object files under CMakeFiles/ go too: they are for the old LibTorch). */
const CONFIGURE_OUTPUTS = ['CMakeCache.txt', 'CMakeFiles', 'build.ninja', 'Makefile', 'cmake_install.cmake', 'compile_commands.json'];

/** The configuration a build against `torch` (find-libtorch's description) gets. */
function configFor(torch) {
  return {
    root: torch.root,
    version: torch.version,
    variant: variant(torch),
    cxxStandard: torch.cxxStandard,
    defines: torch.distributedDefines,
    cxxFlags: torch.cxxFlags,
    includeDirs: torch.includeDirs,
  };
}

/** "field: old -> new" for each field of `wanted` that `recorded` has otherwise. */
function differences(recorded, wanted) {
  const show = (v) => (v === undefined ? '(none)' : Array.isArray(v) ? `[${v.join(' ')}]` : String(v));
  return Object.keys(wanted)
    .filter((k) => JSON.stringify(recorded[k]) !== JSON.stringify(wanted[k]))
    .map((k) => `${k}: ${show(recorded[k])} -> ${show(wanted[k])}`);
}

/**
 * Why a build directory must be configured from scratch for `wanted` (empty: it need not). `recorded` is
 * the record found (null: none); `configured` whether it holds a CMakeCache.txt (none: cmake-js configures anyway).
 */
function staleReasons(recorded, wanted, configured) {
  if (!configured) return [];
  if (!recorded) return [`it holds a cmake configuration without a record of the LibTorch it is for`];
  return differences(recorded, wanted);
}

function readRecord(buildDir) {
  const file = path.join(buildDir, RECORD);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;  // none, or unreadable: either way not a record to trust
  }
}

function writeRecord(buildDir, config) {
  fs.writeFileSync(path.join(buildDir, RECORD), JSON.stringify(config, null, 2) + '\n');
}

/** Removes the configure outputs and the record of `buildDir`, so that cmake-js configures it anew. */
function clearConfiguration(buildDir) {
  for (const name of [...CONFIGURE_OUTPUTS, RECORD]) fs.rmSync(path.join(buildDir, name), { recursive: true, force: true });
}

module.exports = { configFor, differences, staleReasons, readRecord, writeRecord, clearConfiguration, RECORD };

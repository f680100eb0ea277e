#!/usr/bin/env node
'use strict';
// Compiles the addon with cmake-js against the LibTorch on this machine (`npm run build`; the install
// script, scripts/install.js, does it when no prebuilt addon fits), then binds it to that LibTorch:
// the build-info file and the pof_torch.libtorch link beside build/Release/pof_torch.node. A build/
// configured for another LibTorch is configured afresh first (build-config.js).
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { clearConfiguration, configFor, readRecord, staleReasons, writeRecord } = require('./build-config');
const { findLibTorch } = require('./find-libtorch');
const { bindAddon } = require('./write-build-info');

const root = path.resolve(__dirname, '..');

/**
 * Makes `buildDir` configured for `torch` or empty of configuration: when its recorded configuration (or the lack
 * of one beside a CMakeCache.txt) differs, removes it and says what changed. Returns the configuration wanted.
 */
function prepareConfiguration(buildDir, torch) {
  const wanted = configFor(torch);
  const reasons = staleReasons(readRecord(buildDir), wanted, fs.existsSync(path.join(buildDir, 'CMakeCache.txt')));
  if (reasons.length) {
    console.log(`pof-torch: configuring ${buildDir} from scratch for LibTorch ${wanted.version} (${wanted.variant}) at ` +
      `${wanted.root}, because ${reasons.join('; ')}`);
    clearConfiguration(buildDir);
  }
  return wanted;
}

/** Compiles and binds; returns the directory of the addon, or exits with the compiler's status. */
function buildFromSource(torch) {
  console.log(`pof-torch: building against LibTorch ${torch.version} (${torch.cuda ? 'CUDA' : 'CPU'}) ` +
    `from ${torch.root} [${torch.source}]`);
  if (torch.cuda && !torch.cudaInclude) {
    console.warn('pof-torch: no CUDA runtime headers of LibTorch\'s CUDA version under CUDA_HOME, the torch package\'s ' +
      'nvidia/*/include or /usr/local/cuda/include: unless the compiler finds them by itself, the addon will run on CUDA ' +
      'without the sync-debug check and peak-memory figures (`npx pof info` shows cudaInstrumentation). ' +
      'Set CUDA_HOME to a matching CUDA toolkit to have them.');
  }
  const buildDir = path.join(root, 'build');
  const config = prepareConfiguration(buildDir, torch);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const jobs = String(Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length));
  const args = [cmakeJs, 'compile', '--directory', root, '--parallel', jobs];
  if (process.env.POF_DEBUG_BUILD) args.push('--debug');
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
  if (result.status !== 0) process.exit(result.status === null ? 1 : result.status);
  writeRecord(buildDir, config);  // only after success: a failed build is configured afresh next time
  const dir = path.join(root, 'build', process.env.POF_DEBUG_BUILD ? 'Debug' : 'Release');
  bindAddon(dir, torch);
  return dir;
}

module.exports = { buildFromSource, prepareConfiguration };

if (require.main === module) {
  try {
    buildFromSource(findLibTorch());
  } catch (e) {
    console.error(`\npof-torch: cannot build the native addon.\n${e.message}\n`);
    process.exit(1);
  }
}

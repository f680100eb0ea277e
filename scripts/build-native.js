#!/usr/bin/env node
'use strict';
// `npm install` step: compile the addon with cmake-js against the LibTorch on this machine.
const { spawnSync } = require('child_process');
const os = require('os');
const path = require('path');
const { findLibTorch } = require('./find-libtorch');
const { writeBuildInfo } = require('./write-build-info');

const root = path.resolve(__dirname, '..');
let torch;
try {
  torch = findLibTorch();
} catch (e) {
  console.error(`\npof-torch: cannot build the native addon.\n${e.message}\n`);
  process.exit(1);
}
console.log(`pof-torch: building against LibTorch ${torch.version} (${torch.cuda ? 'CUDA' : 'CPU'}) ` +
  `from ${torch.root} [${torch.source}]`);

if (torch.cuda && !torch.cudaInclude) {
  console.warn('pof-torch: no CUDA runtime headers of LibTorch\'s CUDA version under CUDA_HOME, the torch package\'s ' +
    'nvidia/*/include or /usr/local/cuda/include: unless the compiler finds them by itself, the addon will run on CUDA ' +
    'without the sync-debug check and peak-memory figures (`npx pof info` shows cudaInstrumentation). ' +
    'Set CUDA_HOME to a matching CUDA toolkit to have them.');
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const jobs = String(Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length));
const args = [cmakeJs, 'compile', '--directory', root, '--parallel', jobs];
if (process.env.POF_DEBUG_BUILD) args.push('--debug');
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
if (result.status !== 0) process.exit(result.status === null ? 1 : result.status);
writeBuildInfo(path.join(root, 'build', process.env.POF_DEBUG_BUILD ? 'Debug' : 'Release'), torch);

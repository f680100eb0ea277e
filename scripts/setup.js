#!/usr/bin/env node
'use strict';
// First-time setup on a fresh machine (`npm run setup`): a LibTorch if none is found (the CPU build of
// torch from PyPI, through the python3 on PATH), then `npm install`, which builds the addon against it.
// `--ci` uses `npm ci` instead (the lockfile's exact versions, a clean node_modules).
const { spawnSync } = require('child_process');
const { findLibTorch } = require('./find-libtorch');

function run(command, args) {
  console.log(`--- ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`pof-torch setup: \`${command} ${args.join(' ')}\` failed${r.error ? `: ${r.error.message}` : ''}`);
    process.exit(1);
  }
}

try {
  const torch = findLibTorch();
  console.log(`--- LibTorch ${torch.version} (${torch.cuda ? 'CUDA' : 'CPU'}) found at ${torch.root}`);
} catch {
  console.log('--- no LibTorch found: installing the CPU build of torch 2.13.0 from PyPI (for CUDA, install a CUDA torch first)');
  run('python3', ['-m', 'pip', 'install', 'torch==2.13.0']);
}
const ci = process.argv.includes('--ci');
run(process.platform === 'win32' ? 'npm.cmd' : 'npm', [ci ? 'ci' : 'install', '--no-audit', '--no-fund']);

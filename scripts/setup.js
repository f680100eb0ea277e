#!/usr/bin/env node
'use strict';
// First-time setup on a fresh machine (`npm run setup`): a LibTorch if none is found (the CPU build of
// torch from PyPI, through the python3 on PATH), then `npm install`, which builds the addon against it.
// `--ci` uses `npm ci` instead (the lockfile's exact versions, a clean node_modules).
const { spawnSync } = require('child_process');
const { findLibTorch } = require('./find-libtorch');

// `attempts` > 1 for steps that reach a registry: a dropped connection (ECONNRESET) is worth a second try.
function run(command, args, attempts = 1) {
  for (let attempt = 1; ; attempt += 1) {
    console.log(`--- ${command} ${args.join(' ')}${attempt > 1 ? ` (attempt ${attempt} of ${attempts})` : ''}`);
    const r = spawnSync(command, args, { stdio: 'inherit' });
    if (r.status === 0) return;
    if (attempt < attempts) {
      spawnSync('sleep', ['5']);
      continue;
    }
    console.error(`pof-torch setup: \`${command} ${args.join(' ')}\` failed${r.error ? `: ${r.error.message}` : ''}`);
    process.exit(1);
  }
}

try {
  const torch = findLibTorch();
  console.log(`--- LibTorch ${torch.version} (${torch.cuda ? 'CUDA' : 'CPU'}) found at ${torch.root}`);
} catch {
  console.log('--- no LibTorch found: installing the CPU build of torch 2.13.0 from PyPI (for CUDA, install a CUDA torch first)');
  run('python3', ['-m', 'pip', 'install', 'torch==2.13.0'], 2);
}
const ci = process.argv.includes('--ci');
ensureGlooHeaders();
run(process.platform === 'win32' ? 'npm.cmd' : 'npm', [ci ? 'ci' : 'install', '--no-audit', '--no-fund'], 3);

/**
 * Data-parallel training (optional) needs Gloo's headers when the addon is built; LibTorch has Gloo's code but
 * not its headers. Debian/Ubuntu package them (libgloo-dev): installed here when apt-get can run (as root or
 * through sudo without a password). Elsewhere, or with POF_DISTRIBUTED=0, the addon is built without it.
 */
function ensureGlooHeaders() {
  if (process.env.POF_DISTRIBUTED === '0') return;
  if (findLibTorch().distributed) {
    console.log('--- Gloo headers found: the addon is built with data-parallel training');
    return;
  }
  const can = (command, args) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = root ? [] : can('sudo', ['-n', 'true']) ? ['sudo', '-n'] : null;
  const without = 'the addon is built without data-parallel training (see the README: "Several processes")';
  if (process.platform !== 'linux' || !can('apt-get', ['--version']) || prefix === null) {
    const why = process.platform !== 'linux' || !can('apt-get', ['--version']) ? 'no apt-get here' : 'apt-get needs root (sudo)';
    console.warn(`--- no Gloo headers, and ${why}: ${without}; install Gloo's headers and set GLOO_INCLUDE_DIR to have it`);
    if (ci) process.exit(1);  // CI tests data parallelism: a missing install step must not pass quietly
    return;
  }
  const apt = (...args) => {
    const command = [...prefix, 'apt-get', ...args];
    console.log(`--- ${command.join(' ')}`);
    return spawnSync(command[0], command.slice(1), { stdio: 'inherit' }).status === 0;
  };
  console.log('--- installing Gloo\'s headers (Debian libgloo-dev), for data-parallel training');
  const install = ['install', '-y', '--no-install-recommends', 'libgloo-dev'];
  // A fresh machine may have no package lists yet.
  const done = apt(...install) || (apt('update') && apt(...install));
  if (!done || !findLibTorch().distributed) {
    console.warn(`--- libgloo-dev could not be installed: ${without}`);
    if (ci) process.exit(1);
  }
}

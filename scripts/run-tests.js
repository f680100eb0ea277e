#!/usr/bin/env node
'use strict';
// Runs the ava suite (TAP output) and ends with the line CI reads: "N passed, N failed".
const { spawn } = require('child_process');
const path = require('path');

const ava = path.resolve(__dirname, '..', 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const child = spawn(process.execPath, [ava, '--tap', ...process.argv.slice(2)], {
  cwd: path.resolve(__dirname, '..'),
  stdio: ['inherit', 'pipe', 'inherit'],
});
let passed = 0, failed = 0, skipped = 0, todo = 0, pending = '';
function count(line) {
  if (/^not ok \d+/.test(line)) {
    if (/# TODO/.test(line)) todo += 1; else failed += 1;
  } else if (/^ok \d+/.test(line)) {
    if (/# SKIP/.test(line)) skipped += 1; else if (/# TODO/.test(line)) todo += 1; else passed += 1;
  }
}
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  pending += chunk.toString();
  const lines = pending.split('\n');
  pending = lines.pop();
  lines.forEach(count);
});
child.on('close', (code) => {
  if (pending) count(pending);
  // A crashed worker or an uncaught error can fail the run without a "not ok" line: count it too.
  if (code !== 0 && failed === 0) failed = 1;
  if (skipped || todo) console.log(`${skipped} skipped, ${todo} todo`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});

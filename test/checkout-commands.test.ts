// The README's commands in a checkout run the checkout's own CLI with no install step: `npx pof` there installs
// the package into npx's cache and runs its install scripts (which once rebound the addon to another LibTorch),
// `npm run pof -- ...` runs dist/lib/cli.js and nothing else. Every node process the command starts is traced.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers/fixtures';

const ROOT = path.resolve(__dirname, '../..');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Runs `command args` in the checkout; returns its result and the script of every node process it started. */
function traced(command: string, args: string[]) {
  const dir = tempDir('node-trace');
  const log = path.join(dir, 'scripts.txt');
  const tracer = path.join(dir, 'trace.js');
  fs.writeFileSync(tracer, `require('fs').appendFileSync(${JSON.stringify(log)}, (process.argv[1] || '-e') + '\\n');\n`);
  const r = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: `--require ${tracer}`, npm_config_update_notifier: 'false' } });
  const scripts = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  return { ...r, scripts };
}

test('npm run pof -- ... runs the checkout\'s dist/lib/cli.js, and no install script', (t) => {
  t.is(PACKAGE.scripts.pof, 'node dist/lib/cli.js');
  const r = traced('npm', ['run', '-s', 'pof', '--', '--version']);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, `${PACKAGE.version}\n`);
  t.true(r.scripts.includes(path.join(ROOT, 'dist', 'lib', 'cli.js')), r.scripts.join('\n'));
  t.false(r.scripts.some((s) => /scripts[/\\](install|build-native|setup)\.js$/.test(s)), r.scripts.join('\n'));
  t.deepEqual(PACKAGE.scripts.prepof ?? PACKAGE.scripts.postpof, undefined, 'no pre/post hook runs with it');
});

test('the README\'s checkout commands use npm run pof, never npx pof', (t) => {
  const section = README.slice(README.indexOf('## Two commands'));
  const twoCommands = section.slice(section.indexOf('```sh'), section.indexOf('```', section.indexOf('```sh') + 5));
  t.is(twoCommands.trim().split('\n').length, 3, 'two commands');
  t.regex(twoCommands, /npm run setup && npm run pof -- reproduce toy --out runs\/toy/);
  t.notRegex(twoCommands, /npx pof/);
});

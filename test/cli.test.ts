// The `pof` command as a user runs it: help, one-line errors with exit codes, and the table reproductions end to end.
import test from 'ava';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { tempDir } from './helpers/fixtures';
import { pof } from './helpers/pof-cli';
import { fashionMnistDir, withFashionMnist } from './helpers/shared-data';

test('pof --help lists the commands; each command has --help with its flags', async (t) => {
  const top = await pof(['--help']);
  t.is(top.code, 0);
  for (const name of ['info', 'reproduce toy', 'reproduce table1', 'reproduce table2']) t.regex(top.stdout, new RegExp(`\\n  ${name} `));
  const table1 = await pof(['reproduce', 'table1', '--help']);
  t.is(table1.code, 0);
  t.regex(table1.stdout, /usage: pof reproduce table1 \[options\]/);
  t.regex(table1.stdout, /--dataset VALUE .*\(required\)/);
  t.regex(table1.stdout, /--scale VALUE .*\(default smoke\)/);
});

test('a mistake is one line on stderr and exit code 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /^pof: unknown command 'frobnicate'; expected one of: train, post-train, study, eval, analyze, info, reproduce/],
    [['reproduce', 'table9'], /^pof: pof reproduce 'table9' is unknown; expected one of: toy, table1, table2/],
    [['reproduce', 'table1', '--dataset', 'toy'], /^pof: reproduce table1 needs --out/],
    [['reproduce', 'table1', '--dataset', 'toy', '--out', 'x', '--bogus'], /^pof: reproduce table1: Unknown option '--bogus'/],
    [['reproduce', 'table1', '--dataset', 'imagenet', '--out', 'x'], /^pof: --dataset must be one of cifar10, cifar100, svhn, fashion-mnist, mnist, toy, got 'imagenet'/],
    [['reproduce', 'table1', '--dataset', 'cifar10', '--out', 'x'], /^pof: --dataset cifar10 needs --data-dir DIR/],
    [['reproduce', 'table1', '--dataset', 'toy', '--out', 'x', '--seeds', '0,a'], /^pof: --seeds must be comma-separated increasing integers >= 0, got '0,a'\n$/],
    [['reproduce', 'table2', '--dataset', 'toy', '--out', 'x', '--epochs', '0'], /^pof: --epochs must be an integer >= 1, got 0/],
  ];
  for (const [args, message] of cases) {
    const r = await pof(args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}`);
  }
});

test('a missing dataset directory is one line naming it, exit code 2', async (t) => {
  const r = await pof(['reproduce', 'table1', '--dataset', 'cifar10', '--data-dir', '/nonexistent/cifar', '--out', tempDir('pof-cli-')]);
  t.is(r.code, 2);
  t.regex(r.stderr, /^pof: .*\/nonexistent\/cifar/);
  t.is(r.stderr.trim().split('\n').length, 1);
});

test('reproduce table1 on the toy set writes the table in the paper\'s layout, and gathers datasets', async (t) => {
  const out = tempDir('pof-table1-');
  const r = await pof(['reproduce', 'table1', '--dataset', 'toy', '--base-epochs', '4', '--out', out]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /seed 0 SAM→PoF: postTrain epoch 1\/1/);
  const rows = JSON.parse(readFileSync(path.join(out, 'table1.json'), 'utf8'));
  t.is(rows.length, 1);
  t.deepEqual(rows[0].protocol.milestones, [1, 2, 3, 4]);
  t.is(rows[0].protocol.longEpochs, 5);
  const errors = Object.values(rows[0].perSeed[0]) as number[];
  t.is(errors.length, 6);
  for (const e of errors) t.true(e >= 0 && e < 60, `toy test error ${e} % is below chance`);
  const md = readFileSync(path.join(out, 'table1.md'), 'utf8');
  t.regex(md, /\| \| SGD 4 \| SGD 5 \| SAM 4 \| SAM 5 \| SAM→PoF 5 \| SAM→PoF 5 \|/);
  t.regex(md, /\| pof-torch \| \d+\.\d\d \(n = 1\) \|/);
  const csv = readFileSync(path.join(out, 'table1.csv'), 'utf8').trim().split('\n');
  t.is(csv.length, 7);
  t.is(csv[0], 'dataset,scale,model,column,epochs,mean,std,seeds,paper_mean,paper_std');
});

withFashionMnist('reproduce table1 --scale smoke on Fashion-MNIST runs end to end beside the paper\'s numbers', async (t) => {
  const out = tempDir('pof-table1-fmnist-');
  const r = await pof(['reproduce', 'table1', '--scale', 'smoke', '--dataset', 'fashion-mnist', '--data-dir', fashionMnistDir,
    '--train-size', '512', '--test-size', '512', '--model', 'wrn-10-1', '--base-epochs', '2', '--out', out]);
  t.is(r.code, 0, r.stderr);
  const md = readFileSync(path.join(out, 'table1.md'), 'utf8');
  t.regex(md, /## fashion-mnist \(smoke: wrn-10-1, 512 training \/ 512 test examples, seeds 0\)/);
  t.regex(md, /\| paper \(WRN-28-10, 200\/250 epochs\) \| 4\.60±0\.11 \| 4\.63±0\.14 \| 4\.14±0\.09 \| 4\.12±0\.05 \| 4\.25±0\.05 \| 4\.35±0\.07 \|/);
  const rows = JSON.parse(readFileSync(path.join(out, 'table1.json'), 'utf8'));
  for (const e of Object.values(rows[0].perSeed[0]) as number[]) t.true(e < 90, `test error ${e} % is below chance`);
});

test('reproduce table2 times the three methods and writes seconds and ratios', async (t) => {
  const out = tempDir('pof-table2-');
  const r = await pof(['reproduce', 'table2', '--dataset', 'toy', '--epochs', '1', '--out', out]);
  t.is(r.code, 0, r.stderr);
  const result = JSON.parse(readFileSync(path.join(out, 'table2.json'), 'utf8'));
  for (const m of ['sgd', 'sam', 'pof']) t.true(result.secondsPerEpoch[m] > 0);
  t.is(result.ratioToSgd.sgd, 1);
  t.true(Math.abs(result.ratioToSgd.pof - result.secondsPerEpoch.pof / result.secondsPerEpoch.sgd) < 1e-12);
  t.true(existsSync(path.join(out, 'table2.md')));
});

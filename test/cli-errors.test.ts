// Every command's mistakes: one line on stderr starting with "pof:", no stack trace, exit code 2; a failure
// while running (a full disk) is exit code 1. Cheap: the toy set, a 2-epoch model, and checks that refuse
// before any training starts.
import test from 'ava';
import { mkdirSync, symlinkSync, writeFileSync } from 'fs';
import * as path from 'path';
import { tempDir } from './helpers/fixtures';
import { pof } from './helpers/pof-cli';
import { fashionMnistDir, withFashionMnist } from './helpers/shared-data';

const root = tempDir('pof-cli-errors-');
const run = path.join(root, 'run');
const model = path.join(run, 'model.safetensors');
const checkpoint = path.join(run, 'checkpoint.safetensors');
const aFile = path.join(root, 'a-file');
const aDir = path.join(root, 'a-dir');
const garbage = path.join(root, 'garbage.safetensors');
const brokenPt = path.join(root, 'broken.pt');
const torchSave = path.resolve(__dirname, '../../test/fixtures/wrn_state_dict.pt');
const TOY = ['--dataset', 'toy', '--model', 'mlp-32-32'];
let fresh = 0;
/** A new --out each time, so that one case's output never changes another's outcome. */
const out = () => path.join(root, `out-${fresh++}`);

test.before(async () => {
  const r = await pof(['train', ...TOY, '--epochs', '2', '--batch-size', '64', '--checkpoint-every', '1', '--out', run]);
  if (r.code !== 0) throw new Error(`training the model for the error cases failed: ${r.stderr}`);
  writeFileSync(aFile, 'not a directory\n');
  mkdirSync(aDir);
  writeFileSync(garbage, 'not a safetensors file at all');
  writeFileSync(brokenPt, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60, 7)]));
});

type Case = [args: string[], message: RegExp];

async function assertMistakes(t: import('ava').ExecutionContext, cases: Case[]): Promise<void> {
  for (const [args, message] of cases) {
    const r = await pof(args, 60_000);
    const what = args.join(' ');
    t.is(r.code, 2, `${what}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, `one line for ${what}:\n${r.stderr}`);
    t.regex(lines[0], /^pof: /, what);
    t.regex(lines[0], message, what);
    t.notRegex(r.stderr, /\n\s+at /, `no stack trace for ${what}`);
  }
  t.log(`${cases.length} mistakes, each exit code 2 with one line`);
}

test('train: each mistake is one line and exit code 2', async (t) => {
  // None of these gets as far as training.
  const train = (...args: string[]) => ['train', ...TOY, ...args];
  await assertMistakes(t, [
    [train('--epochs', '0x2', '--out', out()), /^pof: --epochs must be an integer, got '0x2'$/],
    [train('--epochs', '1e0', '--out', out()), /--epochs must be an integer, got '1e0'/],
    [train('--epochs', '-3', '--out', out()), /^pof: --epochs must be an integer >= 0, got -3$/],
    [train('--lr', '-1', '--out', out()), /^pof: --lr must be a number >= 0, got -1$/],
    [train('--lr', '0x10', '--out', out()), /--lr must be a number, got '0x10'/],
    [train('--lr', 'Infinity', '--out', out()), /--lr must be a number, got 'Infinity'/],
    [train('--lr', '', '--out', out()), /--lr needs a value/],
    [train('--epochs', '2', '--epochs', '3', '--out', out()), /^pof: --epochs is given twice/],
    [train('--batch-size', '1.5', '--out', out()), /--batch-size must be an integer, got '1.5'/],
    [train('--batch-size', '99999999', '--out', out()), /^pof: --batch-size must be at most 16777216, got 99999999$/],
    [train('--checkpoint-every', '0', '--out', out()), /--checkpoint-every must be an integer >= 1, got 0/],
    [train('--seed', '1.5', '--out', out()), /--seed must be an integer, got '1.5'/],
    [train('--milestones', '1e1', '--out', out()), /--milestones must be comma-separated increasing integers >= 1, got '1e1'/],
    [train('--milestones', '1,,2', '--out', out()), /--milestones must be comma-separated increasing integers/],
    [train('--milestones', '5,3', '--out', out()), /--milestones must be comma-separated increasing integers/],
    [train('--lr-factor', '0', '--out', out()), /^pof: --lr-factor must be a number > 0, got 0$/],
    [train('--momentum', '1.5', '--out', out()), /^pof: --momentum must be a number >= 0 and <= 1, got 1\.5$/],
    [train('--method', 'adam', '--out', out()), /--method must be one of sgd, sam, got 'adam'/],
    [['train', '--dataset', 'toy', '--model', 'mlp-x', '--out', out()], /model 'mlp-x' is unknown/],
    [['train', '--dataset', 'toy', '--model', 'wrn-16-4', '--out', out()], /needs images \[N, C, H, W\]/],
    [train('--device', 'gpu', '--out', out()), /--device must be 'cpu', 'cuda' or 'cuda:N', got 'gpu'/],
    [train('--train-size', '10000000', '--out', out()), /--train-size 10000000 exceeds the \d+ examples of toy's training split/],
    [train('--train-size', '0', '--out', out()), /--train-size must be an integer >= 1, got 0/],
    [train('--data-dir', aDir, '--out', out()), /--data-dir does not apply to --dataset toy/],
    [['train', '--dataset', 'fashion-mnist', '--data-dir', '/nonexistent/fmnist', '--out', out()], /\/nonexistent\/fmnist/],
    [train('--out', '/proc/pof-run'), /--out \/proc\/pof-run: cannot create \/proc\/pof-run: \/proc does not take new directories/],
    [train('--out', aFile), /--out .*a-file: it is a file, not a directory/],
    [train('--out', path.join(aFile, 'run')), /--out .*a-file\/run: .*a-file is a file, not a directory/],
    [train('--out', ''), /--out needs a value/],
    [train('stray', '--out', out()), /Unexpected argument 'stray'/],
    [train('--out', run), /already holds a run \(config\.json\); choose another --out, or pass --force/],
    [train('--resume', '/nonexistent/checkpoint.safetensors', '--out', out()), /\/nonexistent\/checkpoint\.safetensors/],
    [train('--resume', aDir, '--out', out()), /a-dir/],
    [train('--resume', model, '--out', out()), /holds weights only/],
    [train('--resume', torchSave, '--out', out()), /torch\.save file/],
    [['train', ...TOY, '--epochs', '3', '--batch-size', '64', '--resume', checkpoint, '--out', run], /different options/],
    [['train', ...TOY, '--epochs', '2', '--batch-size', '64', '--seed', '7', '--resume', checkpoint, '--out', run],
      /--seed 7 differs from the seed of the run being resumed \(0, in .*config\.json\)/],
  ]);
});

test('post-train: each mistake is one line and exit code 2', async (t) => {
  const postTrain = (...args: string[]) => ['post-train', '--dataset', 'toy', '--epochs', '1', '--batch-size', '64', ...args];
  await assertMistakes(t, [
    [postTrain('--from', aDir, '--out', out()), /--from .*a-dir: cannot read .*a-dir: it is a directory, not a file \(EISDIR\)/],
    [postTrain('--from', '/nonexistent/model.safetensors', '--out', out()), /cannot read \/nonexistent\/model\.safetensors: it does not exist \(ENOENT\)/],
    [postTrain('--from', torchSave, '--out', out()), /is a torch\.save file: give its architecture with --model/],
    [postTrain('--from', model, '--model', 'mlp-64-64', '--out', out()), /--model mlp-64-64 differs from the model recorded in/],
    [postTrain('--from', model, '--gamma-mode', 'sometimes', '--out', out()), /--gamma-mode must be one of fixed, uniform, linear/],
    [postTrain('--from', model, '--gamma', '-1', '--out', out()), /^pof: --gamma must be a number >= 0, got -1$/],
    [postTrain('--from', model, '--gamma', '2147483648', '--out', out()), /^pof: --gamma must be at most 100 \(a cap against typos: the paper uses 2\), got 2147483648$/],
    [postTrain('--from', model, '--weak-batch-size', '0', '--out', out()), /--weak-batch-size must be an integer >= 1, got 0/],
    [postTrain('--from', model, '--feature-reuse', '--weak-batch-size', '32', '--out', out()), /--feature-reuse takes B from the previous B̃: --weak-batch-size must equal --batch-size \(64\)/],
    [postTrain('--from', model, '--resume', checkpoint, '--out', out()), /was written during fit, not postTrain/],
    [postTrain('--from', model, '--out', '/proc/pof-post'), /--out \/proc\/pof-post: cannot create/],
  ]);
});

withFashionMnist('a --from model for another dataset is one line naming the file, the data and what the model takes', async (t) => {
  const fashion = ['--dataset', 'fashion-mnist', '--data-dir', fashionMnistDir, '--train-size', '256', '--test-size', '256'];
  await assertMistakes(t, [
    [['post-train', ...fashion, '--epochs', '1', '--batch-size', '64', '--from', model, '--out', out()],
      /^pof: fashion-mnist is prepared otherwise than the --from model was trained on: inputs: values \[16\] recorded vs pixels \[1, 28, 28\] given; normalisation: as they are recorded vs \(x\/255 - mean \[0\.286\]\) \/ std \[0\.353\] given; give the data flags it was trained with, or --override-pipeline to use these$/],
    [['eval', ...fashion, '--from', model], /^pof: fashion-mnist is prepared otherwise than the --from model was trained on: inputs: values \[16\] recorded vs pixels \[1, 28, 28\] given/],
    // Overridden, the model itself says what it takes.
    [['eval', ...fashion, '--from', model, '--override-pipeline'], /^pof: the model in .*model\.safetensors: data 'fashion-mnist\/train\[256\]' has examples of shape \[1, 28, 28\] \(784 values\), but the model mlp \(inputDim 16, hidden \[32, 32\], 4 classes\) takes 16 values per example$/],
  ]);
});

test('eval: each mistake is one line and exit code 2', async (t) => {
  await assertMistakes(t, [
    [['eval', '--from', aDir, '--dataset', 'toy'], /--from .*a-dir: .*it is a directory, not a file/],
    [['eval', '--from', path.join(root, 'missing.safetensors'), '--dataset', 'toy'], /missing\.safetensors: it does not exist/],
    [['eval', '--from', model, '--dataset', 'toy', '--batch-size', '1.5'], /--batch-size must be an integer, got '1\.5'/],
    [['eval', '--from', model, '--dataset', 'toy', '--test-size', '10000000'], /--test-size 10000000 exceeds the \d+ examples of toy's test split/],
    [['eval', '--from', torchSave, '--dataset', 'toy', '--model', 'wrn-16-4'], /needs images \[N, C, H, W\]/],
    [['eval', '--from', model, '--dataset', 'toy', '--from-classifier', aDir, '--model', 'mlp-32-32'], /--from-classifier .*a-dir: .*directory/],
    [['eval', '--from', model], /eval needs --dataset/],
  ]);
});

test('analyze: each mistake is one line and exit code 2', async (t) => {
  const analyze = (...args: string[]) => ['analyze', '--from', model, '--dataset', 'toy', ...args];
  await assertMistakes(t, [
    [analyze('--analyses', 'hessian,bogus', '--out', out()), /--analyses: unknown 'bogus'; expected some of hessian/],
    [analyze('--analyses', 'xi,xi', '--out', out()), /--analyses names xi twice/],
    [analyze('--k', '0', '--out', out()), /--k must be an integer >= 1, got 0/],
    [analyze('--k', '3.5', '--out', out()), /--k must be an integer, got '3\.5'/],
    [analyze('--hessian-examples', '-5', '--out', out()), /^pof: --hessian-examples must be an integer >= 1, got -5$/],
    [analyze('--out', '/proc/pof-analysis'), /--out \/proc\/pof-analysis: cannot create/],
    [analyze('--out', aFile), /it is a file, not a directory/],
    [analyze('--device', 'tpu', '--out', out()), /--device must be/],
  ]);
});

test('info: each mistake is one line and exit code 2', async (t) => {
  await assertMistakes(t, [
    [['info', '--json'], /^pof: info: Unknown option '--json'/],
    [['info', 'devices'], /^pof: info: Unexpected argument 'devices'/],
  ]);
});

test('reproduce toy: each mistake is one line and exit code 2', async (t) => {
  await assertMistakes(t, [
    [['reproduce', 'toy', '--seed', '-1', '--out', out()], /^pof: --seed must be an integer >= 0, got -1$/],
    [['reproduce', 'toy', '--seed', '0x1', '--out', out()], /--seed must be an integer, got '0x1'/],
    [['reproduce', 'toy', '--out', '/proc/pof-toy'], /--out \/proc\/pof-toy: cannot create/],
    [['reproduce', 'toy', '--out', aFile], /it is a file, not a directory/],
  ]);
});

test('reproduce table1: each mistake is one line and exit code 2', async (t) => {
  const table1 = (...args: string[]) => ['reproduce', 'table1', '--dataset', 'toy', ...args];
  await assertMistakes(t, [
    [table1('--scale', 'huge', '--out', out()), /--scale must be one of smoke, full, got 'huge'/],
    [table1('--seeds', '0,,1', '--out', out()), /--seeds must be comma-separated increasing integers/],
    [table1('--seeds', '1,1', '--out', out()), /--seeds must be comma-separated increasing integers >= 0, got '1,1'/],
    [table1('--base-epochs', '0x4', '--out', out()), /--base-epochs must be an integer, got '0x4'/],
    [table1('--batch-size', '-1', '--out', out()), /^pof: --batch-size must be an integer >= 1, got -1$/],
    [table1('--train-size', '0', '--out', out()), /--train-size must be an integer >= 1, got 0/],
    [table1('--out', '/proc/pof-table1'), /--out \/proc\/pof-table1: cannot create/],
    [table1('--model', 'wrn-16-4', '--base-epochs', '1', '--out', out()), /needs images \[N, C, H, W\]/],
  ]);
});

test('reproduce table2: each mistake is one line and exit code 2', async (t) => {
  const table2 = (...args: string[]) => ['reproduce', 'table2', '--dataset', 'toy', ...args];
  await assertMistakes(t, [
    [table2('--epochs', '-1', '--out', out()), /^pof: --epochs must be an integer >= 1, got -1$/],
    [table2('--batch-size', '1e2', '--out', out()), /--batch-size must be an integer, got '1e2'/],
    [table2('--scale', 'big', '--out', out()), /--scale must be one of smoke, full/],
    [table2('--test-size', '100', '--out', out()), /--test-size does not apply to reproduce table2/],
    [table2('--out', path.join(aFile, 'table2')), /a-file is a file, not a directory/],
  ]);
});

test('reproduce fig5: each mistake is one line and exit code 2', async (t) => {
  const fig5 = (...args: string[]) => ['reproduce', 'fig5', '--dataset', 'toy', '--batches', '2', '--batch-size', '16', ...args];
  await assertMistakes(t, [
    [fig5('--sam', '/nonexistent/sam.safetensors', '--pof', model, '--out', out()), /--sam \/nonexistent\/sam\.safetensors: .*it does not exist/],
    [fig5('--sam', model, '--pof', aDir, '--out', out()), /--pof .*a-dir: .*it is a directory/],
    [['reproduce', 'fig5', '--dataset', 'toy', '--sam', model, '--pof', model, '--batches', '0', '--out', out()], /--batches must be an integer >= 1, got 0/],
    [fig5('--sam', model, '--pof', model, '--out', '/proc/pof-fig5'), /--out \/proc\/pof-fig5: cannot create/],
    [fig5('--sam', model, '--out', out()), /reproduce fig5 needs --pof/],
  ]);
});

test('reproduce fig6: each mistake is one line and exit code 2', async (t) => {
  const fig6 = (...args: string[]) => ['reproduce', 'fig6', '--dataset', 'toy', '--batches', '2', '--batch-size', '16', ...args];
  await assertMistakes(t, [
    [fig6('--sam', model, '--rho', '-0.1', '--out', out()), /^pof: --rho must be a number >= 0, got -0\.1$/],
    [fig6('--sam', aDir, '--out', out()), /--sam .*a-dir: .*it is a directory/],
    [fig6('--sam', model, '--lr', 'Infinity', '--out', out()), /--lr must be a number, got 'Infinity'/],
    [fig6('--sam', model, '--gamma', '', '--out', out()), /--gamma needs a value/],
    [fig6('--sam', model, '--seed', '1e3', '--out', out()), /--seed must be an integer, got '1e3'/],
  ]);
});

// These need the main session's mapping of native errors to typed PoFErrors (DeviceError, CheckpointError).
test('mistakes found by the addon or the checkpoint readers are exit code 2 too', async (t) => {
  await assertMistakes(t, [
    [['train', ...TOY, '--epochs', '1', '--device', 'cuda:99', '--out', out()], /cuda/],
    [['eval', '--from', model, '--dataset', 'toy', '--device', 'cuda:99'], /cuda/],
    [['eval', '--from', garbage, '--dataset', 'toy'], /garbage\.safetensors/],
    [['eval', '--from', brokenPt, '--dataset', 'toy', '--model', 'mlp-32-32'], /broken\.pt/],
  ]);
});

test('a final.json that cannot be written (a device in its place) is one line naming the file, after training', async (t) => {
  const dir = out();
  mkdirSync(dir);
  symlinkSync('/dev/full', path.join(dir, 'final.json')); // written atomically: a device is never replaced
  const r = await pof(['train', ...TOY, '--epochs', '1', '--batch-size', '64', '--out', dir]);
  t.is(r.code, 2, r.stderr); // a device where a file belongs is the caller's to fix
  const last = r.stderr.trim().split('\n').pop()!;
  t.is(last, `pof: cannot write ${path.join(dir, 'final.json')}: it is a character device, not a regular file (EFTYPE)`);
});

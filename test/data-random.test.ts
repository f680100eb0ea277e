import test from 'ava';
import { Random } from '../lib/data/random';

function draws(random: Random, n: number): number[] {
  return Array.from({ length: n }, () => random.uint32());
}

test('the same seed and stream give the same sequence; another seed or stream another one', (t) => {
  t.deepEqual(draws(new Random(7), 100), draws(new Random(7), 100));
  t.notDeepEqual(draws(new Random(7), 100), draws(new Random(8), 100));
  t.notDeepEqual(draws(new Random(7, 0), 100), draws(new Random(7, 1), 100));
  // Seeds that differ only above 32 bits are different seeds too.
  t.notDeepEqual(draws(new Random(5), 100), draws(new Random(5 + 2 ** 32), 100));
  // Pinned values: data generated today must be the data generated tomorrow, on any machine.
  t.deepEqual(draws(new Random(0), 4), [2216063727, 3807100750, 2460402542, 1149221442]);
});

test('uniform is in [0, 1) with mean 1/2; below(n) covers 0..n-1 evenly', (t) => {
  const random = new Random(1);
  const n = 200000;
  let sum = 0;
  let min = 1;
  let max = 0;
  for (let i = 0; i < n; i += 1) {
    const u = random.uniform();
    sum += u;
    min = Math.min(min, u);
    max = Math.max(max, u);
  }
  t.true(min >= 0 && max < 1);
  t.true(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i += 1) counts[random.below(7)] += 1;
  for (const c of counts) t.true(Math.abs(c - 10000) < 400, `counts ${counts}`);
});

test('normal has mean 0 and variance 1 and Gaussian tails', (t) => {
  const random = new Random(2);
  const n = 200000;
  let sum = 0;
  let squares = 0;
  let beyond2 = 0;
  for (let i = 0; i < n; i += 1) {
    const z = random.normal();
    t.true(Number.isFinite(z));
    sum += z;
    squares += z * z;
    if (Math.abs(z) > 2) beyond2 += 1;
  }
  t.true(Math.abs(sum / n) < 0.01, `mean ${sum / n}`);
  t.true(Math.abs(squares / n - 1) < 0.02, `variance ${squares / n}`);
  t.true(Math.abs(beyond2 / n - 0.0455) < 0.003, `P(|z| > 2) = ${beyond2 / n}`);
});

test('a seed that is not a safe integer is refused', (t) => {
  t.throws(() => new Random(0.5), { message: /seed and stream must be safe integers/ });
});

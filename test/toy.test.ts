import test from 'ava';
import { datasets } from '../lib';

test('the toy generator is seeded: same seed, same data; another seed, other data', (t) => {
  const a = datasets.toy({ seed: 3 }), b = datasets.toy({ seed: 3 }), c = datasets.toy({ seed: 4 });
  t.deepEqual(a.train.shape, [512, 16]);
  t.deepEqual(a.test.shape, [4096, 16]);
  t.deepEqual(Buffer.from(a.train.images.buffer), Buffer.from(b.train.images.buffer));
  t.deepEqual(Array.from(a.test.labels), Array.from(b.test.labels));
  t.notDeepEqual(Buffer.from(a.train.images.buffer), Buffer.from(c.train.images.buffer));
  const counts = [0, 0, 0, 0];
  a.test.labels.forEach((y) => { counts[y] += 1; });
  for (const n of counts) t.true(n > 800 && n < 1250, `class sizes ${counts}`);
});

test('toy options are validated by name', (t) => {
  t.throws(() => datasets.toy({ trainSize: 0 }), { message: /datasets.toy: trainSize must be >= 1, got 0/ });
  t.throws(() => datasets.toy({ labelNoise: 2 }), { message: /labelNoise must be <= 1, got 2/ });
  t.throws(() => datasets.toy({ classes: 3 } as never), { message: /unknown option 'classes'/ });
});

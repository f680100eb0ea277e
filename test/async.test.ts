import test from 'ava';
import { tensor } from '../lib';

test('the event loop keeps ticking while native work runs', async (t) => {
  const n = 1536;
  const a = tensor(new Float32Array(n * n).fill(0.5), [n, n]);
  let settled = false;
  let ticksWhilePending = 0;
  const timer = setInterval(() => { if (!settled) ticksWhilePending += 1; }, 1);
  const started = Date.now();
  // A chain of large products: if any ran on the main thread, the chain would finish before any tick.
  let x = a;
  for (let i = 0; i < 6; i += 1) x = await a.matmul(a);
  settled = true;
  clearInterval(timer);
  const elapsed = Date.now() - started;
  t.true(ticksWhilePending >= 5, `timers fired ${ticksWhilePending} times during ${elapsed} ms of native work`);
  t.is((x.toArray() as Float32Array)[0], 0.25 * n);
  t.log(`${ticksWhilePending} ticks during ${elapsed} ms of native work`);
});

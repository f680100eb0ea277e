// The short fuzz run of the suite: a few thousand mutated inputs per parser, plus the fixed cases
// (bombs, empty splits, huge and repeating tensors, long lists, duplicate names). Every input must
// parse or be refused with a PoFError, within the time limit and without a large allocation.
// The long run: node dist/test/fuzz/run.js --parser NAME --iterations N --seed S.
import test from 'ava';
import { caseHolds, formatSummary, runFuzz } from './fuzz/harness';
import { TARGET_NAMES } from './fuzz/targets';

const ITERATIONS = 2000;

for (const target of TARGET_NAMES) {
  test.serial(`fuzz ${target}: ${ITERATIONS} inputs parse or are refused with a PoFError, none hangs or allocates much`, async (t) => {
    const summary = await runFuzz({ target, iterations: ITERATIONS, seed: 12, inputTimeoutMs: 10_000 });
    t.log(formatSummary(summary));
    t.deepEqual(summary.failures, []);
    t.deepEqual(summary.hangs, []);
    t.is(summary.inputs, ITERATIONS);
    // Both verdicts occur: the seeds are valid inputs and the edits do break them.
    t.true(summary.ok > 0);
    t.true(Object.keys(summary.rejected).length > 0);
    t.true(summary.cases.length > 0);
    for (const c of summary.cases) t.true(caseHolds(c), `${c.label}: expected ${c.expected}, got ${c.outcome} ${c.errorClass ?? ''} ${c.message ?? ''}`);
  });
}

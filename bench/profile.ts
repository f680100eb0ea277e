// Op-by-op profile of PoF iterations from the native RecordFunction profiler: per-iteration self
// time of each op, and the inclusive time of PoF's phases (user scopes named pof::...).
import { native } from '../lib/addon';
import type { OpProfileRow } from '../lib/native';

export interface ProfileReport {
  iterations: number;
  msPerIteration: number;
  phases: { name: string; msPerIteration: number; share: number }[];
  ops: { name: string; calls: number; selfMsPerIteration: number; share: number }[];
}

export async function profileIterations(run: () => Promise<unknown>, iterations: number): Promise<ProfileReport> {
  native.startOpProfile();
  let profile: { wallMs: number; ops: OpProfileRow[] };
  try {
    await run();
  } finally {
    profile = native.stopOpProfile();
  }
  const wall = profile.wallMs / iterations;
  const phases = profile.ops.filter((o) => o.name.startsWith('pof::'))
    .map((o) => ({ name: o.name, msPerIteration: o.totalMs / iterations, share: o.totalMs / profile.wallMs }))
    .sort((a, b) => b.msPerIteration - a.msPerIteration);
  const ops = profile.ops.filter((o) => !o.name.startsWith('pof::'))
    .map((o) => ({ name: o.name, calls: o.calls / iterations, selfMsPerIteration: o.selfMs / iterations, share: o.selfMs / profile.wallMs }));
  return { iterations, msPerIteration: wall, phases, ops };
}

export function formatProfile(p: ProfileReport, top = 20): string {
  const lines = [`PoF iteration profile (mean of ${p.iterations}): ${p.msPerIteration.toFixed(1)} ms per iteration`,
    '  phase (inclusive)                      ms/iter   share'];
  for (const ph of p.phases) lines.push(`  ${ph.name.padEnd(36)} ${ph.msPerIteration.toFixed(1).padStart(9)} ${(100 * ph.share).toFixed(1).padStart(6)}%`);
  lines.push('  op (self time)                         calls/iter  ms/iter   share');
  for (const op of p.ops.slice(0, top)) {
    lines.push(`  ${op.name.padEnd(38)} ${op.calls.toFixed(0).padStart(6)} ${op.selfMsPerIteration.toFixed(1).padStart(9)} ` +
      `${(100 * op.share).toFixed(1).padStart(6)}%`);
  }
  const rest = p.ops.slice(top).reduce((a, o) => a + o.selfMsPerIteration, 0);
  const inOps = p.ops.reduce((a, o) => a + o.selfMsPerIteration, 0);
  lines.push(`  ${'(all other ops)'.padEnd(38)} ${''.padStart(6)} ${rest.toFixed(1).padStart(9)}`);
  lines.push(`  ${'(outside any op: glue, data, idle)'.padEnd(38)} ${''.padStart(6)} ${(p.msPerIteration - inOps).toFixed(1).padStart(9)}`);
  return lines.join('\n');
}

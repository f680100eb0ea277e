// Runs bench/pytorch_reference.py (PyTorch eager, same model, data shape, batch and threads) when a
// Python with torch is present; null with the reason otherwise.
import { spawnSync } from 'child_process';
import * as path from 'path';

export interface PytorchResult {
  torch: string;
  threads: number;
  imagesPerSecond: { sgd: number; sam: number };
  cudaPeakMemoryMB: number | null;
}

export function runPytorchReference(python: string, o: { device: string; model: string; batch: number; steps: number;
  warmup: number; rounds: number; threads: number }): { result: PytorchResult | null; why?: string } {
  const script = path.resolve(__dirname, '..', '..', 'bench', 'pytorch_reference.py');
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { result: null, why: `no ${python} with torch (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()})` };
  }
  const args = [script, '--device', o.device, '--model', o.model, '--batch', String(o.batch), '--steps', String(o.steps),
    '--warmup', String(o.warmup), '--rounds', String(o.rounds), '--threads', String(o.threads)];
  const run = spawnSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (run.error || run.status !== 0) return { result: null, why: `the reference failed (exit ${run.status}): ${run.error?.message ?? ''}` };
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return { result: JSON.parse(last) as PytorchResult };
}

// Data-parallel jobs: how a trainer becomes one rank of a job on PyTorch's c10d (Gloo on the CPU, NCCL on
// CUDA), from torchrun's environment ('env') or explicit options. The collectives themselves are native.
import { DeviceName, DEFAULTS } from './defaults';
import { OptionError } from './errors';
import { native } from './addon';
import { NativeProcessGroupOptions } from './native';
import { checkKeys, integer, oneOf } from './options';

/** Explicit membership of a job (every rank gives the same worldSize, masterAddr and masterPort). */
export interface DistributedOptions {
  rank: number;
  worldSize: number;
  /** Where rank 0 serves the job's TCPStore (default 127.0.0.1, port 29500). */
  masterAddr?: string;
  masterPort?: number;
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors); default: nccl on CUDA when built with it, else gloo. */
  backend?: 'gloo' | 'nccl';
  /** A rank that died or hangs makes every collective fail after this long (default 10 minutes). */
  timeoutMs?: number;
}

/** 'env': torchrun's (TorchElastic's) variables RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK. */
export type DistributedSetting = 'env' | DistributedOptions;

/** Where this process is in a job: what the trainer and the CLI need without asking the native side. */
export interface JobPlace {
  rank: number;
  worldSize: number;
  /** The process's rank on its machine (torchrun's LOCAL_RANK): its GPU under CUDA. */
  localRank: number;
}

const TORCHRUN_VARIABLES = ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'] as const;

/** Whether this process was started by torchrun (or another launcher setting its variables). */
export function launchedByTorchrun(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.RANK !== undefined && env.WORLD_SIZE !== undefined;
}

function envInteger(env: NodeJS.ProcessEnv, name: string, min: number): number {
  const raw = env[name];
  if (raw === undefined || !/^\d+$/.test(raw.trim()) || Number(raw) < min) {
    throw new OptionError(`distributed 'env': ${name} must be an integer >= ${min}, got ${raw === undefined ? 'nothing (it is not set)'
      : JSON.stringify(raw)}; 'env' reads the variables torchrun sets (${TORCHRUN_VARIABLES.join(', ')}): launch with ` +
      '`torchrun --nproc-per-node=N --no-python pof ...`, or give { rank, worldSize, masterAddr, masterPort }');
  }
  return Number(raw);
}

/**
 * The native options of a `distributed` setting on `device` (cuda: NCCL when this build has it). Checked here,
 * so that a mistake is an OptionError before any rank waits for the others.
 */
export function resolveDistributed(where: string, value: DistributedSetting, device: string,
  env: NodeJS.ProcessEnv = process.env): NativeProcessGroupOptions & { localRank: number } {
  const available = native.versions().distributed;
  if (!available.gloo) {
    throw new OptionError(`${where}: distributed training is not in this build of pof-torch (it needs the Gloo headers when it is ` +
      'built: apt-get install libgloo-dev, or GLOO_INCLUDE_DIR=DIR with DIR/gloo/config.h; then npm rebuild pof-torch). ' +
      '`pof info` shows what the build has.');
  }
  const cuda = device.startsWith('cuda');
  const defaultBackend = cuda && available.nccl ? 'nccl' : 'gloo';
  if (value === 'env') {
    const worldSize = envInteger(env, 'WORLD_SIZE', 1);
    const rank = envInteger(env, 'RANK', 0);
    if (rank >= worldSize) throw new OptionError(`${where}: distributed 'env': RANK ${rank} is not below WORLD_SIZE ${worldSize}`);
    const masterPort = envInteger(env, 'MASTER_PORT', 1);
    const masterAddr = env.MASTER_ADDR;
    if (!masterAddr) throw new OptionError(`${where}: distributed 'env': MASTER_ADDR is not set (torchrun sets it)`);
    return {
      rank, worldSize, masterAddr, masterPort, backend: defaultBackend, timeoutMs: DEFAULTS.distributedTimeoutMs,
      // torchrun's agent hosts the store: a rank 0 that served one too would fail with EADDRINUSE.
      agentStore: /^(1|true)$/i.test(env.TORCHELASTIC_USE_AGENT_STORE ?? ''),
      restartCount: env.TORCHELASTIC_RESTART_COUNT ? envInteger(env, 'TORCHELASTIC_RESTART_COUNT', 0) : 0,
      localRank: env.LOCAL_RANK !== undefined ? envInteger(env, 'LOCAL_RANK', 0) : rank,
    };
  }
  if (typeof value !== 'object' || value === null) {
    throw new OptionError(`${where}: distributed must be 'env' or { rank, worldSize, masterAddr?, masterPort?, backend?, timeoutMs? }, ` +
      `got ${JSON.stringify(value)}`);
  }
  const w = `${where}: distributed`;
  checkKeys(w, value, ['rank', 'worldSize', 'masterAddr', 'masterPort', 'backend', 'timeoutMs']);
  const worldSize = integer(w, 'worldSize', value.worldSize, 1);
  const rank = integer(w, 'rank', value.rank, 0);
  if (rank >= worldSize) throw new OptionError(`${w}: rank must be below worldSize (${worldSize}), got ${rank}`);
  const masterAddr = value.masterAddr ?? '127.0.0.1';
  if (typeof masterAddr !== 'string' || masterAddr === '') throw new OptionError(`${w}: masterAddr must be a host name or address`);
  const masterPort = integer(w, 'masterPort', value.masterPort ?? 29500, 1);
  if (masterPort > 65535) throw new OptionError(`${w}: masterPort must be at most 65535, got ${masterPort}`);
  const backend = oneOf(w, 'backend', value.backend ?? defaultBackend, ['gloo', 'nccl'] as const);
  if (backend === 'nccl' && !available.nccl) {
    throw new OptionError(`${w}: backend 'nccl' is not in this build (it needs a CUDA LibTorch with NCCL's header); use 'gloo'`);
  }
  if (backend === 'nccl' && !cuda) throw new OptionError(`${w}: backend 'nccl' needs a CUDA device; the trainer is on ${device}`);
  const timeoutMs = integer(w, 'timeoutMs', value.timeoutMs ?? DEFAULTS.distributedTimeoutMs, 1);
  return { rank, worldSize, masterAddr, masterPort, backend, timeoutMs, agentStore: false, restartCount: 0, localRank: rank };
}

/** 'cuda' in a job means this rank's GPU: cuda:LOCAL_RANK (one process per GPU, as torchrun starts them). */
export function rankDevice(device: DeviceName, place: JobPlace): DeviceName {
  return device === 'cuda' ? `cuda:${place.localRank}` as const : device;
}

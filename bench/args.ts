// Command-line options of `npm run bench`, validated with the library's option checks.
import type { DeviceName } from '../lib/defaults';
import { integer, oneOf, OptionError } from '../lib/options';

export interface BenchArgs {
  device: DeviceName;
  model: string;
  classifier: string;
  batch: number;
  steps: number;
  warmup: number;
  rounds: number;
  threads: number;
  json: string | null;
  pytorch: boolean;
  python: string;
  profile: boolean;
  profileSteps: number;
  channelsLast: boolean;
  cudnnBenchmark: boolean;
  autocast: 'none' | 'bf16';
}

export const USAGE = `npm run bench -- [options]
  --device cpu|cuda|cuda:N  (default cpu)
  --model wrn-D-W           (default wrn-16-4), or torchscript:FILE (its method 'features')
  --classifier PATH         with torchscript:FILE: the dotted path of its final Linear (default classifier;
                            python/pof_wide_resnet.py's WRN: classifiers.0)
  --batch N                 (default 64 on cpu, 256 on cuda)
  --steps N                 timed steps per method and round (default 4 on cpu, 50 on cuda)
  --warmup N                untimed steps per method first (default 1 on cpu, 10 on cuda)
  --rounds N                rounds over all methods; figures are medians (default 3)
  --threads N               intra-op threads, for both sides (default: LibTorch's)
  --json FILE               write the results as JSON
  --no-pytorch              skip the PyTorch eager reference
  --python EXE              Python with torch for the reference (default python3)
  --profile                 profile PoF iterations op by op (default on for cpu)
  --no-profile
  --profile-steps N         iterations the profile averages over (default 2)
  --channels-last           NHWC weights and batches
  --cudnn-benchmark         cuDNN algorithm search (cuda only)
  --autocast none|bf16      bf16 autocast (cuda only)`;

export function parseArgs(argv: string[]): BenchArgs {
  const where = 'bench';
  const raw = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new OptionError(`${where}: unexpected argument '${a}'\n${USAGE}`);
    const [key, inline] = a.slice(2).split('=', 2);
    const flag = ['no-pytorch', 'profile', 'no-profile', 'channels-last', 'cudnn-benchmark', 'help'].includes(key);
    if (flag) raw.set(key, true);
    else if (inline !== undefined) raw.set(key, inline);
    else if (i + 1 < argv.length) raw.set(key, argv[++i]);
    else throw new OptionError(`${where}: --${key} needs a value\n${USAGE}`);
  }
  const known = ['device', 'model', 'classifier', 'batch', 'steps', 'warmup', 'rounds', 'threads', 'json', 'no-pytorch', 'python',
    'profile', 'no-profile', 'profile-steps', 'channels-last', 'cudnn-benchmark', 'autocast', 'help'];
  for (const key of raw.keys()) {
    if (!known.includes(key)) throw new OptionError(`${where}: unknown option --${key}\n${USAGE}`);
  }
  if (raw.has('help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const str = (key: string, fallback: string) => {
    const v = raw.get(key);
    return typeof v === 'string' ? v : fallback;
  };
  const int = (key: string, fallback: number, min: number) => {
    const v = raw.get(key);
    return integer(where, `--${key}`, typeof v === 'string' ? Number(v) : fallback, min);
  };
  // The trainer checks it: a wrong name is its OptionError.
  const device = str('device', 'cpu') as DeviceName;
  const cuda = device.startsWith('cuda');
  return {
    device,
    model: str('model', 'wrn-16-4'),
    classifier: str('classifier', 'classifier'),
    batch: int('batch', cuda ? 256 : 64, 1),
    steps: int('steps', cuda ? 50 : 4, 1),
    warmup: int('warmup', cuda ? 10 : 1, 1),
    rounds: int('rounds', 3, 1),
    threads: int('threads', 0, 0),
    json: typeof raw.get('json') === 'string' ? (raw.get('json') as string) : null,
    pytorch: !raw.has('no-pytorch'),
    python: str('python', 'python3'),
    profile: raw.has('profile') || (!cuda && !raw.has('no-profile')),
    profileSteps: int('profile-steps', 2, 1),
    channelsLast: raw.has('channels-last'),
    cudnnBenchmark: raw.has('cudnn-benchmark'),
    autocast: oneOf(where, '--autocast', str('autocast', 'none'), ['none', 'bf16'] as const),
  };
}

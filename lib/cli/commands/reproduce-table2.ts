import { RULES } from '../../defaults';
import { parseModelName } from '../../models';
import { reproduceTable2 } from '../../reproduce/table2';
import { choiceFlag, Command, numberFlag, optionalNumberFlag, stringFlag, UsageError } from '../args';
import { DATASET_FLAGS, loadDatasetFlags } from '../dataset-flags';
import { deviceFlag, DEVICE_FLAG, REPRODUCE_TABLE_FLAGS } from '../common-flags';
import { epochLog } from '../epoch-log';
import { prepareOutputDir } from '../output-dir';

export const reproduceTable2Command: Command = {
  name: 'reproduce table2',
  brief: 'Table 2: seconds per epoch of SGD, SAM, PoF and their ratios',
  summary: 'Table 2: seconds per epoch of SGD, SAM and PoF on the same model, data and batch size, and their ratios to SGD, ' +
    'beside the paper\'s. --scale full: WRN-28-10, batch 256, the whole training split; smoke: WRN-10-2, batch 128, ' +
    '5000 training examples unless --train-size says otherwise.',
  flags: {
    ...DATASET_FLAGS,
    ...REPRODUCE_TABLE_FLAGS,
    epochs: { type: 'string', help: 'timed epochs per method, after one warm-up epoch', default: '2' },
    ...DEVICE_FLAG,
  },
  async run(flags) {
    const scale = choiceFlag(flags, 'scale', 'smoke', ['smoke', 'full'] as const);
    if (flags['test-size'] !== undefined) throw new UsageError('--test-size does not apply to reproduce table2: it times training only');
    const out = stringFlag(flags, 'out')!;
    const batchSize = optionalNumberFlag(flags, 'batch-size', RULES.batchSize);
    const epochs = numberFlag(flags, 'epochs', 2, { integer: true, min: 1 });
    const device = deviceFlag(flags);
    prepareOutputDir(out);
    // A smoke run defaults to a subset, so that it takes minutes on a CPU.
    const data = await loadDatasetFlags(flags, 0, scale === 'smoke' ? { train: 5000 } : {});
    const model = stringFlag(flags, 'model');
    if (model !== undefined) parseModelName(model, data.train); // a mistake in it fails before anything is logged
    const r = await reproduceTable2({
      dataset: data.dataset, train: data.train, scale, out, device, model, batchSize, epochs,
      callbacks: (label) => epochLog(label), log: (line) => console.error(line),
    });
    console.log(`SAM/SGD ${r.ratioToSgd.sam.toFixed(2)}, PoF/SGD ${r.ratioToSgd.pof.toFixed(2)} (paper: 1.51, 1.17); wrote ${out}/table2.md and table2.json`);
  },
};

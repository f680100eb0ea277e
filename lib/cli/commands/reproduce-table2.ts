import { choiceFlag, Command, numberFlag, optionalNumberFlag, stringFlag } from '../args';
import { DATASET_FLAGS, loadDatasetFlags } from '../dataset-flags';
import { deviceFlag, DEVICE_FLAG, REPRODUCE_TABLE_FLAGS } from '../common-flags';
import { epochLog } from '../epoch-log';

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
    // A smoke run defaults to a subset, so that it takes minutes on a CPU.
    const data = await loadDatasetFlags(flags, 0, scale === 'smoke' ? { train: 5000 } : {});
    const { reproduceTable2 } = await import('../../reproduce/table2');
    const out = stringFlag(flags, 'out')!;
    const r = await reproduceTable2({
      dataset: data.dataset, train: data.train, scale, out, device: deviceFlag(flags), model: stringFlag(flags, 'model'),
      batchSize: optionalNumberFlag(flags, 'batch-size', { integer: true, min: 1 }),
      epochs: numberFlag(flags, 'epochs', 2, { integer: true, min: 1 }),
      callbacks: (label) => epochLog(label), log: (line) => console.error(line),
    });
    console.log(`SAM/SGD ${r.ratioToSgd.sam.toFixed(2)}, PoF/SGD ${r.ratioToSgd.pof.toFixed(2)} (paper: 1.51, 1.17); wrote ${out}/table2.md and table2.json`);
  },
};

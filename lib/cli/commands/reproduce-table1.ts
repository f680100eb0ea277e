import { RULES } from '../../defaults';
import { parseModelName } from '../../models';
import { reproduceTable1 } from '../../reproduce/table1';
import { choiceFlag, Command, increasingIntegersFlag, optionalNumberFlag, stringFlag } from '../args';
import { DATASET_FLAGS, loadDatasetFlags } from '../dataset-flags';
import { deviceFlag, DEVICE_FLAG, REPRODUCE_TABLE_FLAGS } from '../common-flags';
import { epochLog } from '../epoch-log';
import { prepareOutputDir } from '../output-dir';

export const reproduceTable1Command: Command = {
  name: 'reproduce table1',
  brief: 'Table 1: test error of SGD, SAM, SAM→PoF beside the paper\'s',
  summary: 'Table 1: test error of SGD, SAM and SAM→PoF on one dataset, beside the paper\'s numbers. --scale full is the ' +
    'paper\'s protocol (WRN-28-10, 200/250 epochs, PoF +10/+50, seeds 0,1,2: days on one GPU); --scale smoke a small ' +
    'WRN-10-2 for 8/10 epochs on 5000 training and 2000 test examples unless --train-size / --test-size say otherwise (minutes on a CPU). Run it once per dataset with the same --out: ' +
    'OUT/table1.md, table1.csv and table1.json gather every dataset.',
  flags: {
    ...DATASET_FLAGS,
    ...REPRODUCE_TABLE_FLAGS,
    'base-epochs': { type: 'string', help: 'override the first budget (the paper\'s 200); the rest scales with it' },
    seeds: { type: 'string', help: 'comma-separated seeds, e.g. 0,1,2' },
    ...DEVICE_FLAG,
  },
  async run(flags) {
    const scale = choiceFlag(flags, 'scale', 'smoke', ['smoke', 'full'] as const);
    const out = stringFlag(flags, 'out')!;
    const baseEpochs = optionalNumberFlag(flags, 'base-epochs', { integer: true, min: 1 });
    const batchSize = optionalNumberFlag(flags, 'batch-size', RULES.batchSize);
    const seeds = flags.seeds === undefined ? undefined : increasingIntegersFlag(flags, 'seeds', []);
    const device = deviceFlag(flags);
    prepareOutputDir(out);
    // A smoke run defaults to a subset, so that it takes minutes on a CPU.
    const data = await loadDatasetFlags(flags, 0, scale === 'smoke' ? { train: 5000, test: 2000 } : {});
    const model = stringFlag(flags, 'model');
    if (model !== undefined) parseModelName(model, data.train); // a mistake in it fails before the protocol is logged
    const row = await reproduceTable1({
      dataset: data.dataset, data, scale, out, device,
      protocol: { model, baseEpochs, batchSize, seeds },
      callbacks: (label) => epochLog(label), log: (line) => console.error(line),
    });
    console.log(`wrote ${out}/table1.md, table1.csv and table1.json (${row.perSeed.length} seed(s) of ${data.dataset})`);
  },
};

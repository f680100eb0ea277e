import { info } from '../../device';
import { Command } from '../args';

export const infoCommand: Command = {
  name: 'info',
  brief: 'LibTorch version, CUDA, devices and the addon\'s build, as JSON',
  summary: 'Prints the LibTorch version, CUDA availability, the devices, and the addon file with what it was built against, as JSON.',
  flags: {},
  async run() {
    console.log(JSON.stringify(info(), null, 2));
  },
};

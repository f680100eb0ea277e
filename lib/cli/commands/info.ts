import type { Command } from '../args';

export const infoCommand: Command = {
  name: 'info',
  brief: 'LibTorch version, CUDA and devices, as JSON',
  summary: 'Prints the LibTorch version, CUDA availability and the devices as JSON.',
  flags: {},
  async run() {
    const { info } = await import('../../device');
    console.log(JSON.stringify(info(), null, 2));
  },
};

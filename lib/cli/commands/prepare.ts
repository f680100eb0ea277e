import { ImageFolderProgress } from '../../data/image-folder';
import { prepare } from '../../data/prepare';
import { choiceFlag, Command, stringFlag } from '../args';
import { imageSizeFlag } from '../data-flags';
import { progress } from '../progress';

// Off a terminal, a progress line at most this often (ms), so that logs stay short.
const PLAIN_LINE_EVERY = 5000;

export const prepareCommand: Command = {
  name: 'prepare',
  brief: 'decode an image folder once into a prepared store (inputs.npy, labels.npy, manifest.json)',
  summary: 'Decodes the images of <source>, one subfolder per class (torchvision\'s ImageFolder), into the prepared store ' +
    '<out>: inputs.npy (uint8 [N, C, H, W]), labels.npy (int64 [N]) and manifest.json (classes, files, per-channel mean and ' +
    'std). Each image is turned upright (EXIF), its shorter side resized to the size and its centre cropped. The store is ' +
    'written as <out>.partial and renamed when complete; an interrupted run continues when the same command is run again. ' +
    'Needs the optional dependency sharp (npm install sharp).',
  positional: [{ name: 'source', help: 'the image folder' }, { name: 'out', help: 'the store\'s directory (must not exist, unless --overwrite)' }],
  flags: {
    'image-size': { type: 'string', help: 'the images\' size: S (square) or HxW', required: true },
    channels: { type: 'string', help: '3 (RGB) or 1 (greyscale)', default: '3' },
    'skip-bad-images': { type: 'boolean', help: 'leave out (and list in the manifest) images that cannot be read or decoded, instead of failing' },
    overwrite: { type: 'boolean', help: 'replace an existing <out>, and start over a partial one made with other options' },
  },
  async run(flags) {
    let bar: ReturnType<typeof progress> | undefined;
    let lastLine = 0;
    const onProgress = (p: ImageFolderProgress) => {
      bar ??= progress('prepare', p.total);
      const text = `images, ${p.skipped} skipped, ${Math.round(p.imagesPerSecond)} images/s`;
      bar.update(p.done, text);
      if (!process.stderr.isTTY && (Date.now() - lastLine >= PLAIN_LINE_EVERY || p.done === p.total)) {
        lastLine = Date.now();
        process.stderr.write(`prepare: ${p.done} of ${p.total} ${text}\n`);
      }
    };
    try {
      const m = await prepare({
        source: stringFlag(flags, 'source')!,
        out: stringFlag(flags, 'out')!,
        imageSize: imageSizeFlag(flags),
        channels: Number(choiceFlag(flags, 'channels', '3', ['1', '3'])) as 1 | 3,
        onBadImage: flags['skip-bad-images'] === true ? 'skip' : 'error',
        overwrite: flags.overwrite === true,
        onProgress,
      });
      bar?.finish();
      bar = undefined;
      for (const s of m.skipped) process.stderr.write(`prepare: skipped ${s.file}: ${s.reason}\n`);
      const { files: _files, skipped, ...summary } = m;
      console.log(JSON.stringify({ out: stringFlag(flags, 'out'), ...summary, skipped: skipped.length }));
    } finally {
      bar?.finish();
    }
  },
};

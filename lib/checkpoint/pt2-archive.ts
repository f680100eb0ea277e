// Telling a torch.export archive (.pt2) by its entry names, so that a .pt2 given where a TorchScript module,
// a pof-torch checkpoint or a torch.save file is expected is refused in words saying what it is and which
// option takes it (LibTorch's TorchScript loader calls it corrupt). Only the central directory is read.
import { CheckpointError, FileError } from '../errors';
import { readTailSync } from '../file-access';
import { ZipArchive } from './zip';

/** What a torch.export archive holds. */
export interface Pt2Archive {
  /** Its programs by name (<top>/models/<name>.json); 'model' is the one torch.export.load returns. */
  programs: string[];
  /** Whether it has the two programs pof-torch trains: 'model' (the eval graph) and 'train' (the train graph). */
  trainable: boolean;
}

// A file's end read for its central directory: about 10,000 entries, far more than any network's .pt2 has.
const TAIL_BYTES = 1 << 20;
const PROGRAM = /^[^/]+\/models\/([^/]+)\.json$/;
const FORMAT = /^[^/]+\/archive_format$/;

/** The torch.export archive `zip` is, or undefined when it is another kind of ZIP. */
export function pt2ArchiveOf(zip: ZipArchive): Pt2Archive | undefined {
  const names = zip.names();
  const programs = names.flatMap((name) => PROGRAM.exec(name)?.[1] ?? []);
  const format = names.find((name) => FORMAT.test(name));
  if (programs.length === 0 && !(format !== undefined && saysPt2(zip, format))) return undefined;
  return { programs, trainable: programs.includes('model') && programs.includes('train') };
}

/** Whether the archive_format entry reads "pt2" (an unreadable one is no evidence). */
function saysPt2(zip: ZipArchive, name: string): boolean {
  try {
    return Buffer.from(zip.readStored(name, 16, 'an archive format')).toString('utf8').trim() === 'pt2';
  } catch (error) {
    if (error instanceof CheckpointError) return false;
    throw error;
  }
}

/**
 * The torch.export archive in `bytes` (the file's bytes from offset `start` to its end), or undefined when they
 * are not a ZIP whose directory can be read: the caller's own reader then says what is wrong.
 */
export function pt2ArchiveIn(bytes: Uint8Array, file: string, start = 0): Pt2Archive | undefined {
  let zip: ZipArchive;
  try {
    zip = new ZipArchive(bytes, file, start);
  } catch (error) {
    if (error instanceof CheckpointError) return undefined;
    throw error;
  }
  return pt2ArchiveOf(zip);
}

/**
 * The torch.export archive `file` is, reading only its last megabyte (a large .pt2's weights are never read),
 * synchronously; undefined when it is not one or cannot be read (the door's own reader names the cause).
 */
export function pt2ArchiveFile(file: string): Pt2Archive | undefined {
  let tail: { bytes: Buffer; start: number };
  try {
    tail = readTailSync(file, TAIL_BYTES);
  } catch (error) {
    if (error instanceof FileError) return undefined;
    throw error;
  }
  return pt2ArchiveIn(tail.bytes, file, tail.start);
}

/**
 * Why a .pt2 is refused where `expected` is taken ('a TorchScript module'), and which option takes it: the same
 * words at every door, plus how to make an archive pof-torch can train when this one lacks the 'train' program.
 */
export function pt2Refusal(file: string, expected: string, archive: Pt2Archive): string {
  const programs = archive.programs.length === 0 ? 'none' : archive.programs.map((p) => `'${p}'`).join(', ');
  const trainable = archive.trainable ? ''
    : `; pof-torch trains archives with two programs, 'model' (eval) and 'train' (this one has ${programs}): ` +
      'export yours with python/export_program.py';
  return `${file} is a torch.export program (.pt2): a network with its weights, not ${expected}; ` +
    `build the trainer with models.exported({ file, classifier }), which takes the archive's weights ` +
    `(CLI: --model export:${file} --classifier PATH)${trainable}`;
}

// The native copy of each split a trainer uses: made once per ImageSet (after checking that it fits the
// model) and freed with the trainer. Arrays in memory go to the device; a stored split's file is opened
// and read a batch at a time.
import { checkDataFitsModel, checkImageSet } from '../data-fit';
import type { ImageSet } from '../data/types';
import { nativeCrops } from '../data/resized-crop';
import { native } from '../addon';
import type { NativeDataset, NativeModel } from '../native';

export class ResidentData {
  private readonly copies = new WeakMap<ImageSet, NativeDataset>();
  /** Every copy, so that dispose() can free them (weakly: a dropped ImageSet's copy may go). */
  private readonly all: WeakRef<NativeDataset>[] = [];

  constructor(private readonly model: NativeModel, private readonly device: string) {}

  /** The resident copy of a split (`role` names it in errors). */
  of(where: string, data: ImageSet, role: string): NativeDataset {
    const { kind } = checkImageSet(where, data, role);
    let ds = this.copies.get(data);
    if (!ds) {
      checkDataFitsModel(where, data, this.model, role);
      const aug = data.augmentation;
      ds = new native.Dataset({
        kind, inputs: data.images, shape: data.shape, labels: data.labels, numClasses: data.numClasses,
        mean: data.normalization?.mean ?? [0], std: data.normalization?.std ?? [1],
        cropPadding: aug?.cropPadding ?? 0, flip: aug?.flip ?? false, cutout: aug?.cutout ?? 0, ...nativeCrops(data), device: this.device,
      });
      this.copies.set(data, ds);
      this.all.push(new WeakRef(ds));
    }
    return ds;
  }

  dispose(): void {
    for (const ref of this.all) ref.deref()?.dispose();
    this.all.length = 0;
  }
}

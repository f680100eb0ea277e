// Our logits against another implementation's: the trainer's classifier applied to its own features.
import type { ImageSet, PoFTrainer } from '../../lib';
import { range } from './synthetic';

/**
 * The largest |ours - theirs| over the first n examples of `set`, `theirs` flat [n, classes]: ours are the
 * classifier applied to the trainer's features in float64 (PyTorch's float32 logits differ by rounding only).
 */
export async function largestLogitGap(trainer: PoFTrainer, set: ImageSet, n: number, theirs: ArrayLike<number>): Promise<number> {
  const state = await trainer.stateDict();
  const [weight, bias] = trainer.model.parameterGroups.classifier;
  const w = state[weight].data, b = bias === undefined ? undefined : state[bias].data;
  const features = await trainer.features(set, range(n));
  const [C, D] = [trainer.model.numClasses, trainer.model.featureDim];
  let worst = 0;
  for (let i = 0; i < n; i += 1) {
    for (let c = 0; c < C; c += 1) {
      let z = b ? Number(b[c]) : 0;
      for (let d = 0; d < D; d += 1) z += Number(w[c * D + d]) * features[i * D + d];
      worst = Math.max(worst, Math.abs(z - theirs[i * C + c]));
    }
  }
  return worst;
}

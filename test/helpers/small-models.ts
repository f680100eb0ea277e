// Small models shared by the trainer tests.
import { models } from '../../lib';

/** An MLP with one hidden layer of 8: fast enough for tests that check errors, callbacks and locking. */
export const smallMlp = (inputDim = 6, numClasses = 3) => models.mlp({ inputDim, hidden: [8], numClasses });

/** An MLP with two hidden layers of 16: the feature-reuse and performance tests. */
export const twoLayerMlp = () => models.mlp({ inputDim: 6, hidden: [16, 16], numClasses: 3 });

// The real datasets in ../shared, when the checkout has them; tests on them are skipped (and say so) otherwise.
import test from 'ava';
import { existsSync } from 'fs';
import * as path from 'path';

export const fashionMnistDir = path.resolve(__dirname, '../../../../shared/datasets/fashion-mnist');

/** `test` when Fashion-MNIST is present, `test.skip` otherwise (ava reports the skip). */
export const withFashionMnist = existsSync(fashionMnistDir) ? test : test.skip;

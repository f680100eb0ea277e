// The dataset readers and generators, for `datasets` in the public API.
export { cifar10, cifar100 } from './cifar';
export type { Cifar100Options } from './cifar';
export { svhn } from './svhn';
export type { SvhnOptions } from './svhn';
export { fashionMnist, mnist } from './mnist';
export { toy } from './toy';
export type { ToyOptions } from './toy';
export { DatasetError } from './dataset-files';

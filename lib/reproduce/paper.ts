// The paper's reported numbers (Sato et al., ICML 2022), printed beside ours.

export const TABLE1_COLUMNS = ['SGD 200', 'SGD 250', 'SAM 200', 'SAM 250', 'SAM→PoF 210', 'SAM→PoF 250'] as const;
export type Table1Column = (typeof TABLE1_COLUMNS)[number];

/** Test error %, mean ± std over three seeds, WRN-28-10. */
export const PAPER_TABLE1: Record<string, Record<Table1Column, [number, number]>> = {
  cifar10: { 'SGD 200': [3.22, 0.14], 'SGD 250': [3.14, 0.13], 'SAM 200': [2.5, 0.07], 'SAM 250': [2.53, 0.08], 'SAM→PoF 210': [2.41, 0.02], 'SAM→PoF 250': [2.41, 0.06] },
  cifar100: { 'SGD 200': [18.23, 0.35], 'SGD 250': [18.4, 0.35], 'SAM 200': [16.27, 0.09], 'SAM 250': [16.32, 0.2], 'SAM→PoF 210': [16.07, 0.15], 'SAM→PoF 250': [16.6, 0.05] },
  svhn: { 'SGD 200': [1.67, 0.03], 'SGD 250': [1.67, 0.03], 'SAM 200': [1.64, 0.04], 'SAM 250': [1.63, 0.03], 'SAM→PoF 210': [1.6, 0.04], 'SAM→PoF 250': [1.55, 0.02] },
  'fashion-mnist': { 'SGD 200': [4.6, 0.11], 'SGD 250': [4.63, 0.14], 'SAM 200': [4.14, 0.09], 'SAM 250': [4.12, 0.05], 'SAM→PoF 210': [4.25, 0.05], 'SAM→PoF 250': [4.35, 0.07] },
};

/** Seconds per epoch, WRN-28-10 on CIFAR-10, 16 A100s data parallel. */
export const PAPER_TABLE2 = { sgd: 21.8, sam: 32.9, pof: 25.6 } as const;

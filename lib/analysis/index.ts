// The paper's analyses: Hessian machinery (gradients, Hessian-vector products, top-k eigenpairs of any
// parameter subset), the figures' measurements, and PoF's line search.
export { lineSearch } from './line-search';
export type { LineSearchInput, LineSearchResult } from './line-search';
export type { ParameterSubset } from './target';
export { parameterLayout, lossAndGradient, hessianVectorProduct, hessianTopK } from './hessian';
export type { SubsetOptions, ParameterLayout, TopKOptions, HessianEigenpairs } from './hessian';
export { lossAlongDirection, lossAlongTopEigenvectors } from './loss-along';
export type { LossAlongTopEigenvectorsOptions } from './loss-along';
export { deltaLPerLayer, weightLayers } from './delta-l';
export type { DeltaLOptions, DeltaLResult } from './delta-l';
export { curvatureAlongGradient, curvatureHistogram } from './curvature';
export type { CurvatureOptions } from './curvature';
export { eigenvectorCorrelationCounts } from './eigenvector-correlation';
export type { CorrelationOptions } from './eigenvector-correlation';
export { xiStarDistribution, xiStarHistogram } from './xi-star';
export type { XiStarOptions } from './xi-star';
export { perturbationSizes, perturbationHistogram } from './perturbation-sizes';
export type { PerturbationOptions } from './perturbation-sizes';
export type { MiniBatchOptions } from './mini-batches';
export { toyAnalyses } from './toy-analyses';
export type { ToyAnalyses, ToyAnalysesOptions } from './toy-analyses';

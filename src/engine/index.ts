// The lrlab engine: tensors, ops, autograd, memory scopes and seeded RNG over libtorch.
export { Tensor, type Scalar, type TensorOrScalar } from './tensor.js';
export type { DType, Device, TypedArray } from './dtype.js';
export { tidy, keep, dispose, scopeDepth } from './scope.js';
export { Generator, deriveSeed } from './random.js';
export {
  zeros, ones, full, eye, arange, tensor, randn, rand, randint, randperm, bernoulli, normal_, uniform_,
  type TensorOptions,
} from './creation.js';
export {
  cat, stack, where, outer, linear, conv2d, batchNorm, maxPool2d, avgPool2d, adaptiveAvgPool2d, logSoftmax, softmax,
  crossEntropy, logisticLoss, dropout, type Conv2dOptions, type BatchNormOptions, type Reduction,
} from './functional.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd.js';
export {
  loadEngine, setNumThreads, getNumThreads, cudaAvailable, checkDevice, buildConfig, parallelInfo, threadsFor, useThreadsFor, threadChoice,
  kernelChoice, lrlabEnvironment, loadedBlas, runtimeRecord, runtimeDifferences, type OpSize, type ThreadChoice, type RuntimeRecord,
} from './runtime.js';
export { KERNELS_ENV, describeKernels, type KernelChoice } from './kernels.js';
export { chiSquared } from './chiSquared.js';
export { bmm, mmEach, mmEachKernel, reluGradMmEach, mvEach, mvEachKernel, addEach_, normalEach_, addNormalEach_, normalKernel, thresholdBackward, softplusBackward } from './batched.js';

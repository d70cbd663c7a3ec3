// The wasmgrad core: every export the TypeScript layer binds.
// Pointers are byte offsets into this module's linear memory; sizes are elements
// unless a name says bytes.

export {
  arenaAlloc, arenaFree, arenaLive, arenaPeak, arenaResetPeak, arenaSetLogging, arenaHeapBytes, arenaCategoryCount,
} from "./arena";
export {
  gemm, gemmScratchBytes, gemmReserve, gemmRelease, gemmScratchReserved, gemmUseWideTile, macCount, macReset,
} from "./kernels/gemm";

/** Which instruction set this build was compiled for: 0 scalar, 1 SIMD, 2 relaxed SIMD. */
export function buildKind(): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) return 2;
  if (ASC_FEATURE_SIMD) return 1;
  return 0;
}
export { peakProbe } from "./kernels/peak";
export { activationForward, activationBackward } from "./kernels/activations";
export { addBias, biasGrad } from "./kernels/linear";
export { crossEntropyForward, crossEntropyBackward, mseForward, mseBackward } from "./kernels/loss";
export { firstNonFinite, maxAbs } from "./kernels/check";
export { sgdStep } from "./optim/sgd";
export { adamStep } from "./optim/adam";
export { gatherPixels, gatherLabels } from "./kernels/data";
export { histogram } from "./kernels/histogram";
export { gemmBatched } from "./kernels/gemm-batched";
export { causalSoftmaxForward } from "./kernels/softmax";
export { causalSoftmaxBackward } from "./kernels/softmax";
export { flashAttentionForward } from "./kernels/attention";
export { flashAttentionBackward } from "./kernels/attention";
export { embeddingForward, embeddingBackward, firstBadTokenId } from "./kernels/embedding";
export { normForward, normBackward } from "./kernels/norm";
export { elementwiseAdd } from "./kernels/elementwise";
export { swigluForward, swigluBackward } from "./kernels/swiglu";
export { dropoutForward, dropoutBackward } from "./kernels/dropout";
export { threadControl, threadsConfigure, threadsActive, threadsInitWorker, threadClaim, threadRun, threadFinish, threadsParallelCalls } from "./threads";
export { flashAttentionDropoutForward } from "./kernels/attention";
export { flashAttentionDropoutBackward } from "./kernels/attention";
export { kvCacheStore, cachedAttention } from "./kernels/kv-cache";

// wasmgrad: WebAssembly SIMD kernels for machine learning in JavaScript.

export { init, pickBuild, Runtime, type InitOptions, type BuildName } from './runtime.js';
export { detectFeatures, type EngineFeatures } from './features.js';
export { Tensor } from './tensor.js';
export { gemm, matmul, type GemmOptions, type Matrix } from './gemm.js';
export { Arena, WASM32_MAX_BYTES, type ArenaEvent, type Phase } from './arena.js';
export { ShapeError, ArgumentError, OutOfMemoryError, NonFiniteError } from './errors.js';
export { CATEGORIES, type Category, type CategoryBytes } from './estimate/categories.js';
export { Sequential, validateLayers, layerName, type SequentialOptions, type LossKind, type NamedParameter, type ParameterValue, type ParameterValues, type StepResult, type Target } from './nn/sequential.js';
export { Linear, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, SiLU, activation, mlp, describeLayers, ACTIVATION_KINDS, LAYER_MODULES, type ActivationKind, type LayerSpec, type LinearSpec, type ActivationSpec, type LayerModule } from './nn/layers.js';
export { trainingStepPlan, inferencePlan, type PlanOp, type StepPlanConfig } from './plan/step-plan.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export type { Optimizer, ParameterBlock } from './optim/optimizer.js';
export { profileMlp, type MlpProfile, type MlpProfileOptions, type MeasuredMemory } from './profile/profile-mlp.js';
export type { MlpOptimizer, MemorySummary } from './estimate/mlp.js';
export { renderMemorySvg, type MemorySvgOptions } from './report/memory-svg.js';
export type { MemoryEvent, MemoryTimeline } from './report/types.js';
export { readSafetensors, writeSafetensors, safetensorsChunks, MAX_HEADER_BYTES, type SafetensorsTensor, type SafetensorsContents, type ReadTensor, type ReadableDtype } from './io/safetensors.js';
export {
  WEIGHTS_FORMAT, LAYERS_METADATA_KEY, weightsOf, weightsChunks, weightsFormatOf, modelToSafetensors, weightsFromSafetensors, parseWeights, modelFromWeights, loadWeightsInto,
  type WeightsFile, type WeightsParameter, type WeightsFormat,
} from './train/weights.js';

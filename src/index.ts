// wasmgrad: WebAssembly SIMD kernels for machine learning in JavaScript.

export { init, pickBuild, Runtime, type InitOptions, type BuildName } from './runtime.js';
export { detectFeatures, type EngineFeatures } from './features.js';
export { Tensor } from './tensor.js';
export { gemm, matmul, type GemmOptions, type Matrix } from './gemm.js';
export { Arena, WASM32_MAX_BYTES, type ArenaEvent, type Phase } from './arena.js';
export { WasmgradError, ShapeError, ArgumentError, OutOfMemoryError, NonFiniteError, type ErrorDetails } from './errors.js';
export { CATEGORIES, type Category, type CategoryBytes } from './memory/categories.js';
export { Sequential, validateLayers, layerName, type SequentialOptions, type LossKind, type NamedParameter, type StepResult, type Target } from './nn/sequential.js';
export { Linear, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, SiLU, activation, mlp, describeLayers, ACTIVATION_KINDS, LAYER_MODULES, type ActivationKind, type LayerSpec, type LinearSpec, type ActivationSpec, type LayerModule } from './nn/layers.js';
export { trainingStepPlan, inferencePlan, type PlanOp, type StepPlanConfig } from './plan/step-plan.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export type { Optimizer, ParameterBlock } from './optim/optimizer.js';
export { profileMlp, type MlpProfile, type MlpProfileOptions, type MeasuredMemory } from './profile/profile-mlp.js';
export type { MlpOptimizer, MemorySummary } from './estimate/mlp.js';
export { renderMemorySvg, type MemorySvgOptions } from './report/memory-svg.js';
export type { MemoryEvent, MemoryTimeline } from './report/types.js';
export { profileDocument, renderProfileTable, type ProfileDocument, type ProfileCategory, type ProfileLayer } from './report/profile-report.js';
export { estimateDocument, renderEstimateTable, type EstimateDocument, type EstimateStage } from './report/estimate-document.js';
export { benchGemmDocument, renderBenchGemmTable, type BenchGemmDocument } from './report/bench-gemm-document.js';
export { benchTrainDocument, renderBenchTrainTable, type BenchTrainDocument } from './report/bench-train-document.js';
export { benchDocument, type BenchDocument } from './report/bench-document.js';
export { trainDocument, renderTrainHeader, renderTrainEpochLine, type TrainDocument, type TrainRun } from './report/train-document.js';
export { serveCheckDocument, renderServeCheckTable, type ServeCheckDocument, type ServeCheckRun } from './report/serve-check-document.js';
export { renderMainJobHeader, renderReferenceExample, renderMacThroughput, renderTrainingRun, type MainJobNetwork, type TrainingRunSummary } from './report/main-job-report.js';

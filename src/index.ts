// wasmgrad: WebAssembly SIMD kernels for machine learning in JavaScript.

export { init, pickBuild, Runtime, type InitOptions, type BuildName } from './runtime.js';
export { detectFeatures, type EngineFeatures } from './features.js';
export { Tensor } from './tensor.js';
export { gemm, matmul, type GemmOptions, type Matrix } from './gemm.js';
export { Arena, WASM32_MAX_BYTES, type ArenaEvent, type Phase } from './arena.js';
export { WasmgradError, ShapeError, ArgumentError, OutOfMemoryError, NonFiniteError, type ErrorDetails } from './errors.js';
export { CATEGORIES, type Category, type CategoryBytes } from './memory/categories.js';
export { ResidentImages, type ImageSet } from './data/resident-images.js';
export { Sequential, validateLayers, layerName, type BatchSource, type SequentialOptions, type LossKind, type NamedParameter, type ParameterValue, type ParameterValues, type StepResult, type Target } from './nn/sequential.js';
export { Linear, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, SiLU, activation, mlp, describeLayers, ACTIVATION_KINDS, LAYER_MODULES, type ActivationKind, type LayerSpec, type LinearSpec, type ActivationSpec, type LayerModule } from './nn/layers.js';
export { trainingStepPlan, inferencePlan, type PlanOp, type StepPlanConfig } from './plan/step-plan.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export { OPTIMIZERS, OPTIMIZER_NAMES, makeOptimizer, type OptimizerName } from './optim/registry.js';
export type { Optimizer, ParameterBlock } from './optim/optimizer.js';
export { profileMlp, type MlpProfile, type MlpProfileOptions, type MeasuredMemory } from './profile/profile-mlp.js';
export { profile, type ProfileOptions } from './profile/profile-model.js';
export { estimateMlp, mlpTrainingEvents, mlpLayerCosts, countParameters, summarizeEvents, type MlpOptimizer, type MemorySummary, type MlpEstimate, type MlpTrainingConfig, type MemoryEventEstimate, type LayerCost } from './estimate/mlp.js';
export { defineTransformer, type TransformerModel, type TransformerSpec } from './estimate/transformer.js';
export { estimateTransformerMemory, defaultTrainingSetup, type TrainingSetup, type TransformerEstimate, type StageEstimate } from './estimate/training-setup.js';
export { preset, PRESET_NAMES, type PresetName } from './estimate/presets.js';
export { estimateInferenceMemory, defaultInferenceSetup, type InferenceSetup, type InferenceEstimate } from './estimate/inference.js';
export { loraParameters, frozenBaseBytes, type LoraSetup, type LoraTarget } from './estimate/lora.js';
export { searchFits, type FitSearch, type FitResult, type FitCandidate } from './estimate/fit.js';
export { renderMemorySvg, type MemorySvgOptions } from './report/memory-svg.js';
export type { MemoryEvent, MemoryTimeline } from './report/types.js';
export { Monitor, type MonitorOptions, type MonitorReport, type MonitorCounts, type Prediction, type Label } from './monitor/monitor.js';
export { parseSlo, SLO_METRICS, type Slo, type SloAlert, type SloResult } from './monitor/slo.js';
export type { WindowSummary, DriftSummary, FeatureDrift, ReferenceProfile } from './monitor/windows.js';
export { psi, ksTest, ksPValue, PSI_EPSILON, type KsResult } from './monitor/drift.js';
export { entropy, coverage, gini, type Diversity } from './monitor/diversity.js';
export { profileDocument, renderProfileTable, profileHtml, type ProfileDocument, type ProfileCategory, type ProfileLayer } from './report/profile-report.js';
export { estimateDocument, renderEstimateTable, type EstimateDocument, type EstimateStage } from './report/estimate-document.js';
export { inferenceDocument, renderInferenceTable, type InferenceDocument } from './report/estimate-inference-document.js';
export { fitDocument, renderFitTable, type FitDocument } from './report/estimate-fit-document.js';
export { benchGemmDocument, renderBenchGemmTable, type BenchGemmDocument } from './report/bench-gemm-document.js';
export { benchTrainDocument, renderBenchTrainTable, type BenchTrainDocument } from './report/bench-train-document.js';
export { benchDocument, type BenchDocument } from './report/bench-document.js';
export { trainDocument, renderTrainHeader, renderTrainEpochLine, type TrainDocument, type TrainRun } from './report/train-document.js';
export { serveCheckDocument, renderServeCheckTable, type ServeCheckDocument, type ServeCheckRun } from './report/serve-check-document.js';
export { renderMainJobHeader, renderReferenceExample, renderMacThroughput, renderTrainingRun, type MainJobNetwork, type TrainingRunSummary } from './report/main-job-report.js';
export { estimateSvg, type EstimateSvgOptions } from './report/estimate-svg.js';
export { renderThroughputSvg, type ThroughputSvgOptions } from './report/throughput-svg.js';
export { renderHtmlReport } from './report/html.js';
export type { HtmlReport, ThroughputRow } from './report/types.js';
export { parseIdx, parseImages, parseLabels, imagesToFloat32, labelsToInt32, pixelStatistics, MAX_IDX_BYTES, type IdxTensor, type IdxImages, type IdxLabels, type PixelNormalization } from './data/idx.js';
export { readSafetensors, writeSafetensors, safetensorsChunks, MAX_HEADER_BYTES, type SafetensorsTensor, type SafetensorsContents, type ReadTensor, type ReadableDtype } from './io/safetensors.js';
export {
  WEIGHTS_FORMAT, LAYERS_METADATA_KEY, weightsOf, weightsChunks, weightsFormatOf, modelToSafetensors, weightsFromSafetensors, parseWeights, modelFromWeights, loadWeightsInto,
  type WeightsFile, type WeightsParameter, type WeightsFormat,
} from './train/weights.js';

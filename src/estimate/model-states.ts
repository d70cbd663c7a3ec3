/**
 * Model states: the bytes that scale with the parameter count, per device.
 *
 *   modelStateBytes(params: number, setup: ModelStateSetup): ModelStateBytes
 *     params  parameters held by one model replica on this device (after any
 *             tensor / pipeline split), a non-negative safe integer
 *     setup   { precision, optimizer, zeroStage = 0, dataParallel = 1, convention = 'zero' }
 *     returns { weights, gradients, optimizer } in bytes on one device (integers)
 *
 *   bytesPerParameter(setup) -> { weights, gradients, optimizer } before any ZeRO sharding
 *
 * Both estimators use this one function: the MLP estimator (fp32, one device,
 * stage 0) gets weights = 4P, gradients = 4P, optimizer = 0 (SGD), 4P (SGD
 * with momentum) or 8P (Adam/AdamW), exactly what wasmgrad allocates; the
 * transformer estimator applies the same rules at scale.
 *
 * Per-parameter bytes (default convention 'zero', Rajbhandari et al. 2019,
 * "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models", Sec. 3.1):
 *
 *   precision     weights  gradients  optimizer (K)
 *   fp32          4        4          state in fp32: SGD 0, momentum 4, Adam 8, 8-bit Adam 2
 *   mixed-fp16    2        2          fp32 master copy 4 + fp32 state: SGD 4, momentum 8, Adam 12, 8-bit Adam 6
 *   mixed-bf16    2        2          as mixed-fp16
 *   bf16 (pure)   2        2          state in bf16: SGD 0, momentum 2, Adam 4, 8-bit Adam 2
 *
 * Mixed-precision Adam is the ZeRO paper's 2 + 2 + K with K = 12: 16 bytes per parameter.
 * 8-bit Adam (Dettmers et al. 2022, "8-bit Optimizers via Block-wise Quantization")
 * keeps m and v at one byte each; its block-wise scales (one fp32 per 2048 values,
 * 4/2048 bytes per value, about 0.2% more) are not counted. Pure bf16 keeps no fp32 copy and stores the
 * optimizer state in bf16 (a convention of this estimator, stated here).
 *
 * Convention 'megatron' (Megatron-LM, docs/source/api-guide/dist_optimizer.md, and
 * megatron/training/theoretical_memory_usage.py): mixed precision accumulates
 * gradients in fp32, giving 18 bytes per parameter for bf16 Adam instead of 16:
 *   mixed-bf16: gradients are the fp32 main_grad buffer, 4 bytes (2 + 4 + 12 = 18);
 *   mixed-fp16: fp16 gradients (2) plus an fp32 copy owned by the optimizer (+4):
 *               2 + 2 + 16 = 20, and the distributed optimizer gives 4 + 16/d.
 *   fp32 and pure bf16 are the same under both conventions.
 *
 * Convention 'deepspeed' reproduces DeepSpeed's own estimators
 * (deepspeed/runtime/zero/stage_1_and_2.py estimate_zero2_model_states_mem_needs,
 * stage3.py estimate_zero3_model_states_mem_needs): mixed-precision Adam only, ZeRO
 * stage 2 or 3; "18 = 2 grads 16-bit + 4 grads 32-bit + 4 params 32-bit + 8
 * optimizer states": gradients 2 + 4 = 6 bytes, optimizer 12, weights 2, so stage
 * 2 is 2P + 18P/N. Stage 3 (deepspeed-convention.ts) adds 4 x the largest layer
 * and counts no 16-bit weight partition.
 *
 * ZeRO sharding over the data-parallel degree N (Rajbhandari et al. 2019, Fig. 1):
 *   stage 0: nothing sharded          (2 + 2 + K) P
 *   stage 1: optimizer state sharded  4P + K P / N      (mixed precision)
 *   stage 2: + gradients sharded      2P + (2 + K) P / N
 *   stage 3: + weights sharded        (2 + 2 + K) P / N
 * A sharded buffer holds ceil(P / N) elements per device (flat buffers are padded
 * to a multiple of N), so results stay whole bytes.
 */

import { ArgumentError } from '../errors.js';
import { checkChoice, checkPositiveInteger, shown } from './checks.js';
import { checkExact } from './units.js';

export const PRECISIONS = ['fp32', 'mixed-fp16', 'mixed-bf16', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];

export const OPTIMIZERS = ['sgd', 'sgd-momentum', 'adam', 'adamw', 'adam-8bit'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];

export const ZERO_STAGES = [0, 1, 2, 3] as const;
export type ZeroStage = (typeof ZERO_STAGES)[number];

export const CONVENTIONS = ['zero', 'megatron', 'deepspeed'] as const;
/** 'zero' (default): 16-bit gradients as in the ZeRO paper; 'megatron': fp32 gradient accumulation; 'deepspeed': DeepSpeed's estimators. */
export type ModelStateConvention = (typeof CONVENTIONS)[number];

export interface ModelStateSetup {
  precision: Precision;
  optimizer: OptimizerKind;
  /** ZeRO stage, default 0 (plain data parallelism or one device). */
  zeroStage?: ZeroStage;
  /** Data-parallel degree N over which ZeRO shards, default 1. */
  dataParallel?: number;
  /** Default 'zero'. */
  convention?: ModelStateConvention;
}

export interface ModelStateBytes {
  weights: number;
  gradients: number;
  optimizer: number;
}

/** Whether weights live in 16 bits while an fp32 master copy is updated. */
export function isMixedPrecision(precision: Precision): boolean {
  return precision === 'mixed-fp16' || precision === 'mixed-bf16';
}

/** Bytes of one weight or activation element in the compute precision. */
export function computeElementBytes(precision: Precision): 2 | 4 {
  return precision === 'fp32' ? 4 : 2;
}

/** Optimizer state elements per parameter: SGD none, momentum one buffer, Adam m and v. */
function stateBuffers(optimizer: OptimizerKind): number {
  switch (optimizer) {
    case 'sgd':
      return 0;
    case 'sgd-momentum':
      return 1;
    case 'adam':
    case 'adamw':
    case 'adam-8bit':
      return 2;
  }
}

function checkSetup(setup: ModelStateSetup): Required<ModelStateSetup> {
  const { precision, optimizer, zeroStage = 0, dataParallel = 1, convention = 'zero' } = setup;
  checkChoice('precision', precision, PRECISIONS);
  checkChoice('optimizer', optimizer, OPTIMIZERS);
  checkChoice('zeroStage', zeroStage, ZERO_STAGES);
  checkChoice('convention', convention, CONVENTIONS);
  checkPositiveInteger('dataParallel', dataParallel);
  if (zeroStage > 0 && dataParallel < 2) {
    throw new ArgumentError(
      `zeroStage: stage ${zeroStage} shards model states over data-parallel devices, but the data-parallel degree is ${dataParallel}; ` +
        `use ZeRO stage 0 or at least 2 data-parallel devices`,
      { field: 'zeroStage' },
    );
  }
  if (convention === 'deepspeed') {
    if (!isMixedPrecision(precision) || (optimizer !== 'adam' && optimizer !== 'adamw')) {
      throw new ArgumentError(
        `convention: 'deepspeed' reproduces DeepSpeed's estimators, which assume mixed precision with Adam; got ${precision} with ${optimizer}`,
        { field: 'convention' },
      );
    }
    if (zeroStage < 2) {
      throw new ArgumentError(`convention: 'deepspeed' reproduces DeepSpeed's ZeRO-2 and ZeRO-3 estimators; got ZeRO stage ${zeroStage}`, { field: 'convention' });
    }
  }
  return { precision, optimizer, zeroStage, dataParallel, convention };
}

/**
 * Bytes per parameter for weights, gradients and optimizer state before any
 * ZeRO sharding (see the table at the top of this file).
 */
export function bytesPerParameter(setup: ModelStateSetup): ModelStateBytes {
  const { precision, optimizer, convention } = checkSetup(setup);
  const weights = computeElementBytes(precision);
  let gradients: number = weights;
  // State element size: fp32 unless the whole run is bf16; 8-bit Adam is one byte whatever the precision.
  const stateElementBytes = optimizer === 'adam-8bit' ? 1 : precision === 'bf16' ? 2 : 4;
  let optimizerState = stateBuffers(optimizer) * stateElementBytes;
  if (isMixedPrecision(precision)) {
    optimizerState += 4; // fp32 master weights (ZeRO paper Sec. 3.1)
    if (convention === 'deepspeed') gradients += 4; // DeepSpeed's estimator counts an fp32 gradient copy beside the 16-bit one
    else if (convention === 'megatron') {
      // Megatron-LM: bf16 runs accumulate gradients straight into an fp32 main_grad buffer;
      // fp16 runs keep fp16 gradients and the optimizer copies them to fp32.
      if (precision === 'mixed-bf16') gradients = 4;
      else optimizerState += 4;
    }
  }
  return { weights, gradients, optimizer: optimizerState };
}

/** Model-state bytes on one device; see the signature at the top of this file. */
export function modelStateBytes(params: number, setup: ModelStateSetup): ModelStateBytes {
  if (!Number.isSafeInteger(params) || params < 0) {
    throw new ArgumentError(`params: expected a non-negative integer parameter count, got ${shown(params)}`, { field: 'params' });
  }
  const { zeroStage, dataParallel } = checkSetup(setup);
  const perParam = bytesPerParameter(setup);
  const shard = Math.ceil(params / dataParallel);
  return {
    weights: checkExact('weights', 'the weight bytes', perParam.weights * (zeroStage >= 3 ? shard : params), { params }),
    gradients: checkExact('gradients', 'the gradient bytes', perParam.gradients * (zeroStage >= 2 ? shard : params), { params }),
    optimizer: checkExact('optimizer', 'the optimizer-state bytes', perParam.optimizer * (zeroStage >= 1 ? shard : params), { params }),
  };
}

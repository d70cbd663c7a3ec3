/**
 * Model states per device as DeepSpeed's own estimators give them
 * (`--convention deepspeed`), for users who compare with DeepSpeed:
 *
 *   estimate_zero2_model_states_mem_needs (deepspeed/runtime/zero/stage_1_and_2.py)
 *     no offload          2P + 18P/N
 *     offload optimizer   2P
 *   estimate_zero3_model_states_mem_needs (deepspeed/runtime/zero/stage3.py),
 *   with largest_layer_memory = 4 x the largest module's parameters (LL)
 *     no offload          4 LL + 18P/N
 *     offload optimizer   4 LL + 2P/N
 *     offload params too  4 LL
 * where 18 = 2 (16-bit gradients) + 4 (fp32 gradients) + 4 (fp32 weights) + 8 (Adam m, v).
 * DeepSpeed's ZeRO-3 figure counts no 16-bit weight partition (the zero convention
 * counts 2P/N); wasmgrad splits its totals into categories so: the 4 LL are the
 * gathered layer's 16-bit weights (2 LL) and gradients (2 LL). Shards hold ceil(P/N)
 * elements, which equals DeepSpeed's int(18P/N) when N divides P.
 * Host memory is the offloaded states' share per device (fp32 gradients, master
 * weights and moments, 16P/N; with parameters 18P/N, as DeepSpeed's cpu_mem with
 * zero_init); DeepSpeed's 1.5 additional_buffer_factor and its init-time copies are not applied.
 */
import type { ModelStateBytes, ZeroStage } from './model-states.js';

export interface DeviceAndHost {
  device: ModelStateBytes;
  host: ModelStateBytes;
}

export function deepspeedStates(params: number, largestModule: number, zeroStage: ZeroStage, dataParallel: number, offload: 'none' | 'optimizer' | 'optimizer+params'): DeviceAndHost {
  const shard = Math.ceil(params / dataParallel);
  const none = { weights: 0, gradients: 0, optimizer: 0 };
  if (zeroStage === 2) {
    return offload === 'none'
      ? { device: { weights: 2 * params, gradients: 6 * shard, optimizer: 12 * shard }, host: none }
      : { device: { weights: 2 * params, gradients: 0, optimizer: 0 }, host: { weights: 0, gradients: 6 * shard, optimizer: 12 * shard } };
  }
  const layer = 2 * largestModule;
  if (offload === 'none') return { device: { weights: layer, gradients: layer + 6 * shard, optimizer: 12 * shard }, host: none };
  if (offload === 'optimizer') return { device: { weights: layer + 2 * shard, gradients: layer, optimizer: 0 }, host: { weights: 0, gradients: 4 * shard, optimizer: 12 * shard } };
  return { device: { weights: layer, gradients: layer, optimizer: 0 }, host: { weights: 2 * shard, gradients: 4 * shard, optimizer: 12 * shard } };
}

// --convention deepspeed reproduces DeepSpeed's own model-state estimators, transcribed
// here from deepspeed/runtime/zero/stage_1_and_2.py and stage3.py (gpu_mem, per device).

import { describe, expect, it } from 'vitest';
import { preset } from '../src/estimate/presets.js';
import { defaultTrainingSetup, estimateTransformerMemory, type TrainingSetup } from '../src/estimate/training-setup.js';
import { bytesPerParameter } from '../src/estimate/model-states.js';
import { largestModuleParameters, type TransformerModel } from '../src/estimate/transformer.js';

/** estimate_zero2_model_states_mem_needs(total_params, num_gpus_per_node=N, num_nodes=1, cpu_offload) -> gpu_mem */
function zero2GpuMem(totalParams: number, totalGpus: number, cpuOffload: boolean): number {
  return cpuOffload ? 2 * totalParams : 2 * totalParams + Math.trunc((18 * totalParams) / totalGpus);
}

/** estimate_zero3_model_states_mem_needs(total_params, largest_layer_params, N, 1, cpu_offload, cpu_offload_params) -> gpu_mem */
function zero3GpuMem(totalParams: number, largestLayerParams: number, totalGpus: number, cpuOffload: boolean, cpuOffloadParams: boolean): number {
  const largestLayerMemory = 4 * largestLayerParams;
  if (cpuOffload) return cpuOffloadParams ? largestLayerMemory : largestLayerMemory + Math.trunc((2 * totalParams) / totalGpus);
  return largestLayerMemory + Math.trunc((18 * totalParams) / totalGpus);
}

const states = (model: TransformerModel, over: Partial<TrainingSetup>) => {
  const b = estimateTransformerMemory(model, { ...defaultTrainingSetup(model), convention: 'deepspeed', ...over }).heaviest.bytes;
  return b.weights + b.gradients + b.optimizer;
};

describe("--convention deepspeed equals DeepSpeed's estimators", () => {
  for (const name of ['gpt2', 'llama-7b', 'llama-2-70b'] as const) {
    const model = preset(name);
    const P = estimateTransformerMemory(model, defaultTrainingSetup(model)).stages[0].parameters;
    const LL = largestModuleParameters(model);
    for (const N of [2, 8, 64]) {
      it(`${name}, ${N} devices: ZeRO-2 and ZeRO-3, with and without offload`, () => {
        expect(states(model, { devices: N, zeroStage: 2 })).toBe(zero2GpuMem(P, N, false));
        expect(states(model, { devices: N, zeroStage: 2, offload: 'optimizer' })).toBe(zero2GpuMem(P, N, true));
        expect(states(model, { devices: N, zeroStage: 3 })).toBe(zero3GpuMem(P, LL, N, false, false));
        expect(states(model, { devices: N, zeroStage: 3, offload: 'optimizer' })).toBe(zero3GpuMem(P, LL, N, true, false));
        expect(states(model, { devices: N, zeroStage: 3, offload: 'optimizer+params' })).toBe(zero3GpuMem(P, LL, N, true, true));
      });
    }
  }

  it('its per-parameter bytes: 2 + (2 + 4) + (4 + 8) = 20, the "2P + 18P/N" of ZeRO-2', () => {
    expect(bytesPerParameter({ precision: 'mixed-bf16', optimizer: 'adamw', convention: 'deepspeed', zeroStage: 2, dataParallel: 8 })).toEqual({ weights: 2, gradients: 6, optimizer: 12 });
  });

  it('refuses what DeepSpeed\'s estimators do not cover', () => {
    const llama = preset('llama-7b');
    const run = (over: Partial<TrainingSetup>) => () => states(llama, { devices: 8, zeroStage: 2, ...over });
    expect(run({ zeroStage: 1 })).toThrow(/^convention: 'deepspeed' reproduces DeepSpeed's ZeRO-2 and ZeRO-3 estimators; got ZeRO stage 1/);
    expect(run({ precision: 'fp32' })).toThrow(/^convention: 'deepspeed' .* assume mixed precision with Adam; got fp32 with adamw/);
    expect(run({ optimizer: 'sgd' })).toThrow(/^convention: .*got mixed-bf16 with sgd/);
    expect(run({ lora: { rank: 8, targets: ['q'], quantizedBase: false } })).toThrow(/^convention: .*do not cover LoRA/);
    expect(run({ offload: 'optimizer+params' })).toThrow(/^convention: .*parameter offload with ZeRO stage 2/);
  });
});

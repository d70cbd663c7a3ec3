// No figure above 100% of the peak probe is ever printed: a GEMM that reads
// above the probe makes the probe run again (longer, up to twice); if one
// still does, the run reports the anomaly and gives no share of peak. The
// probe is one thread's ceiling: it bounds wasmgrad's one-thread figure.

import { describe, expect, it } from 'vitest';
import { boundByPeak, type GemmShapeResult } from '../src/bench/gemm-bench.js';

const shape = (label: string, wasmgrad: number, peak: number, oneThread = wasmgrad): GemmShapeResult =>
  ({ label, gflops: { wasmgrad, 'wasmgrad-1thread': oneThread, peak, 'tfjs-wasm': null, js: null }, ratio: { peak: oneThread / peak, tfjs: null } }) as unknown as GemmShapeResult;

describe('boundByPeak', () => {
  it('leaves a run whose GEMMs stay below the probe as it is, measuring nothing again', async () => {
    let calls = 0;
    const r = await boundByPeak([shape('256', 40, 50)], { gflops: 50 }, async () => (calls++, { gflops: 60 }));
    expect(calls).toBe(0);
    expect(r).toMatchObject({ remeasured: 0, anomaly: null, peak: { gflops: 50 } });
    expect(r.shapes[0]!.ratio.peak).toBeCloseTo(0.8);
  });

  it('measures the probe again when a GEMM reads above it, and keeps the better reading', async () => {
    const readings = [44, 58];
    const r = await boundByPeak([shape('256', 45.6, 14.5), shape('64', 30, 14.5)], { gflops: 14.5 }, async () => ({ gflops: readings.shift()! }));
    expect(r.remeasured).toBe(2);
    expect(r.peak.gflops).toBe(58);
    expect(r.anomaly).toBeNull();
    expect(r.shapes.map((s) => s.gflops.peak)).toEqual([58, 58]);
    expect(r.shapes.every((s) => s.ratio.peak! <= 1)).toBe(true);
  });

  it('reports an anomaly and no share of peak when a GEMM stays above the probe', async () => {
    const r = await boundByPeak([shape('256', 45.6, 14.5)], { gflops: 14.5 }, async () => ({ gflops: 15 }));
    expect(r.remeasured).toBe(2);
    expect(r.anomaly).toBe("256 measured 45.6 GFLOP/s on one thread, above the peak probe's 15.0 after 2 more probe runs: the probe does not bound this engine, so no share of peak is given");
    expect(r.shapes[0]!.ratio.peak).toBeNull();
  });

  it('takes a GEMM on N threads above the one-thread probe as no anomaly: its one-thread figure is what the probe bounds', async () => {
    let calls = 0;
    const r = await boundByPeak([shape('256', 80, 50, 40)], { gflops: 50 }, async () => (calls++, { gflops: 50 }));
    expect(calls).toBe(0);
    expect(r.anomaly).toBeNull();
    expect(r.shapes[0]!.ratio.peak).toBeCloseTo(0.8);
  });
});

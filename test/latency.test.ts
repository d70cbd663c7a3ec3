import { describe, expect, it } from 'vitest';

import { nearestRank, p99Holds, summarizeLatencies, throughputOf, timeRequests } from '../src/serve/latency.js';

describe('nearestRank', () => {
  it('is the sample at rank ceil(p/100 * n) of 1..100', () => {
    const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([50, 90, 99, 100].map((p) => nearestRank(oneToHundred, p))).toEqual([50, 90, 99, 100]);
    expect(nearestRank(oneToHundred, 0.5)).toBe(1);
    expect(nearestRank(oneToHundred, 99.01)).toBe(100);
  });

  it('rounds the rank up: p50 of 1..5 is the 3rd sample, p90 of 10 samples the 9th, p99 of 10 the 10th', () => {
    expect(nearestRank([1, 2, 3, 4, 5], 50)).toBe(3);
    const ten = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(nearestRank(ten, 90)).toBe(90);
    expect(nearestRank(ten, 99)).toBe(100);
    expect(nearestRank(ten, 10)).toBe(10);
    expect(nearestRank(ten, 11)).toBe(20);
  });

  it('does not step past an exact rank through floating point (7 / 100 * 100 = 7.000000000000001)', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nearestRank(hundred, 7)).toBe(7);
    expect(nearestRank(hundred, 55)).toBe(55);
  });

  it('of one sample is that sample', () => {
    expect([50, 90, 99, 100].map((p) => nearestRank([7.5], p))).toEqual([7.5, 7.5, 7.5, 7.5]);
  });

  it('rejects no samples and percentiles outside (0, 100]', () => {
    expect(() => nearestRank([], 50)).toThrow('percentile of no samples');
    expect(() => nearestRank([1], 0)).toThrow('percentile must be in (0, 100], got 0');
    expect(() => nearestRank([1], 100.5)).toThrow('percentile must be in (0, 100], got 100.5');
    expect(() => nearestRank([1], NaN)).toThrow('got NaN');
  });
});

describe('summarizeLatencies', () => {
  it('sorts its input and reports p50 <= p90 <= p99 <= max and the mean', () => {
    // 1..200 ms in a shuffled order.
    const ms = Array.from({ length: 200 }, (_, i) => ((i * 73) % 200) + 1);
    const s = summarizeLatencies(ms);
    expect(s).toEqual({ count: 200, p50: 100, p90: 180, p99: 198, max: 200, mean: 100.5 });
  });

  it('p99 of fewer than 100 samples is the maximum', () => {
    const s = summarizeLatencies([3, 1, 2, 9, 4]);
    expect(s.p99).toBe(9);
    expect(s.max).toBe(9);
    expect(s.p50).toBe(3);
  });

  it('does not reorder the caller array', () => {
    const ms = new Float64Array([3, 1, 2]);
    summarizeLatencies(ms);
    expect(Array.from(ms)).toEqual([3, 1, 2]);
  });

  it('rejects no latencies, negative and non-finite ones, naming the index', () => {
    expect(() => summarizeLatencies([])).toThrow('no latencies to summarise');
    expect(() => summarizeLatencies([1, -0.5])).toThrow('latency 1 is -0.5 ms; latencies must be finite and >= 0');
    expect(() => summarizeLatencies([NaN])).toThrow('latency 0 is NaN ms');
    expect(() => summarizeLatencies([1, 2, Infinity])).toThrow('latency 2 is Infinity ms');
  });
});

describe('throughputOf and p99Holds', () => {
  it('serial throughput is 1000 / mean ms, times the batch for samples', () => {
    const s = summarizeLatencies([2, 2, 4, 4]);
    expect(throughputOf(s, 1)).toEqual({ requestsPerSecond: 1000 / 3, samplesPerSecond: 1000 / 3 });
    expect(throughputOf(s, 32).samplesPerSecond).toBeCloseTo((32 * 1000) / 3, 9);
    expect(() => throughputOf(s, 0)).toThrow('batch must be a positive integer, got 0');
  });

  it('the SLO holds when p99 is at most the target, the boundary included', () => {
    const s = summarizeLatencies(Array.from({ length: 100 }, (_, i) => i + 1)); // p99 = 99
    expect(p99Holds(s, 99)).toBe(true);
    expect(p99Holds(s, 100)).toBe(true);
    expect(p99Holds(s, 98.999)).toBe(false);
    expect(() => p99Holds(s, 0)).toThrow('p99 target must be a positive number of ms, got 0');
    expect(() => p99Holds(s, Infinity)).toThrow('got Infinity');
  });
});

describe('timeRequests', () => {
  it('times only the requests after the warm-up, and not their preparation', () => {
    let now = 0;
    const calls: string[] = [];
    const latencies = timeRequests(
      (i) => {
        calls.push(`request ${i}`);
        now += i; // request i takes i ms
      },
      {
        requests: 3,
        warmup: 2,
        prepare: (i) => {
          calls.push(`prepare ${i}`);
          now += 1000; // never counted
        },
        clock: () => now,
      },
    );
    expect(Array.from(latencies)).toEqual([2, 3, 4]);
    expect(calls).toEqual(['prepare 0', 'request 0', 'prepare 1', 'request 1', 'prepare 2', 'request 2', 'prepare 3', 'request 3', 'prepare 4', 'request 4']);
  });

  it('rejects a non-positive request count and a negative warm-up', () => {
    expect(() => timeRequests(() => {}, { requests: 0 })).toThrow('requests must be a positive integer, got 0');
    expect(() => timeRequests(() => {}, { requests: 1, warmup: -1 })).toThrow('warmup must be an integer >= 0, got -1');
    expect(() => timeRequests(() => {}, { requests: 1.5 })).toThrow('requests must be a positive integer, got 1.5');
  });
});

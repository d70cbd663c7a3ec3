// PSI, KS (statistic and p-value), Gini, entropy and coverage against the
// committed reference computation (test/fixtures/monitor/make_reference.py,
// numpy and scipy), and the latency sketch against exact nearest-rank percentiles.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coverage, entropy, gini } from '../src/monitor/diversity.js';
import { kolmogorovSurvival, ksTest, psi, PSI_EPSILON } from '../src/monitor/drift.js';
import { DurationSketch, RELATIVE_ERROR } from '../src/monitor/latency.js';
import { nearestRank } from '../src/serve/latency.js';
import { rng } from './helpers/rng.js';

interface Fixture {
  psiEpsilon: number;
  drift: { reference: number[]; current: number[]; psi: number; ksStatistic: number | null; ksPValueScipyAsymp: number | null; ksPValueKolmogorov: number | null }[];
  kolmogorov: { lambda: number; survival: number }[];
  diversity: { counts: number[]; gini: number; entropy: number; coverage: number }[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/monitor/reference.json', import.meta.url), 'utf8')) as Fixture;

describe('drift scores against scipy', () => {
  it('uses the epsilon the reference script uses', () => {
    expect(PSI_EPSILON).toBe(fixture.psiEpsilon);
  });

  it.each(fixture.drift.map((c, i) => [i, c] as const))('case %i: PSI', (_, c) => {
    expect(psi(c.reference, c.current)).toBeCloseTo(c.psi, 12);
  });

  it.each(fixture.drift.filter((c) => c.ksStatistic !== null).map((c, i) => [i, c] as const))('case %i: KS statistic and p-value', (_, c) => {
    const ks = ksTest(c.reference, c.current)!;
    expect(ks.statistic).toBeCloseTo(c.ksStatistic!, 12);
    // The Kolmogorov limiting distribution, exactly as scipy's kstwobign.
    expect(Math.abs(ks.pValue - c.ksPValueKolmogorov!)).toBeLessThanOrEqual(1e-12 + 1e-9 * c.ksPValueKolmogorov!);
    // scipy's ks_2samp(method='asymp') uses kstwo at round(nm/(n+m)); above p = 0.001 the two agree within 8%.
    if (c.ksPValueScipyAsymp! > 1e-3) expect(Math.abs(ks.pValue - c.ksPValueScipyAsymp!) / c.ksPValueScipyAsymp!).toBeLessThan(0.08);
  });

  it.each(fixture.kolmogorov)('Q($lambda) = kstwobign.sf', ({ lambda, survival }) => {
    expect(Math.abs(kolmogorovSurvival(lambda) - survival)).toBeLessThan(1e-12);
  });

  it('is null for an empty side and zero for identical histograms', () => {
    expect(psi([0, 0], [1, 2])).toBeNull();
    expect(ksTest([3, 4], [0, 0])).toBeNull();
    expect(psi([3, 4, 0], [6, 8, 0])).toBe(0);
    expect(ksTest([3, 4, 0], [6, 8, 0])).toEqual({ statistic: 0, pValue: 1 });
  });
});

describe('diversity against numpy', () => {
  it.each(fixture.diversity.map((c, i) => [i, c] as const))('case %i: Gini, entropy, coverage', (_, c) => {
    expect(gini(c.counts)).toBeCloseTo(c.gini, 12);
    expect(entropy(c.counts)).toBeCloseTo(c.entropy, 12);
    expect(coverage(c.counts)).toBe(c.coverage);
  });
});

describe('latency sketch', () => {
  it.each([10, 99, 100, 1000, 54321])('%i latencies: percentiles within the stated relative error of nearest rank', (n) => {
    const next = rng(n);
    const sketch = new DurationSketch();
    // Log-normal latencies from about 0.05 ms to 200 ms.
    const values = Array.from({ length: n }, () => Math.exp(next() * 8 - 3));
    for (const v of values) sketch.add(v);
    const sorted = Float64Array.from(values).sort();
    for (const p of [50, 90, 99, 100]) {
      const exact = nearestRank(sorted, p);
      expect(Math.abs(sketch.percentile(p)! - exact) / exact).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-12);
    }
    expect(sketch.summary()!.max).toBe(sorted[n - 1]);
  });

  it('is null with no samples, and zero latencies report zero', () => {
    const s = new DurationSketch();
    expect(s.summary()).toBeNull();
    s.add(0);
    s.add(0);
    expect(s.summary()).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
});

import { describe, it, expect } from 'vitest';
import { CATEGORIES, type Category, type CategoryBytes } from '../src/memory/categories.js';
import { formatInteger } from '../src/estimate/units.js';
import { findMemoryPeak, phaseRuns, renderMemorySvg, STACK_ORDER } from '../src/report/memory-svg.js';
import { formatGflops, IMPLEMENTATION_COLOURS, renderThroughputSvg } from '../src/report/throughput-svg.js';
import { byteUnitFor, CATEGORY_COLOURS, escapeXml, niceStep, type MemoryEvent, type MemoryTimeline, type Phase, type ThroughputRow } from '../src/report/types.js';

import { all, byClass, byName, linesOf, parseXml, textOf, type XmlElement } from './helpers/xml.js';

// ---------------------------------------------------------------------------
// Timelines are built the way the allocator records them: live bytes follow from the events.
type Step = [MemoryEvent['kind'], Category, number, string, Phase];

function timelineOf(steps: Step[], runtimeBytes?: number): MemoryTimeline {
  const live: CategoryBytes = { weights: 0, gradients: 0, optimizer: 0, activations: 0, workspace: 0, inputs: 0, kvCache: 0 };
  const events = steps.map(([kind, category, bytes, layer, phase]) => {
    live[category] += kind === 'alloc' ? bytes : -bytes;
    return { kind, category, bytes, layer, phase, live: { ...live } };
  });
  return runtimeBytes === undefined ? { events } : { events, runtimeBytes };
}

/** One Adam step of a 784-100-10 MLP at batch 64, float32: 79,510 parameters = 318,040 B. */
function mlpTimeline(runtimeBytes?: number): MemoryTimeline {
  return timelineOf(
    [
      ['alloc', 'weights', 318_040, 'model', 'setup'],
      ['alloc', 'gradients', 318_040, 'model', 'setup'],
      ['alloc', 'optimizer', 636_080, 'adam', 'setup'],
      ['alloc', 'inputs', 200_704, 'batch', 'forward'],
      ['alloc', 'inputs', 256, 'batch', 'forward'],
      ['alloc', 'workspace', 25_600, 'linear1', 'forward'],
      ['alloc', 'activations', 25_600, 'relu1', 'forward'],
      ['free', 'workspace', 25_600, 'relu1', 'forward'],
      ['alloc', 'workspace', 2_560, 'linear2', 'forward'],
      ['alloc', 'activations', 2_560, 'loss', 'forward'],
      ['free', 'workspace', 2_560, 'loss', 'forward'],
      ['alloc', 'workspace', 2_560, 'loss', 'backward'],
      ['free', 'activations', 2_560, 'loss', 'backward'],
      ['alloc', 'workspace', 25_600, 'linear2', 'backward'],
      ['free', 'workspace', 2_560, 'linear2', 'backward'],
      ['free', 'activations', 25_600, 'relu1', 'backward'],
      ['alloc', 'workspace', 65_536, 'linear1', 'backward'],
      ['free', 'workspace', 65_536, 'linear1', 'backward'],
      ['free', 'workspace', 25_600, 'linear1', 'backward'],
      ['free', 'inputs', 200_960, 'batch', 'backward'],
      ['alloc', 'workspace', 1_024, 'adam', 'optimizer'],
      ['free', 'workspace', 1_024, 'adam', 'optimizer'],
    ],
    runtimeBytes,
  );
}

/** Peak computed here from the events, independently of the renderer: the training categories together, runtime not included. */
function expectedPeak(t: MemoryTimeline): { index: number; total: number } {
  const totals = t.events.map((e) => CATEGORIES.reduce((s, c) => s + e.live[c], 0));
  const total = Math.max(...totals);
  return { index: totals.indexOf(total), total };
}

/** Maps an event boundary to its x coordinate using the chart's own x-axis ticks. */
function xOfBoundary(svg: XmlElement): (i: number) => number {
  const ticks = all(svg, byClass('x-axis'))[0]!.children
    .filter((c): c is XmlElement => typeof c !== 'string' && c.name === 'text' && /^[\d,]+$/.test(textOf(c)))
    .map((t) => ({ i: Number(textOf(t).replace(/,/g, '')), x: Number(t.attrs.x) }));
  const [a, b] = [ticks[0]!, ticks[ticks.length - 1]!];
  return (i) => a.x + ((i - a.i) * (b.x - a.x)) / (b.i - a.i);
}

describe('renderMemorySvg: structure', () => {
  it('draws one closed path per non-empty category, bottom to top in stack order, in the category colour', () => {
    const svg = parseXml(renderMemorySvg(mlpTimeline(131_072)));
    const paths = all(svg, byName('path'));
    const expected = STACK_ORDER.filter((b) => mlpTimeline().events.some((e) => e.live[b] > 0));
    expect(paths.map((p) => p.attrs['data-band'])).toEqual(expected);
    expect(expected).toHaveLength(6);
    for (const p of paths) {
      expect(p.attrs.fill).toBe(CATEGORY_COLOURS[p.attrs['data-band'] as keyof typeof CATEGORY_COLOURS]);
      expect(p.attrs.d).toMatch(/^M[\d.]+ [\d.]+([HV][\d.]+)+Z$/);
    }
  });

  it('omits categories that are never live from the stack and the legend', () => {
    const t = timelineOf([
      ['alloc', 'weights', 4_000, 'model', 'setup'],
      ['alloc', 'activations', 1_000, 'linear1', 'forward'],
      ['free', 'activations', 1_000, 'linear1', 'backward'],
    ]);
    const svg = parseXml(renderMemorySvg(t));
    expect(all(svg, byName('path')).map((p) => p.attrs['data-band'])).toEqual(['weights', 'activations']);
    expect(all(svg, byClass('legend-item')).map((g) => g.attrs['data-band'])).toEqual(['activations', 'weights']);
  });

  it('names the runtime in the legend, outside the peak, and stacks no band for it', () => {
    const svg = parseXml(renderMemorySvg(mlpTimeline(131_072)));
    expect(all(svg, byName('path')).map((p) => p.attrs['data-band'])).not.toContain('runtime');
    const runtime = all(svg, byClass('legend-runtime'))[0]!;
    expect(all(runtime, byName('text')).map(textOf)).toEqual(['runtime', '131,072', 'not in the peak, not drawn']);
    expect(all(parseXml(renderMemorySvg(mlpTimeline())), byClass('legend-runtime'))).toHaveLength(0);
  });

  it('shades and names each contiguous phase run', () => {
    const t = mlpTimeline();
    const svg = parseXml(renderMemorySvg(t));
    const shaded = all(svg, byClass('phase'));
    expect(shaded.map((r) => r.attrs['data-phase'])).toEqual(['setup', 'forward', 'backward', 'optimizer']);
    expect(all(svg, byClass('phase-label')).map(textOf)).toEqual(['setup', 'forward', 'backward', 'optimizer']);
    // Band widths are proportional to the number of events in each phase.
    const x = xOfBoundary(svg);
    phaseRuns(t.events).forEach((r, k) => {
      expect(Number(shaded[k]!.attrs.x)).toBeCloseTo(x(r.start), 1);
      expect(Number(shaded[k]!.attrs.width)).toBeCloseTo(x(r.end) - x(r.start), 1);
    });
  });

  it('a phase that returns later gets a band of its own each time', () => {
    const t = timelineOf([
      ['alloc', 'workspace', 8, 'a', 'forward'],
      ['free', 'workspace', 8, 'a', 'backward'],
      ['alloc', 'workspace', 8, 'b', 'forward'],
    ]);
    expect(all(parseXml(renderMemorySvg(t)), byClass('phase')).map((r) => r.attrs['data-phase'])).toEqual(['forward', 'backward', 'forward']);
  });
});

describe('renderMemorySvg: the peak', () => {
  it('labels the exact peak total, the event it follows and the top categories', () => {
    const t = mlpTimeline(131_072);
    const { index, total } = expectedPeak(t);
    const svg = parseXml(renderMemorySvg(t));
    const [first, second, third] = linesOf(all(svg, byClass('peak-label'))[0]!);
    expect(first).toBe(`peak ${formatInteger(total)} B (${(total / 2 ** 20).toPrecision(4)} MiB)`);
    expect(total).toBe(318_040 * 4 + 200_960 + 25_600 + 65_536);
    expect(second).toBe(`after event ${index + 1} of ${t.events.length}: alloc workspace, linear1, backward`);
    expect(third).toBe('optimizer 636,080 B · weights 318,040 B · gradients 318,040 B');
  });

  it('draws the peak line through the middle of the peak event', () => {
    const t = mlpTimeline();
    const { index } = expectedPeak(t);
    const svg = parseXml(renderMemorySvg(t));
    const line = all(all(svg, byClass('peak'))[0]!, byName('line'))[0]!;
    const x = xOfBoundary(svg);
    expect(Number(line.attrs.x1)).toBeCloseTo((x(index) + x(index + 1)) / 2, 1);
  });

  it('picks the first of equal maxima', () => {
    const t = timelineOf([
      ['alloc', 'workspace', 100, 'a', 'forward'],
      ['free', 'workspace', 100, 'a', 'forward'],
      ['alloc', 'activations', 100, 'b', 'forward'],
    ]);
    const peak = findMemoryPeak(t)!;
    expect(peak.index).toBe(0);
    expect(peak.bands).toEqual([{ band: 'workspace', bytes: 100 }]);
  });

  it('lists the peak bands largest first; they sum to the peak, and the runtime is beside it, not in it', () => {
    const peak = findMemoryPeak(mlpTimeline(131_072))!;
    const bytes = peak.bands.map((b) => b.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a));
    expect(bytes.reduce((s, b) => s + b, 0)).toBe(peak.totalBytes);
    expect(peak.bands.map((b) => b.band)).not.toContain('runtime');
    expect(peak.runtimeBytes).toBe(131_072);
    expect(findMemoryPeak(mlpTimeline())!.totalBytes).toBe(peak.totalBytes);
  });

  it('legends the composition of the peak with exact bytes, and their sum, the peak', () => {
    const t = mlpTimeline(131_072);
    const svg = parseXml(renderMemorySvg(t));
    const items = all(svg, byClass('legend-item')).map((g) => all(g, byName('text')).map(textOf));
    const atPeak = t.events[expectedPeak(t).index]!.live;
    // Categories never live (a training run keeps no KV cache) are left out of the legend.
    const drawn = STACK_ORDER.filter((c) => t.events.some((e) => e.live[c] > 0));
    expect(items).toEqual([...drawn].reverse().map((c) => [c, formatInteger(atPeak[c])]));
    expect(all(all(svg, byClass('legend-peak'))[0]!, byName('text')).map(textOf)).toEqual(['peak', formatInteger(expectedPeak(t).total)]);
  });

  it('escapes layer names, which come from users', () => {
    const name = '<script>alert("x")</script> & \'co\'';
    const t = timelineOf([['alloc', 'activations', 64, name, 'forward']]);
    const text = renderMemorySvg(t);
    expect(text).not.toContain('<script>');
    expect(linesOf(all(parseXml(text), byClass('peak-label'))[0]!)[1]).toBe(`after event 1 of 1: alloc activations, ${name}, forward`);
  });
});

describe('renderMemorySvg: y axis', () => {
  const cases: [number, string][] = [
    [500, 'live memory, training categories (bytes)'],
    [50 * 1024, 'live memory, training categories (KiB, 1 KiB = 1,024 B)'],
    [1_695_328, 'live memory, training categories (MiB, 1 MiB = 1,048,576 B)'],
    [3 * 1024 ** 3, 'live memory, training categories (GiB, 1 GiB = 1,073,741,824 B)'],
  ];
  for (const [bytes, title] of cases) {
    it(`names the unit for a ${formatInteger(bytes)} B peak, and its top tick is above the peak`, () => {
      const svg = parseXml(renderMemorySvg(timelineOf([['alloc', 'weights', bytes, 'model', 'setup']])));
      expect(textOf(all(svg, byClass('y-title'))[0]!)).toBe(title);
      const ticks = all(all(svg, byClass('y-axis'))[0]!, byName('text'))
        .filter((t) => !byClass('y-title')(t))
        .map((t) => Number(textOf(t)));
      expect(ticks[0]).toBe(0);
      expect(ticks[ticks.length - 1]! * byteUnitFor(bytes).bytes).toBeGreaterThanOrEqual(bytes);
    });
  }

  it('uses KiB = 1024 B when choosing the unit', () => {
    expect(byteUnitFor(1023).name).toBe('B');
    expect(byteUnitFor(1024).name).toBe('KiB');
    expect(byteUnitFor(1024 ** 2 - 1).name).toBe('KiB');
    expect(byteUnitFor(1024 ** 2).name).toBe('MiB');
  });

  it('ticks at round steps', () => {
    expect(niceStep(2.1, 5)).toBe(0.5);
    expect(niceStep(1000, 5)).toBe(200);
    expect(niceStep(12, 5)).toBe(2.5);
    expect(niceStep(0, 5)).toBe(1);
  });
});

describe('renderMemorySvg: edge cases', () => {
  it('an empty event list gives a valid placeholder that says why, not an empty chart', () => {
    const svg = parseXml(renderMemorySvg({ events: [] }));
    expect(svg.name).toBe('svg');
    expect(svg.attrs.class).toContain('placeholder');
    expect(all(svg, byName('path'))).toHaveLength(0);
    expect(textOf(all(svg, byClass('placeholder-message'))[0]!)).toMatch(/No allocator events/);
  });

  it('a single event draws one band spanning the whole plot', () => {
    const svg = parseXml(renderMemorySvg(timelineOf([['alloc', 'inputs', 3_000, 'batch', 'forward']])));
    const paths = all(svg, byName('path'));
    expect(paths).toHaveLength(1);
    expect(linesOf(all(svg, byClass('peak-label'))[0]!)[0]).toBe('peak 3,000 B (2.930 KiB)');
    const x = xOfBoundary(svg);
    expect(paths[0]!.attrs.d).toContain(`H${Math.round(x(1) * 100) / 100}`);
  });

  it('zero live bytes everywhere: no bands, a 0 B peak, and a legend that says so', () => {
    const t = timelineOf([
      ['alloc', 'workspace', 0, 'a', 'forward'],
      ['free', 'workspace', 0, 'a', 'backward'],
    ]);
    const svg = parseXml(renderMemorySvg(t));
    expect(all(svg, byName('path'))).toHaveLength(0);
    expect(linesOf(all(svg, byClass('peak-label'))[0]!)[0]).toBe('peak 0 B (0 B)');
    expect(textOf(all(svg, byClass('legend'))[0]!)).toContain('no live bytes');
  });

  it('scales to thousands of events with one path per band and no runaway path length', () => {
    const steps: Step[] = [['alloc', 'weights', 1 << 20, 'model', 'setup']];
    for (let i = 0; i < 2_000; i++) steps.push(['alloc', 'workspace', 4_096, `l${i}`, 'forward'], ['free', 'workspace', 4_096, `l${i}`, 'forward']);
    const svg = parseXml(renderMemorySvg(timelineOf(steps)));
    const paths = all(svg, byName('path'));
    expect(paths).toHaveLength(2);
    expect(paths[0]!.attrs.d!.length).toBeLessThan(100); // weights: flat after the first event
  });
});

describe('renderMemorySvg: bad input', () => {
  const good = () => mlpTimeline();
  const withEvent = (i: number, patch: Record<string, unknown>): MemoryTimeline => {
    const t = good();
    t.events[i] = { ...t.events[i]!, ...patch } as MemoryEvent;
    return t;
  };
  const cases: [string, () => unknown, RegExp][] = [
    ['timeline not an object', () => renderMemorySvg(null as unknown as MemoryTimeline), /timeline must be an object, got null/],
    ['events not an array', () => renderMemorySvg({ events: 'x' } as unknown as MemoryTimeline), /timeline\.events must be an array, got "x"/],
    ['negative runtimeBytes', () => renderMemorySvg({ ...good(), runtimeBytes: -1 }), /timeline\.runtimeBytes must be a non-negative integer byte count, got -1/],
    ['unknown kind', () => renderMemorySvg(withEvent(2, { kind: 'realloc' })), /events\[2\]\.kind must be 'alloc' or 'free', got "realloc"/],
    ['unknown category', () => renderMemorySvg(withEvent(1, { category: 'cache' })), /events\[1\]\.category must be one of weights, gradients.*got "cache"/],
    ['fractional bytes', () => renderMemorySvg(withEvent(3, { bytes: 1.5 })), /events\[3\]\.bytes must be a non-negative integer byte count, got 1\.5/],
    ['non-string layer', () => renderMemorySvg(withEvent(0, { layer: 7 })), /events\[0\]\.layer must be a string, got 7/],
    ['unknown phase', () => renderMemorySvg(withEvent(4, { phase: 'eval' })), /events\[4\]\.phase must be one of setup, forward, backward, optimizer; got "eval"/],
    ['live missing', () => renderMemorySvg(withEvent(0, { live: undefined })), /events\[0\]\.live must be an object of bytes per category/],
    ['live category missing', () => renderMemorySvg(withEvent(0, { live: { weights: 318_040 } })), /events\[0\]\.live\.gradients must be a non-negative integer byte count, got undefined/],
    ['live inconsistent with the event', () => renderMemorySvg(withEvent(5, { bytes: 25_000 })), /events\[5\]\.live\.workspace is 25600, expected 25000 \(live before 0, event alloc 25000 workspace\)/],
    ['first alloc larger than live', () => renderMemorySvg(withEvent(0, { bytes: 400_000 })), /events\[0\]\.live\.weights is 318040, less than the 400000 bytes this event allocates/],
    ['width too small', () => renderMemorySvg(good(), { width: 100 }), /options\.width must be a number of pixels >= 480, got 100/],
    ['height not a number', () => renderMemorySvg(good(), { height: NaN }), /options\.height must be a number of pixels >= 240, got NaN/],
    ['title not a string', () => renderMemorySvg(good(), { title: 3 as unknown as string }), /options\.title must be a string, got 3/],
    ['findMemoryPeak checks too', () => findMemoryPeak({ events: [null] } as unknown as MemoryTimeline), /findMemoryPeak: timeline\.events\[0\] must be an object, got null/],
  ];
  for (const [what, call, message] of cases) it(`rejects ${what}`, () => expect(call).toThrow(message));
});

// ---------------------------------------------------------------------------
const throughput: ThroughputRow[] = [
  { shape: '64×784×100', gflops: { wasmgrad: 41.3, peak: 56.4, 'tfjs-wasm': 29.8, js: 1.71 } },
  { shape: '1024×1024×1024', gflops: { wasmgrad: 57.6, peak: 56.4, 'tfjs-wasm': 43.7, js: null } },
];

describe('renderThroughputSvg', () => {
  it('groups bars by shape, one bar per measured value, the value printed beside it', () => {
    const svg = parseXml(renderThroughputSvg(throughput));
    const groups = all(svg, byClass('group'));
    expect(groups.map((g) => textOf(all(g, byClass('shape'))[0]!))).toEqual(['64×784×100', '1024×1024×1024']);
    groups.forEach((g, k) => {
      const row = throughput[k]!;
      expect(all(g, byClass('implementation')).map(textOf)).toEqual(['wasmgrad', 'peak', 'tfjs-wasm', 'js']);
      const measured = Object.entries(row.gflops).filter(([, v]) => v !== null) as [string, number][];
      expect(all(g, byClass('bar')).map((b) => b.attrs['data-implementation'])).toEqual(measured.map(([n]) => n));
      expect(all(g, byClass('value')).filter((v) => !byClass('not-measured')(v)).map(textOf)).toEqual(measured.map(([, v]) => formatGflops(v)));
    });
  });

  it('bar lengths are proportional to GFLOP/s', () => {
    const bars = all(parseXml(renderThroughputSvg(throughput)), byClass('bar'));
    const values = throughput.flatMap((r) => Object.values(r.gflops)).filter((v): v is number => v !== null);
    const scale = Number(bars[0]!.attrs.width) / values[0]!;
    bars.forEach((b, i) => expect(Number(b.attrs.width)).toBeCloseTo(values[i]! * scale, 1));
  });

  it('prints n/a for a value not measured, null or absent, and draws no bar', () => {
    const rows: ThroughputRow[] = [{ shape: 'a', gflops: { wasmgrad: 10, js: null } }, { shape: 'b', gflops: { wasmgrad: 12 } }];
    const groups = all(parseXml(renderThroughputSvg(rows)), byClass('group'));
    for (const g of groups) {
      expect(all(g, byClass('bar'))).toHaveLength(1);
      expect(all(g, byClass('not-measured')).map(textOf)).toEqual(['n/a']);
    }
  });

  it('gives each implementation one colour in every group, the fixed one where it has one', () => {
    const rows: ThroughputRow[] = [{ shape: 's', gflops: { wasmgrad: 1, peak: 2, 'tfjs-wasm': 3, js: 4, 'onnx-web': 5 } }, { shape: 't', gflops: { 'onnx-web': 6, wasmgrad: 7 } }];
    const bars = all(parseXml(renderThroughputSvg(rows)), byClass('bar'));
    const colour = new Map<string, string>();
    for (const b of bars) {
      const name = b.attrs['data-implementation']!;
      if (colour.has(name)) expect(b.attrs.fill).toBe(colour.get(name));
      colour.set(name, b.attrs.fill!);
    }
    for (const name of ['wasmgrad', 'peak', 'tfjs-wasm', 'js']) expect(colour.get(name)).toBe(IMPLEMENTATION_COLOURS[name]);
    expect(new Set(colour.values()).size).toBe(5);
  });

  it('escapes shape and implementation names', () => {
    const text = renderThroughputSvg([{ shape: '<b>&big</b>', gflops: { '"mine"<i>': 3 } }]);
    expect(text).not.toContain('<b>');
    const svg = parseXml(text);
    expect(textOf(all(svg, byClass('shape'))[0]!)).toBe('<b>&big</b>');
    expect(textOf(all(svg, byClass('implementation'))[0]!)).toBe('"mine"<i>');
    expect(all(svg, byClass('bar'))[0]!.attrs['data-implementation']).toBe('"mine"<i>');
  });

  it('no rows, or rows that name no implementation, give a placeholder', () => {
    for (const rows of [[], [{ shape: 'x', gflops: {} }]]) {
      const svg = parseXml(renderThroughputSvg(rows));
      expect(svg.attrs.class).toContain('placeholder');
      expect(textOf(all(svg, byClass('placeholder-message'))[0]!)).toMatch(/No throughput measurements/);
    }
  });

  it('all values null: no bars, every value n/a, axis still drawn', () => {
    const svg = parseXml(renderThroughputSvg([{ shape: 'x', gflops: { wasmgrad: null, js: null } }]));
    expect(all(svg, byClass('bar'))).toHaveLength(0);
    expect(all(svg, byClass('not-measured'))).toHaveLength(2);
    expect(all(all(svg, byClass('x-axis'))[0]!, byName('line')).length).toBeGreaterThan(1);
  });

  it('formats GFLOP/s to three significant figures', () => {
    expect([formatGflops(123.4), formatGflops(56.44), formatGflops(1.714), formatGflops(0)]).toEqual(['123', '56.4', '1.71', '0.00']);
  });

  const cases: [string, () => unknown, RegExp][] = [
    ['rows not an array', () => renderThroughputSvg({} as unknown as ThroughputRow[]), /renderThroughputSvg: rows must be an array, got an object/],
    ['a row that is not an object', () => renderThroughputSvg([3 as unknown as ThroughputRow]), /rows\[0\] must be an object, got 3/],
    ['a non-string shape', () => renderThroughputSvg([{ shape: 64 as unknown as string, gflops: {} }]), /rows\[0\]\.shape must be a string, got 64/],
    ['gflops not an object', () => renderThroughputSvg([{ shape: 's', gflops: [1] as unknown as Record<string, number> }]), /rows\[0\]\.gflops must be an object of GFLOP\/s per implementation, got \[1\]$/],
    ['a negative value', () => renderThroughputSvg([{ shape: 's', gflops: { js: -1 } }]), /rows\[0\]\.gflops\["js"\] must be a non-negative finite number or null, got -1/],
    ['NaN', () => renderThroughputSvg([throughput[0]!, { shape: 's', gflops: { wasmgrad: NaN } }]), /rows\[1\]\.gflops\["wasmgrad"\] must be a non-negative finite number or null, got NaN/],
    ['Infinity', () => renderThroughputSvg([{ shape: 's', gflops: { wasmgrad: Infinity } }]), /got Infinity/],
    ['a string value', () => renderThroughputSvg([{ shape: 's', gflops: { wasmgrad: '5' as unknown as number } }]), /got "5"/],
    ['width too small', () => renderThroughputSvg(throughput, { width: 200 }), /options\.width must be a number of pixels >= 480, got 200/],
  ];
  for (const [what, call, message] of cases) it(`rejects ${what}`, () => expect(call).toThrow(message));
});

describe('escapeXml', () => {
  it('round-trips every special character through an XML parser', () => {
    const text = `a<b>&c"d'e`;
    const el = parseXml(`<t a="${escapeXml(text)}">${escapeXml(text)}</t>`);
    expect(el.attrs.a).toBe(text);
    expect(textOf(el)).toBe(text);
  });
});

import { describe, it, expect } from 'vitest';
import type { CategoryBytes } from '../src/memory/categories.js';
import { formatInteger } from '../src/estimate/units.js';
import { renderHtmlReport } from '../src/report/html.js';
import { CATEGORY_COLOURS, type HtmlReport, type LayerRow, type MemoryTimeline } from '../src/report/types.js';

import { all, byClass, byName, parseXml, textOf, type XmlElement } from './helpers/xml.js';

// ---------------------------------------------------------------------------
/** A 784-100-10 MLP, batch 64, Adam: 79,510 float32 parameters = 318,040 B. */
function mlpTimeline(): MemoryTimeline {
  const live: CategoryBytes = { weights: 0, gradients: 0, optimizer: 0, activations: 0, workspace: 0, inputs: 0, kvCache: 0 };
  const steps = [
    ['alloc', 'weights', 318_040, 'model', 'setup'],
    ['alloc', 'gradients', 318_040, 'model', 'setup'],
    ['alloc', 'optimizer', 636_080, 'adam', 'setup'],
    ['alloc', 'inputs', 200_960, 'batch', 'forward'],
    ['alloc', 'activations', 25_600, 'relu1', 'forward'],
    ['alloc', 'workspace', 25_600, 'linear2', 'backward'],
    ['free', 'activations', 25_600, 'relu1', 'backward'],
    ['free', 'workspace', 25_600, 'linear1', 'backward'],
    ['alloc', 'workspace', 1_024, 'adam', 'optimizer'],
  ] as const;
  const events = steps.map(([kind, category, bytes, layer, phase]) => {
    live[category] += kind === 'alloc' ? bytes : -bytes;
    return { kind, category, bytes, layer, phase, live: { ...live } };
  });
  return { events, runtimeBytes: 131_072 };
}

const layers: LayerRow[] = [
  { name: 'linear1', outputShape: [64, 100], parameters: 78_500, macsForward: 5_030_400, macsBackward: 5_024_000, savedBytes: 0 },
  { name: 'relu1', outputShape: [64, 100], parameters: 0, macsForward: 0, macsBackward: 0, savedBytes: 25_600 },
  { name: 'linear2', outputShape: [64, 10], parameters: 1_010, macsForward: 64_640, macsBackward: 128_640, savedBytes: 0 },
  { name: 'loss', outputShape: [], parameters: 0, macsForward: 0, macsBackward: 0, savedBytes: 2_560 },
];

function sampleReport(): HtmlReport {
  return {
    title: 'MLP 784-100-10, one Adam step',
    subtitle: 'batch 64, float32',
    meta: { model: 'Linear(784, 100), ReLU, Linear(100, 10)', batch: '64', optimizer: 'Adam' },
    categories: [
      { category: 'weights', measured: 318_040, estimated: 318_040, peak: 318_040 },
      { category: 'gradients', measured: 318_040, estimated: 318_040 },
      { category: 'optimizer', measured: 636_080, estimated: 636_080 },
      { category: 'activations', measured: 28_160, estimated: 28_160 },
      { category: 'workspace', measured: 91_136, estimated: 90_112 },
      { category: 'inputs', measured: 200_960, estimated: 201_000 },
      { category: 'runtime', measured: 131_072, estimated: null },
      { category: 'total', measured: 1_723_488, estimated: null, peak: null },
    ],
    layers,
    timeline: mlpTimeline(),
    throughput: [
      { shape: '256×256×256', gflops: { wasmgrad: 54.9, peak: 56.4, 'tfjs-wasm': 38.2, js: 1.68 } },
      { shape: '1024×1024×1024', gflops: { wasmgrad: 57.6, peak: 56.4, 'tfjs-wasm': 43.7, js: null } },
    ],
  };
}

const page = (report: HtmlReport) => parseXml(renderHtmlReport(report));
const cellsOf = (row: XmlElement) => row.children.filter((c): c is XmlElement => typeof c !== 'string' && (c.name === 'td' || c.name === 'th'));
/** A cell's exact figure, without the human-readable line under it. */
const exactOf = (cell: XmlElement) => cell.children.filter((c) => typeof c === 'string').join('');

describe('renderHtmlReport: the page', () => {
  it('is one well-formed page with <title> and <h1> from the report title', () => {
    const html = page(sampleReport());
    expect(html.name).toBe('html');
    expect(html.attrs.lang).toBe('en');
    expect(textOf(all(html, byName('title'))[0]!)).toBe('MLP 784-100-10, one Adam step');
    expect(all(html, byName('h1')).map(textOf)).toEqual(['MLP 784-100-10, one Adam step']);
    expect(textOf(all(html, byClass('subtitle'))[0]!)).toBe('batch 64, float32');
    expect(all(html, byName('meta')).some((m) => m.attrs.charset === 'utf-8')).toBe(true);
    expect(renderHtmlReport(sampleReport()).startsWith('<!DOCTYPE html>\n')).toBe(true);
  });

  it('loads nothing from outside and runs no script', () => {
    const text = renderHtmlReport(sampleReport());
    const html = parseXml(text);
    for (const tag of ['script', 'link', 'img', 'iframe', 'object', 'embed', 'image', 'use'])
      expect(all(html, byName(tag)), `<${tag}>`).toHaveLength(0);
    expect(all(html, (e) => 'src' in e.attrs || 'href' in e.attrs || 'xlink:href' in e.attrs)).toHaveLength(0);
    expect(all(html, (e) => Object.keys(e.attrs).some((a) => a.startsWith('on')))).toHaveLength(0);
    expect(text).not.toMatch(/url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg")/);
  });

  it('inlines the memory and throughput charts', () => {
    const html = page(sampleReport());
    const svgs = all(html, byName('svg'));
    expect(svgs.map((s) => s.attrs.class)).toEqual(['wasmgrad-memory', 'wasmgrad-throughput']);
    expect(all(svgs[0]!, byName('path')).length).toBeGreaterThan(0);
    expect(all(svgs[1]!, byClass('bar')).length).toBe(7);
  });

  it('escapes the title, subtitle and metadata', () => {
    const report = { ...sampleReport(), title: '<i>MLP</i> & "friends"', subtitle: '</p><p>', meta: { '<key>': 'a & b <c>' } };
    const text = renderHtmlReport(report);
    expect(text).not.toContain('<i>MLP');
    const html = parseXml(text);
    expect(textOf(all(html, byName('title'))[0]!)).toBe(report.title);
    expect(textOf(all(html, byName('h1'))[0]!)).toBe(report.title);
    expect(textOf(all(html, byClass('subtitle'))[0]!)).toBe('</p><p>');
    const row = all(all(html, byClass('meta'))[0]!, byName('tr'))[0]!;
    expect(cellsOf(row).map(textOf)).toEqual(['<key>', 'a & b <c>']);
  });

  it('shows only the sections it has data for', () => {
    const html = page({ title: 'bare', meta: {} });
    expect(all(html, byName('section'))).toHaveLength(0);
    expect(all(html, byName('svg'))).toHaveLength(0);
    expect(all(html, byName('h1')).map(textOf)).toEqual(['bare']);
    const withMeta = page({ title: 'bare', meta: { engine: 'V8' } });
    expect(all(withMeta, byName('section')).map((s) => s.attrs.id)).toEqual(['run']);
  });

  it('an empty timeline and empty throughput become placeholders that say why', () => {
    const html = page({ title: 'empty', meta: {}, timeline: { events: [] }, throughput: [] });
    const svgs = all(html, byName('svg'));
    expect(svgs).toHaveLength(2);
    for (const s of svgs) expect(s.attrs.class).toContain('placeholder');
    expect(all(html, byClass('placeholder-message')).map(textOf)).toEqual([
      expect.stringMatching(/No allocator events/),
      expect.stringMatching(/No throughput measurements/),
    ]);
    // The note explaining how to read the chart goes with the chart.
    expect(all(all(html, (e) => e.attrs.id === 'memory-timeline')[0]!, byClass('note'))).toHaveLength(0);
  });
});

describe('renderHtmlReport: memory by category', () => {
  const rows = () => all(all(page(sampleReport()), byClass('categories'))[0]!, (e) => e.name === 'tr' && 'data-category' in e.attrs);

  it('one row per category row given, exact bytes with thousands separators', () => {
    const r = rows();
    const report = sampleReport();
    expect(r.map((row) => row.attrs['data-category'])).toEqual(report.categories!.map((c) => c.category));
    r.forEach((row, i) => {
      const [, measured, estimated] = cellsOf(row);
      const given = report.categories![i]!;
      expect(exactOf(measured!)).toBe(formatInteger(given.measured!));
      expect(exactOf(estimated!)).toBe(given.estimated === null ? 'n/a' : formatInteger(given.estimated));
    });
  });

  it('adds the human-readable size in binary units under figures of 1 KiB or more', () => {
    const weights = rows().find((r) => r.attrs['data-category'] === 'weights')!;
    expect(textOf(all(cellsOf(weights)[1]!, byClass('human'))[0]!)).toBe(`${(318_040 / 1024).toPrecision(4)} KiB`);
    const small = page({ title: 't', meta: {}, categories: [{ category: 'inputs', measured: 256, estimated: 256 }] });
    expect(all(small, byClass('human'))).toHaveLength(0);
  });

  it('shows measured minus estimated: exact, signed difference, or n/a', () => {
    const byCat = new Map(rows().map((r) => [r.attrs['data-category'], textOf(cellsOf(r)[3]!)]));
    expect(byCat.get('weights')).toBe('0 (exact)');
    expect(byCat.get('workspace')).toBe(`+${formatInteger(91_136 - 90_112)}`);
    expect(byCat.get('inputs')).toBe(`−${formatInteger(201_000 - 200_960)}`);
    expect(byCat.get('runtime')).toBe('n/a');
  });

  it('has a peak column when any row gives a peak, n/a where a row does not', () => {
    const r = rows();
    expect(cellsOf(r[0]!)).toHaveLength(5);
    expect(exactOf(cellsOf(r[0]!)[4]!)).toBe('318,040');
    expect(textOf(cellsOf(r[1]!)[4]!)).toBe('n/a');
    const noPeak = page({ title: 't', meta: {}, categories: [{ category: 'weights', measured: 1, estimated: 1 }] });
    expect(all(all(noPeak, byClass('categories'))[0]!, byName('th'))).toHaveLength(4);
  });

  it('has an at-the-peak column when any row gives one, says the peak is its sum, and names the runtime as outside it', () => {
    const report: HtmlReport = {
      title: 't',
      meta: {},
      categories: [
        { category: 'weights', measured: 100, estimated: 100, atPeak: 100 },
        { category: 'workspace', measured: 60, estimated: 60, atPeak: 20 },
        { category: 'total', measured: 120, estimated: 120, atPeak: 120 },
        { category: 'runtime', measured: 50, estimated: null, atPeak: null },
      ],
    };
    const section = all(page(report), (e) => e.attrs.id === 'categories')[0]!;
    expect(all(section, byName('th')).map(textOf).pop()).toBe('At the peak (B)');
    const r = all(section, (e) => e.name === 'tr' && 'data-category' in e.attrs).map((row) => cellsOf(row).map(textOf));
    expect(r.map((cells) => [cells[0], cells[4]])).toEqual([['weights', '100'], ['workspace', '20'], ['peak', '120'], ['runtime (not in the peak)', 'n/a']]);
    const notes = all(section, byClass('note')).map(textOf);
    expect(notes.filter((n) => /sum to the peak/.test(n))).toHaveLength(1);
    expect(notes.filter((n) => /need not coincide/.test(n))).toHaveLength(1);
    // Without at-the-peak figures the table and its notes are as before.
    expect(all(all(page(sampleReport()), (e) => e.attrs.id === 'categories')[0]!, byClass('note'))).toHaveLength(1);
  });

  it('colours each category as the memory chart does', () => {
    const html = page(sampleReport());
    const chartFill = new Map(all(all(html, byName('svg'))[0]!, byName('path')).map((p) => [p.attrs['data-band'], p.attrs.fill]));
    for (const row of rows()) {
      const category = row.attrs['data-category']!;
      const swatch = all(row, byClass('swatch'))[0];
      if (category === 'total') {
        expect(swatch).toBeUndefined();
        continue;
      }
      expect(swatch!.attrs.style).toBe(`background:${CATEGORY_COLOURS[category as keyof typeof CATEGORY_COLOURS]}`);
      if (chartFill.has(category)) expect(swatch!.attrs.style).toBe(`background:${chartFill.get(category)}`);
    }
    expect(chartFill.size).toBeGreaterThanOrEqual(6);
  });
});

describe('renderHtmlReport: layers', () => {
  const table = (report: HtmlReport) => all(page(report), byClass('layers'))[0]!;

  it('one row per layer: escaped name, shape, parameters, MACs and saved bytes', () => {
    const body = all(all(table(sampleReport()), byName('tbody'))[0]!, byName('tr'));
    expect(body).toHaveLength(layers.length + 1);
    layers.forEach((l, i) => {
      const cells = cellsOf(body[i]!);
      expect(textOf(cells[0]!)).toBe(l.name);
      expect(textOf(cells[1]!)).toBe(l.outputShape.length === 0 ? 'scalar' : l.outputShape.join(' × '));
      expect(cells.slice(2, 5).map(textOf)).toEqual([l.parameters, l.macsForward, l.macsBackward].map(formatInteger));
      expect(exactOf(cells[5]!)).toBe(formatInteger(l.savedBytes));
    });
  });

  it('ends with totals of parameters and MACs', () => {
    const body = all(all(table(sampleReport()), byName('tbody'))[0]!, byName('tr'));
    const total = cellsOf(body[body.length - 1]!).map(textOf);
    const sum = (f: (l: LayerRow) => number) => formatInteger(layers.reduce((s, l) => s + f(l), 0));
    expect(total).toEqual(['total', '', sum((l) => l.parameters), sum((l) => l.macsForward), sum((l) => l.macsBackward), '']);
    expect(total[2]).toBe('79,510');
  });

  it('escapes layer names, which come from users', () => {
    const name = '<img src=x onerror="alert(1)">&amp;';
    const text = renderHtmlReport({ title: 't', meta: {}, layers: [{ ...layers[0]!, name }] });
    expect(text).not.toContain('<img');
    expect(textOf(all(all(parseXml(text), byClass('layers'))[0]!, byName('code'))[0]!)).toBe(name);
  });

  it('an empty layer list gives a header and no total row', () => {
    const t = table({ title: 't', meta: {}, layers: [] });
    expect(all(all(t, byName('tbody'))[0]!, byName('tr'))).toHaveLength(0);
  });
});

describe('renderHtmlReport: bad input', () => {
  const bad = (patch: Record<string, unknown>) => () => renderHtmlReport({ ...sampleReport(), ...patch } as HtmlReport);
  const cases: [string, () => unknown, RegExp][] = [
    ['a report that is not an object', () => renderHtmlReport(undefined as unknown as HtmlReport), /renderHtmlReport: report must be an object, got undefined/],
    ['an empty title', bad({ title: '  ' }), /report\.title must be a non-empty string, got "  "/],
    ['a non-string subtitle', bad({ subtitle: 5 }), /report\.subtitle must be a string when given, got 5/],
    ['meta that is not an object', bad({ meta: ['a'] }), /report\.meta must be an object of strings, got an array of 1$/],
    ['a non-string meta value', bad({ meta: { batch: 64 } }), /report\.meta\["batch"\] must be a string, got 64/],
    ['categories not an array', bad({ categories: {} }), /report\.categories must be an array, got an object/],
    ['an unknown category', bad({ categories: [{ category: 'cache', measured: 1, estimated: 1 }] }), /report\.categories\[0\]\.category must be one of weights, .*runtime, total; got "cache"/],
    ['a negative measured value', bad({ categories: [{ category: 'weights', measured: -4, estimated: 1 }] }), /report\.categories\[0\]\.measured must be a non-negative integer byte count or null, got -4/],
    ['a fractional estimate', bad({ categories: [{ category: 'weights', measured: 4, estimated: 0.5 }] }), /report\.categories\[0\]\.estimated must be .* got 0\.5/],
    ['a bad peak', bad({ categories: [{ category: 'weights', measured: 4, estimated: 4, peak: 'big' }] }), /report\.categories\[0\]\.peak must be .* got "big"/],
    ['a bad at-the-peak figure', bad({ categories: [{ category: 'weights', measured: 4, estimated: 4, atPeak: -1 }] }), /report\.categories\[0\]\.atPeak must be .* got -1/],
    ['layers not an array', bad({ layers: 'linear' }), /report\.layers must be an array, got "linear"/],
    ['a non-string layer name', bad({ layers: [{ ...layers[0]!, name: null }] }), /report\.layers\[0\]\.name must be a string, got null/],
    ['a bad output shape', bad({ layers: [layers[0]!, { ...layers[1]!, outputShape: [64, -1] }] }), /report\.layers\[1\]\.outputShape must be an array of non-negative integers, got \[64,-1\]/],
    ['negative MACs', bad({ layers: [{ ...layers[0]!, macsBackward: -1 }] }), /report\.layers\[0\]\.macsBackward must be a non-negative integer, got -1/],
    ['an inconsistent timeline', bad({ timeline: { events: [{ ...mlpTimeline().events[0]!, phase: 'eval' }] } }), /renderHtmlReport: report\.timeline\.events\[0\]\.phase must be one of/],
    ['bad throughput', bad({ throughput: [{ shape: 's', gflops: { js: -2 } }] }), /renderHtmlReport: report\.throughput\[0\]\.gflops\["js"\] must be a non-negative finite number or null, got -2/],
  ];
  for (const [what, call, message] of cases) it(`rejects ${what}`, () => expect(call).toThrow(message));
});

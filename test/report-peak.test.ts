// One peak figure on every surface of a profile: the text table, the JSON
// document, the HTML page and its memory chart all report the same peak (the
// most the training categories held at once, runtime not included), and each
// shows the peak's composition, which sums to it.

import { beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../src/memory/categories.js';
import { mlp } from '../src/nn/layers.js';
import { profileMlp, type MlpProfile } from '../src/profile/profile-mlp.js';
import { renderMemorySvg } from '../src/report/memory-svg.js';
import { profileDocument, profileHtml, renderProfileTable } from '../src/report/profile-report.js';
import { all, byClass, byName, linesOf, parseXml, textOf, type XmlElement } from './helpers/xml.js';

const layers = mlp([784, 100, 10], 'relu');
let p: MlpProfile;
beforeAll(async () => {
  p = await profileMlp({ layers, batch: 64, optimizer: 'adam', build: 'simd', seed: 1 });
});

/** The first integer with thousands separators in a piece of text. */
const bytesIn = (text: string) => Number(/\d[\d,]*/.exec(text)![0].replaceAll(',', ''));
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
/** A cell's exact figure, without the human-readable size under it. */
const exactOf = (cell: XmlElement) => cell.children.filter((c) => typeof c === 'string').join('');
const cellsOf = (row: XmlElement) => row.children.filter((c): c is XmlElement => typeof c !== 'string' && (c.name === 'td' || c.name === 'th'));

/** The memory table of the text report: row label -> its columns (split where two or more spaces separate them). */
function textMemoryTable(text: string): { header: string[]; rows: Map<string, string[]> } {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^category\s/.test(l));
  const header = lines[start]!.split(/\s{2,}/);
  const rows = new Map<string, string[]>();
  for (const l of lines.slice(start + 1)) {
    const [label, ...cells] = l.split(/\s{2,}/);
    if ([...CATEGORIES, 'peak', 'runtime'].includes(label!)) rows.set(label!, cells);
  }
  return { header, rows };
}

/** The peak label and the legend of a memory chart. */
function chartPeak(svg: XmlElement) {
  const label = linesOf(all(svg, byClass('peak-label'))[0]!);
  const items = all(svg, byClass('legend-item')).map((g) => [g.attrs['data-band']!, bytesIn(textOf(all(g, byName('text'))[1]!))] as const);
  const total = all(svg, byClass('legend-peak'))[0];
  return { label: bytesIn(label[0]!), firstLine: label[0]!, legend: new Map(items), legendTotal: total && bytesIn(textOf(total)) };
}

describe('the peak of a profile', () => {
  it('is the most the training categories held at once, runtime not included, and a category peaks on its own schedule', () => {
    expect(p.measured.peakTotal).toBe(p.estimated.peakTotal);
    expect(sum(Object.values(p.measured.atPeak))).toBe(p.measured.peakTotal);
    // This network is a case where the categories' own maxima do not coincide: they add up to more than the peak.
    expect(sum(Object.values(p.measured.peak))).toBeGreaterThan(p.measured.peakTotal);
    expect(p.measured.runtimeBytes).toBeGreaterThan(0);
  });

  it('is one figure in the text table, the JSON, the HTML page and the memory chart', () => {
    const peak = p.measured.peakTotal;
    const { rows } = textMemoryTable(renderProfileTable(profileDocument(p, layers)));
    expect(bytesIn(rows.get('peak')![0]!), 'text: the peak row, measured').toBe(peak);

    const json = profileDocument(p, layers);
    expect(json.peak.measured, 'JSON peak.measured').toBe(peak);
    expect((json.categories.total as { measured: number }).measured, 'JSON categories.total.measured').toBe(peak);

    const html = parseXml(profileHtml(p, layers));
    const meta = all(all(html, byClass('meta'))[0]!, byName('tr')).map((r) => cellsOf(r).map(textOf));
    const metaPeak = meta.filter(([k]) => /peak/.test(k!));
    expect(metaPeak, 'HTML run table: rows naming the peak').toHaveLength(1);
    expect(bytesIn(metaPeak[0]![1]!), 'HTML run table').toBe(peak);
    const totalRow = all(html, (e) => e.name === 'tr' && e.attrs['data-category'] === 'total')[0]!;
    expect(bytesIn(exactOf(cellsOf(totalRow)[1]!)), 'HTML category table, total row').toBe(peak);
    const embedded = chartPeak(all(html, byName('svg'))[0]!);
    expect(embedded.label, `HTML chart: "${embedded.firstLine}"`).toBe(peak);

    const standalone = chartPeak(parseXml(renderMemorySvg({ events: p.events, runtimeBytes: p.measured.runtimeBytes })));
    expect(standalone.label, `SVG chart: "${standalone.firstLine}"`).toBe(peak);
  });

  it('comes with its composition, each category at the peak moment, which sums to the peak on every surface', () => {
    const peak = p.measured.peakTotal;
    const text = renderProfileTable(profileDocument(p, layers));
    const { header, rows } = textMemoryTable(text);
    const at = header.indexOf('at the peak') - 1;
    expect(at, `text header ${JSON.stringify(header)}`).toBeGreaterThanOrEqual(0);
    const textAt = CATEGORIES.map((c) => bytesIn(rows.get(c)![at]!));
    expect(textAt).toEqual(CATEGORIES.map((c) => p.measured.atPeak[c]));
    expect(sum(textAt)).toBe(peak);
    expect(bytesIn(rows.get('peak')![at]!)).toBe(peak);
    // One line says why the own peaks add up to more.
    expect(text.split('\n').filter((l) => /need not coincide/.test(l))).toHaveLength(1);

    expect(sum(Object.values(profileDocument(p, layers).peak.atPeak))).toBe(peak);

    const html = parseXml(profileHtml(p, layers));
    const table = all(html, byClass('categories'))[0]!;
    const heads = all(table, byName('th')).map(textOf);
    const col = heads.findIndex((h) => /^at the peak/i.test(h));
    expect(col, `HTML header ${JSON.stringify(heads)}`).toBeGreaterThan(0);
    const htmlAt = CATEGORIES.map((c) => {
      const row = all(table, (e) => e.name === 'tr' && e.attrs['data-category'] === c)[0]!;
      return bytesIn(exactOf(cellsOf(row)[col]!));
    });
    expect(sum(htmlAt)).toBe(peak);
    const runtimeRow = all(table, (e) => e.name === 'tr' && e.attrs['data-category'] === 'runtime')[0]!;
    expect(textOf(cellsOf(runtimeRow)[0]!)).toMatch(/runtime.*not in the peak/);
    expect(all(html, byClass('note')).map(textOf).filter((t) => /need not coincide/.test(t))).toHaveLength(1);

    const chart = chartPeak(all(html, byName('svg'))[0]!);
    expect(chart.legend.has('runtime'), 'the runtime is no band of the peak').toBe(false);
    expect(sum([...chart.legend.values()])).toBe(peak);
    expect(chart.legendTotal).toBe(peak);
  });
});

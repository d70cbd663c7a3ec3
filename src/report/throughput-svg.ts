/**
 * GEMM throughput as horizontal bars: one group per shape, one bar per
 * implementation, the value printed at the end of each bar. A value that was
 * not measured is written "n/a" rather than drawn as a zero-length bar, which
 * would read as "measured, and slow".
 */
import { describeValue } from '../errors.js';
import {
  SVG_FONT,
  badInput,
  decimalsOf,
  escapeXml,
  niceStep,
  placeholderSvg,
  svgNumber,
  type ThroughputRow,
} from './types.js';

export interface ThroughputSvgOptions {
  width?: number;
  /** Drawn at the top-left and used as the SVG's accessible name. */
  title?: string;
}

const DEFAULT_TITLE = 'GEMM throughput, single thread';

/**
 * Fixed colours for the implementations wasmgrad benchmarks (Okabe-Ito palette);
 * the register-only peak probe is grey because it is a ceiling, not a competitor.
 */
export const IMPLEMENTATION_COLOURS: Readonly<Record<string, string>> = {
  wasmgrad: '#0072B2',
  peak: '#999999',
  'tfjs-wasm': '#E69F00',
  js: '#CC79A7',
};
/** Colours handed out, in order, to implementations not named above. */
const SPARE_COLOURS = ['#009E73', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/** Every implementation named in any row, in first-seen order: the order of bars in each group. */
export function implementationsOf(rows: readonly ThroughputRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const name of Object.keys(r.gflops)) seen.add(name);
  return [...seen];
}

/** A colour for each implementation: the fixed one if it has one, else the next spare. */
export function implementationColours(implementations: readonly string[]): Map<string, string> {
  const colours = new Map<string, string>();
  let spare = 0;
  for (const name of implementations) {
    colours.set(name, IMPLEMENTATION_COLOURS[name] ?? SPARE_COLOURS[spare++ % SPARE_COLOURS.length]!);
  }
  return colours;
}

/** GFLOP/s with three significant figures at most: 56.4, 1.72, 123. */
export function formatGflops(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function validateThroughputRows(rows: readonly ThroughputRow[], fn = 'renderThroughputSvg', field = 'rows'): void {
  if (!Array.isArray(rows)) throw badInput(fn, field, `must be an array, got ${describeValue(rows)}`);
  rows.forEach((r, i) => {
    const at = `${field}[${i}]`;
    if (r === null || typeof r !== 'object') throw badInput(fn, at, `must be an object, got ${describeValue(r)}`);
    if (typeof r.shape !== 'string') throw badInput(fn, `${at}.shape`, `must be a string, got ${describeValue(r.shape)}`);
    if (r.gflops === null || typeof r.gflops !== 'object' || Array.isArray(r.gflops))
      throw badInput(fn, `${at}.gflops`, `must be an object of GFLOP/s per implementation, got ${describeValue(r.gflops)}`);
    for (const [name, v] of Object.entries(r.gflops)) {
      if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
        throw badInput(fn, `${at}.gflops[${JSON.stringify(name)}]`, `must be a non-negative finite number or null, got ${describeValue(v)}`);
    }
  });
}

export function renderThroughputSvg(rows: readonly ThroughputRow[], options: ThroughputSvgOptions = {}): string {
  validateThroughputRows(rows);
  const width = options.width ?? 960;
  if (typeof width !== 'number' || !Number.isFinite(width) || width < 480)
    throw badInput('renderThroughputSvg', 'options.width', `must be a number of pixels >= 480, got ${describeValue(width)}`);
  const title = options.title ?? DEFAULT_TITLE;
  if (typeof title !== 'string') throw badInput('renderThroughputSvg', 'options.title', `must be a string, got ${describeValue(title)}`);

  const implementations = implementationsOf(rows);
  if (rows.length === 0 || implementations.length === 0)
    return placeholderSvg('wasmgrad-throughput', width, title, 'No throughput measurements to draw.');
  const colours = implementationColours(implementations);

  const barH = 16, barGap = 4, headerH = 22, groupGap = 12;
  const left = 150, right = width - 70, top = 44;
  const groupH = headerH + implementations.length * (barH + barGap) + groupGap;
  const bottom = top + rows.length * groupH;
  const height = bottom + 46;

  const measured = rows.flatMap((r) => Object.values(r.gflops)).filter((v): v is number => v !== null);
  const max = Math.max(0, ...measured);
  const step = niceStep(max, 6);
  const topValue = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  const x = (v: number) => left + (v / topValue) * (right - left);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="wasmgrad-throughput" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${SVG_FONT}" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" fill="#222">${escapeXml(title)}</text>`,
  ];

  // Vertical grid and the value axis.
  const decimals = decimalsOf(step);
  out.push('<g class="x-axis" fill="#444">');
  for (let k = 0; k * step <= topValue + 1e-9; k++) {
    const gx = svgNumber(x(k * step));
    out.push(
      `<line x1="${gx}" x2="${gx}" y1="${top}" y2="${bottom}" stroke="#000" stroke-opacity="${k === 0 ? 0.5 : 0.1}"/>`,
      `<text x="${gx}" y="${bottom + 16}" text-anchor="middle">${(k * step).toFixed(decimals)}</text>`,
    );
  }
  out.push(`<text x="${svgNumber((left + right) / 2)}" y="${bottom + 36}" text-anchor="middle">GFLOP/s (higher is better)</text></g>`);

  rows.forEach((row, g) => {
    const gy = top + g * groupH;
    out.push(
      `<g class="group">`,
      `<text class="shape" x="12" y="${gy + 15}" font-weight="600" fill="#222">${escapeXml(row.shape)}</text>`,
    );
    implementations.forEach((name, b) => {
      const y = gy + headerH + b * (barH + barGap);
      const value = row.gflops[name] ?? null;
      out.push(`<text class="implementation" x="${left - 8}" y="${y + barH / 2}" dy="0.32em" text-anchor="end" fill="#333">${escapeXml(name)}</text>`);
      if (value === null) {
        out.push(`<text class="value not-measured" x="${left + 6}" y="${y + barH / 2}" dy="0.32em" fill="#777" font-style="italic">n/a</text>`);
        return;
      }
      const w = x(value) - left;
      out.push(
        `<rect class="bar" data-implementation="${escapeXml(name)}" x="${left}" y="${y}" width="${svgNumber(w)}" height="${barH}" fill="${colours.get(name)}"/>`,
        `<text class="value" x="${svgNumber(left + w + 6)}" y="${y + barH / 2}" dy="0.32em" fill="#222">${formatGflops(value)}</text>`,
      );
    });
    out.push('</g>');
  });

  out.push('</svg>');
  return out.join('\n');
}

/**
 * The data a wasmgrad report is drawn from, plus the small vocabulary every
 * renderer shares: how a category is coloured, how an axis picks its unit and
 * ticks, how text is escaped. (Integers and byte counts are spelled by
 * ../estimate/units.ts, as in every other wasmgrad report.) Renderers are pure
 * string builders, so they run unchanged in Node and in a browser page.
 */
import { ArgumentError } from '../errors.js';
import type { Category, CategoryBytes } from '../memory/categories.js';
import type { MemoryEvent } from '../memory/events.js';

export type { Category, CategoryBytes, MemoryEvent };
export { PHASES, type Phase } from '../memory/categories.js';

export interface MemoryTimeline {
  events: MemoryEvent[];
  /** WASM memory the allocator does not own (static data, stack, overhead); drawn as a flat band at the bottom. */
  runtimeBytes?: number;
}

export interface ThroughputRow {
  shape: string;
  /** GFLOP/s per implementation (e.g. wasmgrad, peak, tfjs-wasm, js); null = not measured. */
  gflops: Record<string, number | null>;
}

export interface CategoryRow {
  category: Category | 'runtime' | 'total';
  measured: number | null;
  estimated: number | null;
  peak?: number | null;
  /** Bytes the category held at the moment of the peak total (see PEAK_DEFINITION); these sum to the total row. */
  atPeak?: number | null;
}

export interface LayerRow {
  name: string;
  outputShape: number[];
  parameters: number;
  macsForward: number;
  macsBackward: number;
  savedBytes: number;
}

export interface HtmlReport {
  title: string;
  subtitle?: string;
  meta: Record<string, string>;
  categories?: CategoryRow[];
  layers?: LayerRow[];
  timeline?: MemoryTimeline;
  throughput?: ThroughputRow[];
}

/**
 * The peak every wasmgrad report shows, in the same words on every surface
 * (text, JSON, HTML, SVG, demo): one moment's sum over the training
 * categories. The runtime's share of WASM memory is reported beside it, never in it.
 */
export const PEAK_DEFINITION = 'peak: the most the training categories held at once, runtime not included';
/** What the composition columns show. */
export const AT_PEAK_NOTE = 'at the peak: what each category held at that moment; these sum to the peak';
/** Why the categories' own peaks add up to more than the peak. */
export const OWN_PEAKS_NOTE = "own peaks (each category's maximum) need not coincide, so they add up to more than the peak";
/** What the runtime row is, and that it is outside the peak. */
export const RUNTIME_NOTE = 'WASM memory no category owns (static data, stack, allocator headers, free blocks); not in the peak';

/**
 * One fixed colour per category, from the Okabe-Ito palette (Okabe & Ito, 2008),
 * which stays distinguishable under the common colour-vision deficiencies.
 * Neighbours in the memory chart's stack differ in lightness as well as hue.
 */
export const CATEGORY_COLOURS: Readonly<Record<Category | 'runtime', string>> = {
  runtime: '#999999',
  weights: '#0072B2',
  gradients: '#56B4E9',
  optimizer: '#009E73',
  inputs: '#F0E442',
  activations: '#D55E00',
  workspace: '#CC79A7',
  kvCache: '#E69F00',
};

/** Escapes text for XML and HTML, in element content and in quoted attributes alike. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A binary byte unit: KiB = 1024 B (IEC 80000-13), never mixed with decimal MB. */
export interface ByteUnit {
  name: 'B' | 'KiB' | 'MiB' | 'GiB';
  bytes: number;
}

export const BYTE_UNITS: readonly ByteUnit[] = [
  { name: 'B', bytes: 1 },
  { name: 'KiB', bytes: 1024 },
  { name: 'MiB', bytes: 1024 ** 2 },
  { name: 'GiB', bytes: 1024 ** 3 },
];

/** The largest unit in which `bytes` is at least 1 (B for anything below 1 KiB). */
export function byteUnitFor(bytes: number): ByteUnit {
  let unit = BYTE_UNITS[0]!;
  for (const u of BYTE_UNITS) if (Math.abs(bytes) >= u.bytes) unit = u;
  return unit;
}

/**
 * A round tick step (1, 2, 2.5 or 5 times a power of ten) that splits [0, max]
 * into about `targetTicks` intervals. Returns 1 for max <= 0 so an empty axis still has a scale.
 */
export function niceStep(max: number, targetTicks: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const raw = max / targetTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  return step;
}

/** Decimal digits needed to print multiples of `step` exactly (2.5 -> 1, 0.25 -> 2, 20 -> 0). */
export function decimalsOf(step: number): number {
  for (let d = 0; d < 10; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) return d;
  return 10;
}

/** A coordinate for SVG output: two decimals at most, no trailing zeros. */
export function svgNumber(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** What a renderer throws for a bad input: `<fn>: <field> <problem>`, an ArgumentError that names the field. */
export function badInput(fn: string, field: string, problem: string): ArgumentError {
  return new ArgumentError(`${fn}: ${field} ${problem}`, { field });
}

export const SVG_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

/** A small, valid SVG that says why there is no chart, in place of an empty or broken one. */
export function placeholderSvg(className: string, width: number, title: string, message: string): string {
  const height = 120;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="${className} placeholder" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${SVG_FONT}" font-size="13">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="1" y="1" width="${width - 2}" height="${height - 2}" rx="6" fill="#fafafa" stroke="#bbb" stroke-dasharray="6 4"/>`,
    `<text x="${width / 2}" y="50" text-anchor="middle" font-weight="600" fill="#333">${escapeXml(title)}</text>`,
    `<text class="placeholder-message" x="${width / 2}" y="76" text-anchor="middle" fill="#666">${escapeXml(message)}</text>`,
    '</svg>',
  ].join('\n');
}

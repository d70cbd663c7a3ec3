/**
 * The picture of one training step's memory: live bytes per category, stacked,
 * as a step chart over the allocator's event sequence. Phases are shaded and
 * named, the peak is marked with its exact total and what it is made of.
 * The peak is PEAK_DEFINITION's, the figure every other report shows: the
 * runtime's share of WASM memory is named in the legend but neither stacked
 * nor counted, so the top of the stack at the peak reads the peak.
 *
 * The x axis is event order, not time: every allocation or free gets the same
 * width, so a burst of small temporaries is as visible as one large block.
 */
import { CATEGORIES, sumCategoryBytes, type Category } from '../memory/categories.js';
import { formatBytes, formatInteger } from '../estimate/units.js';
import { describeValue } from '../errors.js';
import {
  CATEGORY_COLOURS,
  PEAK_DEFINITION,
  PHASES,
  byteUnitFor,
  decimalsOf,
  escapeXml,
  niceStep,
  svgNumber,
  placeholderSvg,
  SVG_FONT as FONT,
  badInput,
  type MemoryEvent,
  type MemoryTimeline,
  type Phase,
} from './types.js';

/**
 * Stacking order, bottom to top: the blocks that live across steps first,
 * transient memory last, so activations and workspace rise and fall visibly on
 * a flat base (a generation's KV cache lives across its decode steps).
 */
export const STACK_ORDER: readonly Category[] = ['weights', 'gradients', 'optimizer', 'kvCache', 'inputs', 'activations', 'workspace'];

export interface MemoryPeak {
  /** Index of the first event after which the training categories together hold the most. */
  index: number;
  event: MemoryEvent;
  /** The peak: every allocator category's live bytes after `event` (runtime not included). */
  totalBytes: number;
  /** Its composition: the non-empty categories at the peak, largest first (ties keep stacking order); they sum to totalBytes. */
  bands: { band: Category; bytes: number }[];
  /** The timeline's runtime bytes, reported beside the peak. */
  runtimeBytes: number;
}

export interface MemorySvgOptions {
  width?: number;
  height?: number;
  /** Drawn at the top-left and used as the SVG's accessible name. */
  title?: string;
}

const DEFAULT_TITLE = 'Live memory by training category';

const PHASE_FILL: Record<Phase, string> = {
  setup: '#f2f2f2',
  forward: '#e8f0f8',
  backward: '#f8ece4',
  optimizer: '#e6f3ec',
};
const PHASE_EDGE: Record<Phase, string> = {
  setup: '#b0b0b0',
  forward: '#7fa6cc',
  backward: '#cc9a7a',
  optimizer: '#76b093',
};

/** Rough advance of one character at 12px, for laying out labels without a text engine. */
const CHAR_WIDTH = 7;

/** Checks a timeline against its contract, so the chart never draws numbers it should not. */
export function validateTimeline(timeline: MemoryTimeline, fn = 'renderMemorySvg', field = 'timeline'): void {
  if (timeline === null || typeof timeline !== 'object') throw badInput(fn, field, `must be an object, got ${describeValue(timeline)}`);
  if (!Array.isArray(timeline.events)) throw badInput(fn, `${field}.events`, `must be an array, got ${describeValue(timeline.events)}`);
  if (timeline.runtimeBytes !== undefined) requireByteCount(timeline.runtimeBytes, fn, `${field}.runtimeBytes`);
  timeline.events.forEach((e, i) => {
    const at = `${field}.events[${i}]`;
    if (e === null || typeof e !== 'object') throw badInput(fn, at, `must be an object, got ${describeValue(e)}`);
    if (e.kind !== 'alloc' && e.kind !== 'free') throw badInput(fn, `${at}.kind`, `must be 'alloc' or 'free', got ${describeValue(e.kind)}`);
    if (!(CATEGORIES as readonly unknown[]).includes(e.category)) throw badInput(fn, `${at}.category`, `must be one of ${CATEGORIES.join(', ')}; got ${describeValue(e.category)}`);
    requireByteCount(e.bytes, fn, `${at}.bytes`);
    if (typeof e.layer !== 'string') throw badInput(fn, `${at}.layer`, `must be a string, got ${describeValue(e.layer)}`);
    if (!(PHASES as readonly unknown[]).includes(e.phase)) throw badInput(fn, `${at}.phase`, `must be one of ${PHASES.join(', ')}; got ${describeValue(e.phase)}`);
    if (e.live === null || typeof e.live !== 'object') throw badInput(fn, `${at}.live`, `must be an object of bytes per category, got ${describeValue(e.live)}`);
    for (const c of CATEGORIES) requireByteCount(e.live[c], fn, `${at}.live.${c}`);
    // live is the state after the event: it must follow from the previous state and this event.
    if (i === 0) {
      if (e.kind === 'alloc' && e.live[e.category] < e.bytes)
        throw badInput(fn, `${at}.live.${e.category}`, `is ${e.live[e.category]}, less than the ${e.bytes} bytes this event allocates`);
      return;
    }
    const before = timeline.events[i - 1]!.live;
    for (const c of CATEGORIES) {
      const delta = c !== e.category ? 0 : e.kind === 'alloc' ? e.bytes : -e.bytes;
      if (e.live[c] !== before[c] + delta)
        throw badInput(fn, `${at}.live.${c}`, `is ${e.live[c]}, expected ${before[c] + delta} (live before ${before[c]}, event ${e.kind} ${e.bytes} ${e.category})`);
    }
  });
}

/** The first event after which the training categories together hold the most (PEAK_DEFINITION); null for an empty timeline. */
export function findMemoryPeak(timeline: MemoryTimeline): MemoryPeak | null {
  validateTimeline(timeline, 'findMemoryPeak');
  return peakOf(timeline);
}

function peakOf(timeline: MemoryTimeline): MemoryPeak | null {
  let index = -1;
  let totalBytes = -1;
  timeline.events.forEach((e, i) => {
    const total = sumCategoryBytes(e.live);
    if (total > totalBytes) [index, totalBytes] = [i, total];
  });
  if (index < 0) return null;
  const event = timeline.events[index]!;
  const bands = STACK_ORDER.map((band) => ({ band, bytes: event.live[band] }))
    .filter((b) => b.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  return { index, event, totalBytes, bands, runtimeBytes: timeline.runtimeBytes ?? 0 };
}

/** Contiguous runs of one phase, as half-open event index ranges [start, end). */
export function phaseRuns(events: readonly MemoryEvent[]): { phase: Phase; start: number; end: number }[] {
  const runs: { phase: Phase; start: number; end: number }[] = [];
  events.forEach((e, i) => {
    const last = runs[runs.length - 1];
    if (last && last.phase === e.phase) last.end = i + 1;
    else runs.push({ phase: e.phase, start: i, end: i + 1 });
  });
  return runs;
}

/** Renders the timeline as a standalone SVG document fragment (inline-able in HTML as is). */
export function renderMemorySvg(timeline: MemoryTimeline, options: MemorySvgOptions = {}): string {
  validateTimeline(timeline);
  const width = options.width ?? 960;
  const height = options.height ?? 440;
  requireSize(width, 'options.width', 480);
  requireSize(height, 'options.height', 240);
  const title = options.title ?? DEFAULT_TITLE;
  if (typeof title !== 'string') throw badInput('renderMemorySvg', 'options.title', `must be a string, got ${describeValue(title)}`);

  const { events } = timeline;
  if (events.length === 0) return placeholderSvg('wasmgrad-memory', width, title, 'No allocator events were recorded for this step, so there is no memory timeline to draw.');

  const peak = peakOf(timeline)!;
  const n = events.length;

  // Plot area; the right margin holds the legend, the top margin the title and phase names.
  const left = 78, right = width - 210, top = 70, bottom = height - 52;
  const x = (i: number) => left + (i * (right - left)) / n;

  // y scale in one human unit; 25% headroom above the peak leaves room for the peak label.
  const unit = byteUnitFor(peak.totalBytes);
  const wanted = (peak.totalBytes * 1.25) / unit.bytes;
  // Whole bytes only when the unit is the byte.
  const step = unit.bytes === 1 ? Math.max(1, Math.ceil(niceStep(wanted, 5))) : niceStep(wanted, 5);
  const topValue = Math.max(step, Math.ceil(wanted / step - 1e-9) * step);
  const yScale = (bytes: number) => bottom - (bytes / unit.bytes / topValue) * (bottom - top);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="wasmgrad-memory" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<desc>${escapeXml(`Peak ${formatInteger(peak.totalBytes)} B after event ${peak.index + 1} of ${n}; ${PEAK_DEFINITION}.`)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="600" fill="#222">${escapeXml(title)}</text>`,
  );

  // Phase bands behind everything, their names above the plot.
  const runs = phaseRuns(events);
  out.push('<g class="phases">');
  for (const r of runs) {
    const x0 = svgNumber(x(r.start)), w = svgNumber(x(r.end) - x(r.start));
    out.push(
      `<rect class="phase" data-phase="${r.phase}" x="${x0}" y="${top}" width="${w}" height="${bottom - top}" fill="${PHASE_FILL[r.phase]}"/>`,
      `<rect x="${x0}" y="${top - 4}" width="${w}" height="4" fill="${PHASE_EDGE[r.phase]}"/>`,
    );
  }
  out.push(...phaseLabels(runs, x, top, width), '</g>');

  // Grid and y axis.
  out.push('<g class="y-axis" fill="#444">');
  const decimals = decimalsOf(step);
  for (let k = 0; k * step <= topValue + 1e-9; k++) {
    const y = svgNumber(yScale(k * step * unit.bytes));
    out.push(
      `<line x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="#000" stroke-opacity="0.1"/>`,
      `<text x="${left - 8}" y="${y}" dy="0.32em" text-anchor="end">${(k * step).toFixed(decimals)}</text>`,
    );
  }
  const unitNote = unit.bytes === 1 ? 'bytes' : `${unit.name}, 1 ${unit.name} = ${formatInteger(unit.bytes)} B`;
  out.push(
    `<text class="y-title" transform="translate(18 ${svgNumber((top + bottom) / 2)}) rotate(-90)" text-anchor="middle">live memory, training categories (${unitNote})</text>`,
    '</g>',
  );

  // The stack: one closed step path per non-empty band. No outlines: on a band a few pixels tall they would hide the fill.
  out.push('<g class="stack">');
  const lower = new Array<number>(n).fill(0);
  const drawn: Category[] = [];
  for (const band of STACK_ORDER) {
    const values = events.map((e) => e.live[band]);
    if (values.every((v) => v === 0)) continue;
    drawn.push(band);
    const upper = values.map((v, i) => lower[i]! + v);
    out.push(`<path class="band" data-band="${band}" fill="${CATEGORY_COLOURS[band]}" d="${stepAreaPath(lower, upper, x, yScale)}"/>`);
    upper.forEach((v, i) => (lower[i] = v));
  }
  out.push('</g>');

  // Phase boundaries on top of the stack, so they stay visible where it is tall.
  out.push('<g class="phase-boundaries" stroke="#333" stroke-opacity="0.55" stroke-dasharray="4 3">');
  for (const r of runs.slice(1)) out.push(`<line x1="${svgNumber(x(r.start))}" x2="${svgNumber(x(r.start))}" y1="${top}" y2="${bottom}"/>`);
  out.push('</g>');

  // x axis: ticks at event boundaries.
  out.push(`<g class="x-axis" fill="#444"><line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#444"/>`);
  const xStep = Math.max(1, Math.round(niceStep(n, 8)));
  for (let i = 0; i <= n; i += xStep) {
    out.push(
      `<line x1="${svgNumber(x(i))}" x2="${svgNumber(x(i))}" y1="${bottom}" y2="${bottom + 4}" stroke="#444"/>`,
      `<text x="${svgNumber(x(i))}" y="${bottom + 17}" text-anchor="middle">${formatInteger(i)}</text>`,
    );
  }
  out.push(`<text x="${svgNumber((left + right) / 2)}" y="${bottom + 38}" text-anchor="middle">allocator events, in order (${formatInteger(n)} in all)</text></g>`);

  out.push(...peakMarker(peak, n, x, yScale, left, right, top), ...legend(drawn, peak, right + 22, top, width));
  out.push('</svg>');
  return out.join('\n');
}

/**
 * A closed path around one band of a step chart: event i spans [x(i), x(i+1)].
 * Only H/V segments, and only where the value changes, so a flat stretch of
 * any length costs one command.
 */
function stepAreaPath(lower: number[], upper: number[], x: (i: number) => number, y: (bytes: number) => number): string {
  const n = upper.length;
  let d = `M${svgNumber(x(0))} ${svgNumber(y(upper[0]!))}`;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && upper[i + 1] === upper[i]) continue;
    d += `H${svgNumber(x(i + 1))}`;
    if (i + 1 < n) d += `V${svgNumber(y(upper[i + 1]!))}`;
  }
  d += `V${svgNumber(y(lower[n - 1]!))}`;
  for (let i = n - 1; i >= 0; i--) {
    if (i > 0 && lower[i - 1] === lower[i]) continue;
    d += `H${svgNumber(x(i))}`;
    if (i > 0) d += `V${svgNumber(y(lower[i - 1]!))}`;
  }
  return d + 'Z';
}

/** Phase names centred over their bands; a name that would collide with its left neighbour moves up a row. */
function phaseLabels(runs: { phase: Phase; start: number; end: number }[], x: (i: number) => number, top: number, width: number): string[] {
  const out: string[] = [];
  const rowEnd = [-Infinity, -Infinity];
  for (const r of runs) {
    const w = r.phase.length * CHAR_WIDTH;
    const cx = Math.min(width - w / 2 - 2, Math.max(w / 2 + 2, (x(r.start) + x(r.end)) / 2));
    const row = cx - w / 2 >= rowEnd[0]! + 6 ? 0 : 1;
    rowEnd[row] = cx + w / 2;
    out.push(`<text class="phase-label" x="${svgNumber(cx)}" y="${top - 10 - row * 15}" text-anchor="middle" fill="#333">${r.phase}</text>`);
  }
  return out;
}

function peakMarker(
  peak: MemoryPeak,
  n: number,
  x: (i: number) => number,
  y: (bytes: number) => number,
  left: number,
  right: number,
  top: number,
): string[] {
  const cx = (x(peak.index) + x(peak.index + 1)) / 2;
  const e = peak.event;
  const lines = [
    `peak ${formatInteger(peak.totalBytes)} B (${formatBytes(peak.totalBytes, 'binary')})`,
    `after event ${formatInteger(peak.index + 1)} of ${formatInteger(n)}: ${e.kind} ${e.category}, ${e.layer}, ${e.phase}`,
    peak.bands.length === 0 ? 'nothing live' : peak.bands.slice(0, 3).map((b) => `${b.band} ${formatInteger(b.bytes)} B`).join(' · '),
  ];
  const boxW = Math.max(...lines.map((l) => l.length)) * CHAR_WIDTH * 0.92 + 16;
  const boxH = lines.length * 15 + 10;
  let boxX = cx + 8;
  if (boxX + boxW > right) boxX = Math.max(left + 2, cx - 8 - boxW);
  const boxY = top + 6;
  // When the label is wider than the room on either side of the line, it sits over it: stop the line at the label.
  const lineTop = boxX <= cx && cx <= boxX + boxW ? boxY + boxH : top;
  const out = [
    '<g class="peak">',
    `<line x1="${svgNumber(cx)}" x2="${svgNumber(cx)}" y1="${svgNumber(y(0))}" y2="${svgNumber(lineTop)}" stroke="#111" stroke-width="1.5"/>`,
    `<circle cx="${svgNumber(cx)}" cy="${svgNumber(y(peak.totalBytes))}" r="3.5" fill="#111" stroke="#fff" stroke-width="1"/>`,
    `<rect x="${svgNumber(boxX)}" y="${boxY}" width="${svgNumber(boxW)}" height="${boxH}" rx="3" fill="#ffffff" fill-opacity="0.92" stroke="#111" stroke-width="0.75"/>`,
    `<text class="peak-label" x="${svgNumber(boxX + 8)}" y="${boxY + 4}" fill="#111">`,
  ];
  lines.forEach((l, i) => out.push(`<tspan x="${svgNumber(boxX + 8)}" dy="15"${i === 0 ? ' font-weight="600"' : ''}>${escapeXml(l)}</tspan>`));
  out.push('</text>', '</g>');
  return out;
}

/**
 * Legend in stack order, top band first: every band drawn with its exact bytes
 * at the peak, then their sum (the peak), then the runtime, which is neither.
 */
function legend(drawn: readonly Category[], peak: MemoryPeak, x0: number, top: number, width: number): string[] {
  const out = ['<g class="legend">', `<text x="${x0}" y="${top + 4}" font-weight="600" fill="#222">at the peak (B)</text>`];
  const atPeak = new Map(peak.bands.map((b) => [b.band, b.bytes]));
  const valueX = width - 10;
  if (drawn.length === 0) out.push(`<text x="${x0}" y="${top + 24}" fill="#666">no live bytes</text>`);
  [...drawn].reverse().forEach((band, i) => {
    const y = top + 16 + i * 20;
    out.push(
      `<g class="legend-item" data-band="${band}">`,
      `<rect x="${x0}" y="${y}" width="12" height="12" fill="${CATEGORY_COLOURS[band]}"/>`,
      `<text x="${x0 + 18}" y="${y + 10}" fill="#222">${band}</text>`,
      `<text x="${valueX}" y="${y + 10}" text-anchor="end" fill="#444">${formatInteger(atPeak.get(band) ?? 0)}</text>`,
      '</g>',
    );
  });
  const y = top + 16 + drawn.length * 20;
  out.push(
    `<line x1="${x0}" x2="${valueX}" y1="${y - 3}" y2="${y - 3}" stroke="#444"/>`,
    `<g class="legend-peak" font-weight="600"><text x="${x0 + 18}" y="${y + 10}" fill="#222">peak</text>`,
    `<text x="${valueX}" y="${y + 10}" text-anchor="end" fill="#222">${formatInteger(peak.totalBytes)}</text></g>`,
  );
  if (peak.runtimeBytes > 0) {
    out.push(
      `<g class="legend-runtime" fill="#666"><text x="${x0 + 18}" y="${y + 32}">runtime</text>`,
      `<text x="${valueX}" y="${y + 32}" text-anchor="end">${formatInteger(peak.runtimeBytes)}</text>`,
      `<text x="${x0 + 18}" y="${y + 48}" font-size="11">not in the peak, not drawn</text></g>`,
    );
  }
  out.push('</g>');
  return out;
}

function requireByteCount(value: unknown, fn: string, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw badInput(fn, field, `must be a non-negative integer byte count, got ${describeValue(value)}`);
}

function requireSize(value: unknown, field: string, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    throw badInput('renderMemorySvg', field, `must be a number of pixels >= ${min}, got ${describeValue(value)}`);
}

/**
 * A time-series chart of one monitor metric family over the windows: one line
 * per series (a gap where a window has no value), the SLO thresholds as dashed
 * lines, and the windows that violated an SLO on this chart shaded red.
 * The x axis is the window index; the y axis starts at zero.
 */
import { decimalsOf, escapeXml, niceStep, placeholderSvg, svgNumber, SVG_FONT } from './types.js';

export interface ChartSeries {
  name: string;
  colour: string;
  /** One value per window, null where the window has none. */
  values: readonly (number | null)[];
}

export interface MonitorChart {
  /** The chart's id (a CSS class) and title. */
  id: string;
  title: string;
  /** The y axis label, with its unit. */
  unit: string;
  /** Window indices, in order: the x axis. */
  windows: readonly number[];
  series: readonly ChartSeries[];
  thresholds: readonly { label: string; value: number }[];
  /** Windows (indices) that violated an SLO drawn on this chart. */
  violating: ReadonlySet<number>;
}

/** Colour-blind safe (Okabe-Ito), as the other charts. */
export const SERIES_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00'];

export function renderMonitorChart(chart: MonitorChart, width = 960): string {
  const points = chart.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  if (chart.windows.length === 0 || points.length === 0) return placeholderSvg(`wasmgrad-monitor-${chart.id}`, width, chart.title, 'No window has a value for this chart.');
  const left = 64, right = width - 170, top = 40, bottom = 250, height = 310;
  const max = Math.max(...points, ...chart.thresholds.map((t) => t.value));
  const step = niceStep(max, 5);
  const topValue = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  const n = chart.windows.length;
  const x = (i: number) => left + (n === 1 ? (right - left) / 2 : (i / (n - 1)) * (right - left));
  const y = (v: number) => bottom - (Math.max(0, v) / topValue) * (bottom - top);
  const band = n === 1 ? right - left : (right - left) / (n - 1);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="wasmgrad-monitor-${chart.id}" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${SVG_FONT}" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" fill="#222">${escapeXml(chart.title)}</text>`,
  ];
  out.push('<g class="violations" fill="#d62728" fill-opacity="0.15">');
  chart.windows.forEach((w, i) => {
    // The window's band, centred on its point and clipped to the plot.
    const x0 = Math.max(left, x(i) - band / 2), x1 = Math.min(right, x(i) + band / 2);
    if (chart.violating.has(w)) out.push(`<rect data-window="${w}" x="${svgNumber(x0)}" y="${top}" width="${svgNumber(x1 - x0)}" height="${bottom - top}"><title>window ${w} violates an SLO</title></rect>`);
  });
  out.push('</g>');
  const decimals = decimalsOf(step);
  out.push('<g class="y-axis" fill="#444">');
  for (let k = 0; k * step <= topValue + 1e-9; k++) {
    const gy = svgNumber(y(k * step));
    out.push(`<line x1="${left}" x2="${right}" y1="${gy}" y2="${gy}" stroke="#000" stroke-opacity="${k === 0 ? 0.5 : 0.1}"/>`, `<text x="${left - 6}" y="${gy}" dy="4" text-anchor="end">${(k * step).toFixed(decimals)}</text>`);
  }
  out.push(`<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.unit)}</text></g>`);
  const every = Math.max(1, Math.ceil(n / 12));
  out.push('<g class="x-axis" fill="#444">');
  chart.windows.forEach((w, i) => {
    if (i % every === 0) out.push(`<text x="${svgNumber(x(i))}" y="${bottom + 16}" text-anchor="middle">${w}</text>`);
  });
  out.push(`<text x="${svgNumber((left + right) / 2)}" y="${bottom + 34}" text-anchor="middle">window</text></g>`);
  for (const t of chart.thresholds) {
    const ty = svgNumber(y(t.value));
    out.push(`<g class="threshold"><line x1="${left}" x2="${right}" y1="${ty}" y2="${ty}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/><text x="${right + 6}" y="${ty}" dy="4" fill="#d62728">${escapeXml(t.label)}</text></g>`);
  }
  let legendX = left;
  chart.series.forEach((s) => {
    // A path segment per run of windows that have a value.
    const segments: string[] = [];
    let run: string[] = [];
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        if (run.length > 0) segments.push(run.join(' '));
        run = [];
      } else run.push(`${run.length === 0 ? 'M' : 'L'}${svgNumber(x(i))} ${svgNumber(y(v))}`);
    });
    if (run.length > 0) segments.push(run.join(' '));
    out.push(`<path class="series" data-series="${escapeXml(s.name)}" d="${segments.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    // The legend is one row under the axis; names are about 7 px a character.
    const ly = bottom + 52;
    out.push(`<g class="legend"><line x1="${legendX}" x2="${legendX + 20}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="3"/><text x="${legendX + 26}" y="${ly}" dy="4" fill="#222">${escapeXml(s.name)}</text></g>`);
    legendX += 46 + 7 * s.name.length;
  });
  out.push('</svg>');
  return out.join('\n');
}

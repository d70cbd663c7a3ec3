/**
 * The picture of a training-memory estimate: one horizontal stacked bar per
 * device kind (one per pipeline stage), a segment per category in the
 * profiler's colours, the device's memory as a dashed line, and a legend that
 * gives the heaviest device's exact bytes with its largest category in bold.
 * Figures follow the text report's convention: exact bytes, then decimal and
 * binary units side by side (`10.75 GB / 10.01 GiB`); the axis is in decimal units.
 * The subtitle wraps to the width, so nothing is cut.
 */
import { CATEGORIES } from '../memory/categories.js';
import type { TransformerEstimate } from '../estimate/training-setup.js';
import { decimalUnitFor, formatBytesBoth, formatInteger } from '../estimate/units.js';
import { ArgumentError } from '../errors.js';
import { CATEGORY_COLOURS, SVG_FONT, decimalsOf, escapeXml, niceStep, svgNumber } from './types.js';

export interface EstimateSvgOptions {
  width?: number;
  /** Drawn at the top-left and used as the SVG's accessible name. */
  title?: string;
  /** Bytes one device holds; drawn as a dashed line when given. */
  deviceMemory?: number;
}

const ROW_HEIGHT = 22;
const ROW_GAP = 8;
const LABEL_WIDTH = 70;
const TOTAL_LABEL_WIDTH = 140;
/** A generous average glyph width of the 12 px sans-serif text, for wrapping. */
const CHAR_WIDTH = 7;

export function estimateSvg(est: TransformerEstimate, options: EstimateSvgOptions = {}): string {
  const width = options.width ?? 720;
  const title = options.title ?? `Training memory per device: ${est.model.name}`;
  const { deviceMemory } = options;
  if (!Number.isSafeInteger(width) || width < 320) throw new ArgumentError(`width: expected an integer >= 320, got ${width}`);
  if (deviceMemory !== undefined && (!Number.isSafeInteger(deviceMemory) || deviceMemory <= 0)) {
    throw new ArgumentError(`deviceMemory: expected a positive integer number of bytes, got ${deviceMemory}`);
  }

  const multiStage = est.stages.length > 1;
  const plotLeft = LABEL_WIDTH;
  const plotWidth = width - LABEL_WIDTH - TOTAL_LABEL_WIDTH;
  const maxBytes = Math.max(deviceMemory ?? 0, ...est.stages.map((s) => s.total));
  const unit = decimalUnitFor(maxBytes);
  const step = niceStep(maxBytes / unit.bytes, 5);
  const axisMax = Math.max(step, Math.ceil(maxBytes / unit.bytes / step) * step) * unit.bytes;
  const x = (bytes: number) => plotLeft + (bytes / axisMax) * plotWidth;

  const subtitleLines = wrap(subtitle(est), Math.floor((width - 20) / CHAR_WIDTH));
  const top = 54 + 16 * subtitleLines.length;
  const barsHeight = est.stages.length * (ROW_HEIGHT + ROW_GAP);
  const axisY = top + barsHeight;
  const legendTop = axisY + 40;
  const height = legendTop + CATEGORIES.length * 18 + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="wasmgrad-estimate" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${SVG_FONT}" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="600" fill="#222">${escapeXml(title)}</text>`,
    ...subtitleLines.map((line, i) => `<text x="10" y="${38 + 16 * i}" fill="#555">${escapeXml(line)}</text>`),
  ];

  // Axis ticks in decimal units, the text report's first unit.
  const decimals = decimalsOf(step);
  for (let v = 0; v * unit.bytes <= axisMax + 1e-6; v += step) {
    const tx = svgNumber(x(v * unit.bytes));
    parts.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${axisY}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${tx}" y="${axisY + 16}" text-anchor="middle" fill="#555">${v.toFixed(decimals)} ${unit.name}</text>`);
  }

  est.stages.forEach((stage, i) => {
    const y = top + i * (ROW_HEIGHT + ROW_GAP);
    const label = multiStage ? `stage ${stage.stage}` : 'device';
    parts.push(`<text x="${plotLeft - 8}" y="${y + 15}" text-anchor="end" fill="#333">${label}</text>`);
    let offset = 0;
    for (const cat of CATEGORIES) {
      const bytes = stage.bytes[cat];
      if (bytes === 0) continue;
      parts.push(
        `<rect class="segment ${cat}" x="${svgNumber(x(offset))}" y="${y}" width="${svgNumber(x(offset + bytes) - x(offset))}" height="${ROW_HEIGHT}" fill="${CATEGORY_COLOURS[cat]}">` +
          `<title>${escapeXml(`${label}, ${cat}: ${formatInteger(bytes)} B (${formatBytesBoth(bytes)})`)}</title></rect>`,
      );
      offset += bytes;
    }
    const weight = stage === est.heaviest ? ' font-weight="600"' : '';
    parts.push(`<text x="${svgNumber(x(stage.total) + 6)}" y="${y + 15}" fill="#222"${weight}>${escapeXml(formatBytesBoth(stage.total))}</text>`);
  });

  if (deviceMemory !== undefined) {
    const dx = svgNumber(x(deviceMemory));
    const fits = est.heaviest.total <= deviceMemory;
    parts.push(`<line class="device-memory" x1="${dx}" y1="${top - 8}" x2="${dx}" y2="${axisY}" stroke="${fits ? '#222' : '#c00'}" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    parts.push(
      `<text x="${dx}" y="${top - 12}" text-anchor="${x(deviceMemory) - plotLeft > 260 ? 'end' : 'start'}" fill="${fits ? '#222' : '#c00'}">` +
        `${escapeXml(`device memory ${formatBytesBoth(deviceMemory)}: ${fits ? 'fits' : 'does not fit'}`)}</text>`,
    );
  }

  parts.push(`<text x="10" y="${legendTop - 8}" fill="#333" font-weight="600">${escapeXml(multiStage ? `stage ${est.heaviest.stage} (heaviest), exact bytes` : 'exact bytes')}</text>`);
  CATEGORIES.forEach((cat, i) => {
    const y = legendTop + i * 18;
    const bytes = est.heaviest.bytes[cat];
    const weight = cat === est.largest ? ' font-weight="700"' : '';
    parts.push(`<rect x="10" y="${y}" width="12" height="12" fill="${CATEGORY_COLOURS[cat]}"/>`);
    parts.push(
      `<text x="28" y="${y + 10}" fill="#222"${weight}>${escapeXml(`${cat}: ${formatInteger(bytes)} B (${formatBytesBoth(bytes)})${cat === est.largest ? ', largest' : ''}`)}</text>`,
    );
  });
  parts.push(
    `<text x="10" y="${legendTop + CATEGORIES.length * 18 + 12}" fill="#222" font-weight="600">${escapeXml(`total: ${formatInteger(est.heaviest.total)} B (${formatBytesBoth(est.heaviest.total)})`)}</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}

/** Breaks each line between words so that no line is longer than `maxChars` (a longer word keeps its own line). */
function wrap(lines: string[], maxChars: number): string[] {
  return lines.flatMap((line) => {
    const out: string[] = [];
    for (const piece of line.split(' ')) {
      const last = out.length - 1;
      if (last >= 0 && out[last].length + 1 + piece.length <= maxChars) out[last] += ` ${piece}`;
      else out.push(piece);
    }
    return out;
  });
}

/** Two lines before wrapping: the model and the training setup. */
function subtitle(est: TransformerEstimate): [string, string] {
  const { setup } = est;
  return [
    `${formatInteger(est.heaviest.parameters)} parameters on the heaviest device; ${setup.precision}, ${setup.optimizer}, ` +
      `micro-batch ${setup.microBatch} x ${setup.seqLength} tokens, recompute ${setup.recompute}`,
    `${setup.devices} device${setup.devices === 1 ? '' : 's'} = ${est.dataParallel} data x ${setup.tensorParallel} tensor` +
      `${setup.sequenceParallel ? ' (+ sequence)' : ''} x ${setup.pipelineParallel} pipeline, ZeRO stage ${setup.zeroStage}`,
  ];
}

/**
 * "What fits" (`wasmgrad estimate --fit`) as a document and as a table.
 *
 * JSON fields (stable; new ones may be added). Byte figures are exact integers:
 *
 *   format         "wasmgrad.estimate.fit/1"
 *   model          as in "wasmgrad.estimate/1", with .parameters
 *   deviceMemory   bytes of one device's memory
 *   searched       microBatches, recompute, zeroStages, offload, devices: the lists tried
 *   fixed          the rest of the setup, as "wasmgrad.estimate/1"'s setup fields
 *   evaluated      setups estimated (combinations the estimator refuses are skipped)
 *   fits           those that fit, best first (fewer devices, less offload, less
 *                  recomputation, larger micro-batch, lower ZeRO stage, more headroom):
 *                  { devices, microBatch, recompute, zeroStage, offload, total (bytes on the
 *                  heaviest device), headroom (deviceMemory - total), hostTotal }
 *   smallest       the setup with the smallest total of all evaluated (same fields), or null
 */
import { colours } from './colours.js';
import type { FitCandidate, FitResult } from '../estimate/fit.js';
import type { TrainingSetup } from '../estimate/training-setup.js';
import { countParameters, type ParameterCount, type TransformerModel } from '../estimate/transformer.js';
import { formatBytes, formatBytesBoth, formatInteger } from '../estimate/units.js';

export interface FitEntry {
  devices: number;
  microBatch: number;
  recompute: TrainingSetup['recompute'];
  zeroStage: TrainingSetup['zeroStage'];
  offload: TrainingSetup['offload'];
  total: number;
  headroom: number;
  hostTotal: number;
}

export interface FitDocument {
  format: 'wasmgrad.estimate.fit/1';
  model: TransformerModel & { parameters: ParameterCount };
  deviceMemory: number;
  searched: Omit<FitResult['search'], 'deviceMemory'>;
  fixed: Omit<TrainingSetup, 'devices' | 'microBatch' | 'recompute' | 'zeroStage' | 'offload'>;
  evaluated: number;
  fits: FitEntry[];
  smallest: FitEntry | null;
}

function entryOf(c: FitCandidate): FitEntry {
  const { devices, microBatch, recompute, zeroStage, offload } = c.setup;
  return { devices, microBatch, recompute, zeroStage, offload, total: c.total, headroom: c.headroom, hostTotal: c.hostTotal };
}

export function fitDocument(model: TransformerModel, base: TrainingSetup, result: FitResult): FitDocument {
  const { deviceMemory, ...searched } = result.search;
  const { devices: _d, microBatch: _m, recompute: _r, zeroStage: _z, offload: _o, ...fixed } = base;
  return {
    format: 'wasmgrad.estimate.fit/1',
    model: { ...model, parameters: countParameters(model) },
    deviceMemory,
    searched: {
      microBatches: [...searched.microBatches],
      recompute: [...searched.recompute],
      zeroStages: [...searched.zeroStages],
      offload: [...searched.offload],
      devices: [...searched.devices],
    },
    fixed,
    evaluated: result.evaluated,
    fits: result.fits.map(entryOf),
    smallest: result.smallest === null ? null : entryOf(result.smallest),
  };
}

/** Rows the table shows; the document has them all. */
const SHOWN = 10;

const describe = (e: FitEntry) =>
  `${e.devices} device${e.devices === 1 ? '' : 's'}, micro-batch ${e.microBatch}, recompute ${e.recompute}, ZeRO ${e.zeroStage}, offload ${e.offload}`;

export function renderFitTable(doc: FitDocument, colour = false): string {
  const c = colours(colour);
  const lines: string[] = [];
  const memory = `${formatInteger(doc.deviceMemory)} B (${formatBytesBoth(doc.deviceMemory)})`;
  lines.push(c.bold(`wasmgrad estimate --fit: ${doc.model.name} on devices of ${memory}`));
  lines.push(
    `  searched    micro-batch ${doc.searched.microBatches.join('/')}, recompute ${doc.searched.recompute.join('/')}, ZeRO ${doc.searched.zeroStages.join('/')}, ` +
      `offload ${doc.searched.offload.join('/')}, devices ${doc.searched.devices.join('/')}; ${doc.fixed.precision}, ${doc.fixed.optimizer}, ${doc.fixed.seqLength} tokens`,
  );
  if (doc.fits.length === 0) {
    const s = doc.smallest;
    lines.push(
      c.red(
        s === null
          ? '  nothing fits: no setup in the search could be estimated'
          : `  nothing fits: the smallest requirement is ${formatInteger(s.total)} B (${formatBytesBoth(s.total)}), ${formatBytes(-s.headroom)} more than the device has, with ${describe(s)}`,
      ),
    );
    return `${lines.join('\n')}\n`;
  }
  lines.push(c.green(`  ${doc.fits.length} of ${doc.evaluated} setups fit, best first:`));
  lines.push('');
  const header = ['devices', 'micro-batch', 'recompute', 'ZeRO', 'offload', 'device total', 'headroom', 'host'];
  const rows = doc.fits.slice(0, SHOWN).map((e) => [
    String(e.devices),
    String(e.microBatch),
    e.recompute,
    String(e.zeroStage),
    e.offload,
    formatBytes(e.total),
    formatBytes(e.headroom),
    e.hostTotal === 0 ? '-' : formatBytes(e.hostTotal),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `  ${cells.map((x, i) => x.padEnd(widths[i])).join('  ')}`.trimEnd();
  lines.push(c.bold(line(header)));
  for (const r of rows) lines.push(line(r));
  if (doc.fits.length > SHOWN) lines.push(`  ... ${doc.fits.length - SHOWN} more in --json`);
  return `${lines.join('\n')}\n`;
}

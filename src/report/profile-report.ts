// The memory profile of an MLP in three shapes: the ProfileDocument, JSON with
// stable field names for scripts; the torchinfo-like table for people, drawn
// from that document; and the HTML page.
//
// JSON (`wasmgrad profile --json`, format "wasmgrad.profile/1"); every byte
// figure is an exact integer:
//   model        { description, layers: [{ index, type, inFeatures?, outFeatures?, bias?, kind?, slope? }] }
//   setup        { batches, optimizer, loss, inplace, checkpoint, build, threads, engine }; checkpoint
//                lists the activation layers recomputed in backward ([] for none)
//   parameters   total parameter count
//   categories   per category (weights, gradients, optimizer, activations, workspace, kvCache,
//                inputs, runtime, total): { measured, estimated } = peak bytes during the
//                measured steps, and live: { measured, estimated } = bytes still held after
//                the last step. runtime (WASM memory no category owns: static data, stack,
//                allocator headers, free blocks) is measured only (estimated: null) and is
//                never part of the peak; total is the peak (below).
//   peak         { measured, estimated, atPeak, phase, layer }: the most the training categories
//                held at once, the one peak figure of every report (PEAK_DEFINITION in
//                types.ts); atPeak is each category's bytes at that moment and sums to it.
//                The categories' own peaks need not coincide, so they sum to more.
//   wasmMemoryBytes  memory.buffer.byteLength after the steps
//   layers       per layer: { index, name, outputShape, parameters, macsForward, macsBackward,
//                macsRecompute, savedBytes: { measured, estimated }, naiveBytes, minimumBytes };
//                savedBytes: what the layer's forward allocates and keeps for backward
//   savedBytes   the layers' savedBytes summed: { measured, estimated, withoutCheckpoint,
//                avoided = withoutCheckpoint - estimated } (withoutCheckpoint is estimated)
//   loss         { savedBytes: { measured, estimated } } (softmax probabilities)
//   macs         { forward, backward, recompute, gemmCounted: { measured, estimated } } for the
//                last step; recompute: forward MACs run again in backward for checkpointed
//                activations (torchinfo convention); gemmCounted includes their GEMMs
//   dataMovement { naiveBytes, minimumBytes, intensityNaive, intensityMinimum } forward pass,
//                intensity in FLOP per byte (2 FLOP per MAC)
//   losses       the loss of each measured step

import { colours } from './colours.js';
import { CATEGORIES, sumCategoryBytes, type Category, type CategoryBytes, type Phase } from '../memory/categories.js';
import { formatBytes, formatInteger } from '../estimate/units.js';
import { type LayerCost, lossSavedBytes, mlpLayerCosts } from '../estimate/mlp.js';
import { describeLayers, type LayerSpec } from '../nn/layers.js';
import type { ArenaEvent } from '../arena.js';
import type { MemorySummary } from '../memory/events.js';
import type { MeasuredMemory, MlpProfile } from '../profile/profile-mlp.js';
import { renderHtmlReport } from './html.js';
import { AT_PEAK_NOTE, OWN_PEAKS_NOTE, PEAK_DEFINITION, RUNTIME_NOTE, type ThroughputRow } from './types.js';


/** Saved-activation bytes per layer name, measured from the last step's forward events. */
function measuredSaved(p: MlpProfile): Map<string, number> {
  const saved = new Map<string, number>();
  p.events.slice(p.stepStarts[p.stepStarts.length - 1]).forEach((e) => {
    if (e.phase === 'forward' && e.kind === 'alloc' && e.category === 'activations') saved.set(e.layer, (saved.get(e.layer) ?? 0) + e.bytes);
  });
  return saved;
}

/** The batch of the last measured step, which the per-layer figures describe. */
function lastBatch(p: MlpProfile): number {
  return p.batches[p.batches.length - 1]!;
}

function totals(p: MlpProfile, layers: readonly LayerSpec[]) {
  const sum = (f: (l: MlpProfile['layers'][number]) => number) => p.layers.reduce((s, l) => s + f(l), 0);
  const withoutCheckpoint = mlpLayerCosts(layers, lastBatch(p), { loss: p.loss, inplace: p.inplace }).reduce((s, l) => s + l.savedBytes, 0);
  return {
    forward: sum((l) => l.macsForward),
    backward: sum((l) => l.macsBackward),
    recompute: sum((l) => l.macsRecompute),
    saved: sum((l) => l.savedBytes),
    savedWithoutCheckpoint: withoutCheckpoint,
    naiveBytes: sum((l) => l.naiveBytes),
    minimumBytes: sum((l) => l.minimumBytes),
  };
}

/** Measured and estimated bytes of one category: its peak during the steps, and what it still held after them. */
export interface ProfileCategory {
  measured: number;
  estimated: number | null;
  live: { measured: number; estimated: number | null };
}

/** A layer's costs (the estimator's LayerCost), with its saved bytes measured next to estimated. */
export interface ProfileLayer extends Omit<LayerCost, 'savedBytes'> {
  savedBytes: { measured: number; estimated: number };
}

/** The memory profile of an MLP as `wasmgrad profile --json` prints it (fields at the top of this file). */
export interface ProfileDocument {
  format: 'wasmgrad.profile/1';
  model: { description: string; layers: (LayerSpec & { index: number })[] };
  setup: Pick<MlpProfile, 'batches' | 'optimizer' | 'loss' | 'inplace' | 'checkpoint' | 'build' | 'threads' | 'engine'>;
  parameters: number;
  categories: Record<Category | 'runtime' | 'total', ProfileCategory>;
  peak: { measured: number; estimated: number; atPeak: CategoryBytes; phase: Phase | null; layer: string | null };
  wasmMemoryBytes: number;
  layers: ProfileLayer[];
  savedBytes: { measured: number; estimated: number; withoutCheckpoint: number; avoided: number };
  loss: { savedBytes: { measured: number; estimated: number } };
  macs: { forward: number; backward: number; recompute: number; gemmCounted: { measured: number; estimated: number } };
  dataMovement: { naiveBytes: number; minimumBytes: number; intensityNaive: number; intensityMinimum: number };
  losses: number[];
}

/** Each category's measured and estimated peak and live bytes, the runtime, and the total (the one peak). */
export function profileCategories(measured: MeasuredMemory, estimated: MemorySummary): ProfileDocument['categories'] {
  const categories = {} as ProfileDocument['categories'];
  for (const c of CATEGORIES) {
    categories[c] = { measured: measured.peak[c], estimated: estimated.peak[c], live: { measured: measured.live[c], estimated: estimated.live[c] } };
  }
  categories.runtime = { measured: measured.runtimeBytes, estimated: null, live: { measured: measured.runtimeBytes, estimated: null } };
  categories.total = {
    measured: measured.peakTotal,
    estimated: estimated.peakTotal,
    live: { measured: sumCategoryBytes(measured.live), estimated: sumCategoryBytes(estimated.live) },
  };
  return categories;
}

/** The one peak figure, measured and estimated, with where in the step it fell. */
export function profilePeak(measured: MeasuredMemory, estimated: MemorySummary, events: readonly ArenaEvent[]): ProfileDocument['peak'] {
  const at = events[measured.peakEvent];
  return { measured: measured.peakTotal, estimated: estimated.peakTotal, atPeak: measured.atPeak, phase: at?.phase ?? null, layer: at?.layer ?? null };
}

export function profileDocument(p: MlpProfile, layers: readonly LayerSpec[]): ProfileDocument {
  const saved = measuredSaved(p);
  const t = totals(p, layers);
  const categories = profileCategories(p.measured, p.estimated);
  return {
    format: 'wasmgrad.profile/1',
    model: {
      description: describeLayers(layers),
      layers: layers.map((l, index) => ({ index, ...l })),
    },
    setup: { batches: p.batches, optimizer: p.optimizer, loss: p.loss, inplace: p.inplace, checkpoint: p.checkpoint, build: p.build, threads: p.threads, engine: p.engine },
    parameters: p.parameters,
    categories,
    peak: profilePeak(p.measured, p.estimated, p.events),
    wasmMemoryBytes: p.measured.memoryBytes,
    layers: p.layers.map((l) => ({
      index: l.index, name: l.name, outputShape: l.outputShape, parameters: l.parameters,
      macsForward: l.macsForward, macsBackward: l.macsBackward, macsRecompute: l.macsRecompute,
      savedBytes: { measured: saved.get(l.name) ?? 0, estimated: l.savedBytes },
      naiveBytes: l.naiveBytes, minimumBytes: l.minimumBytes,
    })),
    savedBytes: {
      measured: p.layers.reduce((s, l) => s + (saved.get(l.name) ?? 0), 0),
      estimated: t.saved,
      withoutCheckpoint: t.savedWithoutCheckpoint,
      avoided: t.savedWithoutCheckpoint - t.saved,
    },
    loss: { savedBytes: { measured: saved.get('loss') ?? 0, estimated: lossSavedBytes(layers, lastBatch(p), p.loss) } },
    macs: { forward: t.forward, backward: t.backward, recompute: t.recompute, gemmCounted: p.gemmMacs },
    dataMovement: {
      naiveBytes: t.naiveBytes,
      minimumBytes: t.minimumBytes,
      intensityNaive: (2 * t.forward) / t.naiveBytes,
      intensityMinimum: (2 * t.forward) / t.minimumBytes,
    },
    losses: p.losses,
  };
}

/** The widest line the text profile prints, so it reads in a terminal or a code block without wrapping. */
const TEXT_COLUMNS = 100;

const pad = (s: string, n: number) => s.padStart(n);
const padEnd = (s: string, n: number) => s.padEnd(n);
/** A byte count with its binary-unit spelling beside it; none below 1 KiB, where it would repeat the number. */
const withHuman = (b: number) => (b >= 1024 ? `${formatInteger(b)} (${formatBytes(b, 'binary')})` : formatInteger(b));

/** Greedy word wrap at TEXT_COLUMNS, keeping the text's own indentation; continuation lines start with `indent`. */
function wrap(text: string, indent = '  '): string[] {
  const lines: string[] = [];
  const [, lead, rest] = /^( *)(.*)$/.exec(text)!;
  let line = lead!;
  for (const word of rest!.split(' ')) {
    if (line.trim() !== '' && line.length + 1 + word.length > TEXT_COLUMNS) {
      lines.push(line);
      line = indent + word;
    } else line = line.trim() === '' ? line + word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** "2 measured steps (batch 64, 64)": what the memory figures were measured over. */
function measuredSteps(batches: readonly number[]): string {
  return `${batches.length} measured step${batches.length === 1 ? '' : 's'} (batch ${batches.join(', ')})`;
}

/**
 * The memory table's columns: category, measured peak with its human size,
 * estimated peak, match, at the peak, live after. Fixed widths hold any wasm32
 * byte count (below 4 GiB: 13 characters), and columns are two spaces apart at least.
 */
const MEMORY_COLUMNS = { label: 12, measured: 27, estimated: 16, match: 9, atPeak: 13, live: 13 };

function memoryRow(label: string, measured: string, estimated: string, match: string, atPeak: string, live: string): string {
  const w = MEMORY_COLUMNS;
  return `${padEnd(label, w.label)}${pad(measured, w.measured)}${pad(estimated, w.estimated)}  ${padEnd(match, w.match - 2)}${pad(atPeak, w.atPeak)}${pad(live, w.live)}`.trimEnd();
}

/** The human-readable profile, from its document: per-layer table, then categories measured vs estimated. */
export function renderProfileTable(doc: ProfileDocument, colour = false): string {
  const c = colours(colour);
  const { setup, macs, dataMovement: moved } = doc;
  const out: string[] = [];
  const batch = setup.batches[setup.batches.length - 1]!;
  out.push(...wrap(`wasmgrad profile: ${doc.model.description}`).map((l) => c.bold(l)));
  const checkpoint = setup.checkpoint.length ? ` | checkpoint ${setup.checkpoint.join(',')}` : '';
  out.push(...wrap(`  ${measuredSteps(setup.batches)} | ${setup.optimizer} | ${setup.loss} | ${setup.inplace ? 'in-place activations' : 'out-of-place activations'}${checkpoint}`));
  out.push(`  ${setup.engine}`);
  out.push('');
  const rule = '-'.repeat(92);
  out.push(rule);
  out.push(`${padEnd('Layer', 14)}${padEnd('Output shape', 14)}${pad('Param #', 10)}${pad('Fwd MACs', 14)}${pad('Bwd MACs', 14)}${pad('Saved (B) meas.', 16)}${pad('est.', 10)}`);
  out.push(rule);
  for (const l of doc.layers) {
    out.push(
      `${padEnd(l.name, 14)}${padEnd(`[${l.outputShape.join(', ')}]`, 14)}${pad(formatInteger(l.parameters), 10)}${pad(formatInteger(l.macsForward), 14)}` +
        `${pad(formatInteger(l.macsBackward), 14)}${pad(formatInteger(l.savedBytes.measured), 16)}${pad(formatInteger(l.savedBytes.estimated), 10)}`,
    );
  }
  const lossSaved = doc.loss.savedBytes;
  out.push(
    `${padEnd('loss', 14)}${padEnd(`[${batch}, ${doc.layers[doc.layers.length - 1]!.outputShape[1]}]`, 14)}${pad('', 10)}${pad('', 14)}${pad('', 14)}` +
      `${pad(formatInteger(lossSaved.measured), 16)}${pad(formatInteger(lossSaved.estimated), 10)}`,
  );
  out.push(rule);
  out.push(`Total parameters: ${formatInteger(doc.parameters)}`);
  out.push(`MACs per step: forward ${formatInteger(macs.forward)}, backward ${formatInteger(macs.backward)} (torchinfo convention; bias included)`);
  out.push(`GEMM MACs counted by the core in the last step: ${formatInteger(macs.gemmCounted.measured)} (layer arithmetic: ${formatInteger(macs.gemmCounted.estimated)})`);
  if (setup.checkpoint.length) out.push(...wrap(checkpointLine(doc)));
  out.push(
    ...wrap(
      `Forward data movement: ${formatInteger(moved.naiveBytes)} B at three operands per MAC, ${formatInteger(moved.minimumBytes)} B touching each value once; ` +
        `arithmetic intensity ${moved.intensityNaive.toFixed(3)} vs ${moved.intensityMinimum.toFixed(1)} FLOP/B`,
    ),
  );
  out.push('', ...memoryTable(doc, measuredSteps(setup.batches), colour));
  return out.join('\n');
}

/** The categories measured vs estimated, the peak and the runtime: the memory table every profile prints. */
export function memoryTable(doc: Pick<ProfileDocument, 'categories' | 'peak' | 'wasmMemoryBytes'>, steps: string, colour = false, what = 'Training memory'): string[] {
  const c = colours(colour);
  const { categories, peak } = doc;
  const out: string[] = [];
  out.push(...wrap(`${what} (bytes) over ${steps}, next to the estimate`).map((l) => c.bold(l)));
  out.push(memoryRow('category', 'measured peak', 'estimated peak', 'match', 'at the peak', 'live after'));
  const match = (measured: number, estimated: number | null) => (measured === estimated ? c.green('exact') : c.red('differs'));
  const largest = CATEGORIES.reduce((a, b) => (categories[b].measured > categories[a].measured ? b : a));
  for (const k of CATEGORIES) {
    const r = categories[k];
    const line = memoryRow(k, withHuman(r.measured), formatInteger(r.estimated ?? 0), match(r.measured, r.estimated), formatInteger(peak.atPeak[k]), formatInteger(r.live.measured));
    out.push(k === largest ? c.yellow(line) : line);
  }
  out.push(
    memoryRow(
      'peak', withHuman(peak.measured), formatInteger(peak.estimated), match(peak.measured, peak.estimated),
      formatInteger(sumCategoryBytes(peak.atPeak)), formatInteger(categories.total.live.measured),
    ),
  );
  out.push(...wrap(`  ${PEAK_DEFINITION}${peak.phase !== null ? `; in ${peak.phase} at ${peak.layer}` : ''}`, '    '));
  out.push(...wrap(`  ${AT_PEAK_NOTE}`, '    '), ...wrap(`  ${OWN_PEAKS_NOTE}`, '    '));
  const noteIndent = ' '.repeat(MEMORY_COLUMNS.label + MEMORY_COLUMNS.measured + 2);
  const noted = (label: string, bytes: number, note: string) =>
    wrap(`${padEnd(label, MEMORY_COLUMNS.label)}${pad(withHuman(bytes), MEMORY_COLUMNS.measured)}  ${note}`, noteIndent);
  out.push(...noted('runtime', categories.runtime.measured, RUNTIME_NOTE));
  out.push(...noted('WASM memory', doc.wasmMemoryBytes, 'memory.buffer.byteLength = live after + runtime'));
  return out;
}

/** What checkpointing bought and what it cost, in one line. */
function checkpointLine(doc: ProfileDocument): string {
  const names = doc.setup.checkpoint.map((i) => doc.layers[i]!.name).join(', ');
  const { savedBytes: saved, macs } = doc;
  const share = (100 * macs.recompute) / (macs.forward + macs.backward);
  return (
    `Checkpointed ${names}: forward saves ${formatInteger(saved.estimated)} B instead of ${formatInteger(saved.withoutCheckpoint)} B ` +
    `(${formatInteger(saved.avoided)} B avoided); backward recomputes them for ${formatInteger(macs.recompute)} extra forward MACs ` +
    `(+${share.toFixed(1)}% of the step's forward and backward MACs)`
  );
}

export function profileHtml(p: MlpProfile, layers: readonly LayerSpec[], throughput?: ThroughputRow[], extraMeta: Record<string, string> = {}): string {
  const saved = measuredSaved(p);
  const doc = profileDocument(p, layers);
  return renderHtmlReport({
    title: 'wasmgrad training-memory profile',
    subtitle: describeLayers(layers),
    meta: {
      'measured steps': measuredSteps(p.batches),
      optimizer: p.optimizer,
      loss: p.loss,
      engine: p.engine,
      parameters: formatInteger(p.parameters),
      // The one peak figure, defined as in every report; the runtime beside it, outside it.
      'peak (training categories, runtime not included)':
        `${formatInteger(p.measured.peakTotal)} B measured, ${formatInteger(p.estimated.peakTotal)} B estimated (${formatBytes(p.measured.peakTotal, 'binary')})`,
      runtime: `${formatInteger(p.measured.runtimeBytes)} B (${formatBytes(p.measured.runtimeBytes, 'binary')}): ${RUNTIME_NOTE}`,
      ...(p.checkpoint.length ? { checkpoint: checkpointLine(doc).replace(/^Checkpointed /, '') } : {}),
      ...extraMeta,
    },
    timeline: { events: p.events, runtimeBytes: p.measured.runtimeBytes },
    categories: [
      ...CATEGORIES.map((k) => ({ category: k, measured: p.measured.peak[k], estimated: p.estimated.peak[k], atPeak: p.measured.atPeak[k] })),
      { category: 'total' as const, measured: p.measured.peakTotal, estimated: p.estimated.peakTotal, atPeak: sumCategoryBytes(p.measured.atPeak) },
      { category: 'runtime' as const, measured: p.measured.runtimeBytes, estimated: null, atPeak: null },
    ],
    layers: [
      ...p.layers.map((l) => ({
        name: l.name, outputShape: l.outputShape, parameters: l.parameters, macsForward: l.macsForward, macsBackward: l.macsBackward,
        savedBytes: saved.get(l.name) ?? 0,
      })),
      // The loss keeps its softmax probabilities for backward too.
      { name: 'loss', outputShape: p.layers[p.layers.length - 1]!.outputShape, parameters: 0, macsForward: 0, macsBackward: 0, savedBytes: saved.get('loss') ?? 0 },
    ],
    throughput,
  });
}

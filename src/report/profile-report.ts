// The memory profile of an MLP in three shapes: a torchinfo-like table for
// people, JSON with stable field names for scripts, and the HTML page.
//
// JSON (`wasmgrad profile --json`, schema "wasmgrad.profile/1"); every byte
// figure is an exact integer:
//   model        { description, layers: [{ index, type, inFeatures?, outFeatures?, bias?, kind?, slope? }] }
//   setup        { batches, optimizer, loss, inplace, checkpoint, build, engine }; checkpoint
//                lists the activation layers recomputed in backward ([] for none)
//   parameters   total parameter count
//   categories   per category (weights, gradients, optimizer, activations, workspace,
//                inputs, runtime, total): { measured, estimated } = peak bytes during the
//                measured steps, and live: { measured, estimated } = bytes still held after
//                the last step. runtime (WASM memory no category owns: static data, stack,
//                allocator headers, free blocks) is measured only (estimated: null);
//                total is the peak of all categories together (runtime excluded).
//   peak         { measured, estimated, atPeak: bytes per category at that moment, phase, layer }
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

import pc from 'picocolors';
import { CATEGORIES, sumCategoryBytes } from '../estimate/categories.js';
import { formatBytes, formatInteger } from '../estimate/units.js';
import { lossSavedBytes, mlpLayerCosts } from '../estimate/mlp.js';
import { describeLayers, type LayerSpec } from '../nn/layers.js';
import type { MlpProfile } from '../profile/profile-mlp.js';
import { renderHtmlReport } from './html.js';
import type { ThroughputRow } from './types.js';


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

export function profileJson(p: MlpProfile, layers: readonly LayerSpec[]) {
  const saved = measuredSaved(p);
  const t = totals(p, layers);
  const categories: Record<string, unknown> = {};
  for (const c of CATEGORIES) {
    categories[c] = {
      measured: p.measured.peak[c],
      estimated: p.estimated.peak[c],
      live: { measured: p.measured.live[c], estimated: p.estimated.live[c] },
    };
  }
  categories.runtime = { measured: p.measured.runtimeBytes, estimated: null, live: { measured: p.measured.runtimeBytes, estimated: null } };
  categories.total = {
    measured: p.measured.peakTotal,
    estimated: p.estimated.peakTotal,
    live: { measured: sumCategoryBytes(p.measured.live), estimated: sumCategoryBytes(p.estimated.live) },
  };
  const peakEvent = p.events[p.measured.peakEvent];
  return {
    schema: 'wasmgrad.profile/1',
    model: {
      description: describeLayers(layers),
      layers: layers.map((l, index) => ({ index, ...l })),
    },
    setup: { batches: p.batches, optimizer: p.optimizer, loss: p.loss, inplace: p.inplace, checkpoint: p.checkpoint, build: p.build, engine: p.engine },
    parameters: p.parameters,
    categories,
    peak: {
      measured: p.measured.peakTotal,
      estimated: p.estimated.peakTotal,
      atPeak: p.measured.atPeak,
      phase: peakEvent?.phase ?? null,
      layer: peakEvent?.layer ?? null,
    },
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

const pad = (s: string, n: number) => s.padStart(n);
const padEnd = (s: string, n: number) => s.padEnd(n);
const human = (b: number) => (b >= 1024 ? ` (${formatBytes(b, 'binary')})` : '');

/** The human-readable profile: per-layer table, then categories measured vs estimated. */
export function profileTable(p: MlpProfile, layers: readonly LayerSpec[], colour = false): string {
  const c = pc.createColors(colour);
  const saved = measuredSaved(p);
  const t = totals(p, layers);
  const out: string[] = [];
  const batch = lastBatch(p);
  out.push(c.bold(`wasmgrad profile: ${describeLayers(layers)}`));
  const checkpoint = p.checkpoint.length ? ` | checkpoint ${p.checkpoint.join(',')}` : '';
  out.push(`  batch ${p.batches.join(', ')} | ${p.optimizer} | ${p.loss} | ${p.inplace ? 'in-place activations' : 'out-of-place activations'}${checkpoint} | ${p.engine}`);
  out.push('');
  const rule = '-'.repeat(92);
  out.push(rule);
  out.push(`${padEnd('Layer', 14)}${padEnd('Output shape', 14)}${pad('Param #', 10)}${pad('Fwd MACs', 14)}${pad('Bwd MACs', 14)}${pad('Saved (B) meas.', 16)}${pad('est.', 10)}`);
  out.push(rule);
  for (const l of p.layers) {
    out.push(
      `${padEnd(l.name, 14)}${padEnd(`[${l.outputShape.join(', ')}]`, 14)}${pad(formatInteger(l.parameters), 10)}${pad(formatInteger(l.macsForward), 14)}` +
        `${pad(formatInteger(l.macsBackward), 14)}${pad(formatInteger(saved.get(l.name) ?? 0), 16)}${pad(formatInteger(l.savedBytes), 10)}`,
    );
  }
  const lossSaved = { measured: saved.get('loss') ?? 0, estimated: lossSavedBytes(layers, batch, p.loss) };
  out.push(
    `${padEnd('loss', 14)}${padEnd(`[${batch}, ${p.layers[p.layers.length - 1]!.outputShape[1]}]`, 14)}${pad('', 10)}${pad('', 14)}${pad('', 14)}` +
      `${pad(formatInteger(lossSaved.measured), 16)}${pad(formatInteger(lossSaved.estimated), 10)}`,
  );
  out.push(rule);
  out.push(`Total parameters: ${formatInteger(p.parameters)}   MACs per step: forward ${formatInteger(t.forward)}, backward ${formatInteger(t.backward)} (torchinfo convention; bias included)`);
  out.push(`GEMM MACs counted by the core in the last step: ${formatInteger(p.gemmMacs.measured)} (layer arithmetic: ${formatInteger(p.gemmMacs.estimated)})`);
  if (p.checkpoint.length) out.push(checkpointLine(p, t));
  out.push(
    `Forward data movement: ${formatInteger(t.naiveBytes)} B at three operands per MAC, ${formatInteger(t.minimumBytes)} B touching each value once; ` +
      `arithmetic intensity ${(2 * t.forward / t.naiveBytes).toFixed(3)} vs ${(2 * t.forward / t.minimumBytes).toFixed(1)} FLOP/B`,
  );
  out.push('');
  out.push(c.bold('Training memory (bytes; peak over the measured steps, then what stays live after the last step)'));
  out.push(`${padEnd('category', 13)}${pad('measured peak', 16)}${pad('estimated peak', 16)}${pad('live after', 14)}`);
  const largest = CATEGORIES.reduce((a, b) => (p.measured.peak[b] > p.measured.peak[a] ? b : a));
  for (const k of CATEGORIES) {
    const same = p.measured.peak[k] === p.estimated.peak[k] ? c.green('=') : c.red('!=');
    const line = `${padEnd(k, 13)}${pad(formatInteger(p.measured.peak[k]), 16)}${pad(formatInteger(p.estimated.peak[k]), 16)}${pad(formatInteger(p.measured.live[k]), 14)}  ${same}${human(p.measured.peak[k])}`;
    out.push(k === largest ? c.yellow(line) : line);
  }
  out.push(`${padEnd('peak total', 13)}${pad(formatInteger(p.measured.peakTotal), 16)}${pad(formatInteger(p.estimated.peakTotal), 16)}${pad(formatInteger(sumCategoryBytes(p.measured.live)), 14)}  ${p.measured.peakTotal === p.estimated.peakTotal ? c.green('=') : c.red('!=')}${human(p.measured.peakTotal)}`);
  const at = p.events[p.measured.peakEvent];
  if (at) {
    const parts = CATEGORIES.filter((k) => p.measured.atPeak[k] > 0).map((k) => `${k} ${formatInteger(p.measured.atPeak[k])}`);
    out.push(`  the peak falls in ${at.phase} at ${at.layer}: ${parts.join(' + ')}`);
  }
  out.push(`${padEnd('runtime', 13)}${pad(formatInteger(p.measured.runtimeBytes), 16)}${pad('-', 16)}${pad('', 14)}  WASM memory no category owns (static data, stack, headers, free blocks)`);
  out.push(`${padEnd('WASM memory', 13)}${pad(formatInteger(p.measured.memoryBytes), 16)}${pad('', 16)}${pad('', 14)}  memory.buffer.byteLength = live categories + runtime${human(p.measured.memoryBytes)}`);
  return out.join('\n');
}

/** What checkpointing bought and what it cost, in one line. */
function checkpointLine(p: MlpProfile, t: ReturnType<typeof totals>): string {
  const names = p.checkpoint.map((i) => p.layers[i]!.name).join(', ');
  const share = (100 * t.recompute) / (t.forward + t.backward);
  return (
    `Checkpointed ${names}: forward saves ${formatInteger(t.saved)} B instead of ${formatInteger(t.savedWithoutCheckpoint)} B ` +
    `(${formatInteger(t.savedWithoutCheckpoint - t.saved)} B avoided); backward recomputes them for ${formatInteger(t.recompute)} extra forward MACs ` +
    `(+${share.toFixed(1)}% of the step's forward and backward MACs)`
  );
}

export function profileHtml(p: MlpProfile, layers: readonly LayerSpec[], throughput?: ThroughputRow[], extraMeta: Record<string, string> = {}): string {
  const saved = measuredSaved(p);
  return renderHtmlReport({
    title: 'wasmgrad training-memory profile',
    subtitle: describeLayers(layers),
    meta: {
      batches: p.batches.join(', '),
      optimizer: p.optimizer,
      loss: p.loss,
      engine: p.engine,
      parameters: formatInteger(p.parameters),
      'peak (measured = estimated)': `${formatInteger(p.measured.peakTotal)} B = ${formatInteger(p.estimated.peakTotal)} B`,
      ...(p.checkpoint.length ? { checkpoint: checkpointLine(p, totals(p, layers)).replace(/^Checkpointed /, '') } : {}),
      ...extraMeta,
    },
    timeline: { events: p.events, runtimeBytes: p.measured.runtimeBytes },
    categories: [
      ...CATEGORIES.map((k) => ({ category: k, measured: p.measured.peak[k], estimated: p.estimated.peak[k] })),
      { category: 'runtime' as const, measured: p.measured.runtimeBytes, estimated: null },
      { category: 'total' as const, measured: p.measured.peakTotal, estimated: p.estimated.peakTotal },
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

// The memory profile of a GPT: its document (JSON with stable field names),
// the table for people drawn from it, and the HTML page.
//
// JSON (`wasmgrad profile --model gpt --json`, format "wasmgrad.gpt-profile/1"):
//   model        { description, config } (the GPTConfig)
//   setup        { batch, tokens, steps, optimizer, flashAttention, recompute, build, threads, engine }
//   parameters   total parameter count
//   categories, peak, wasmMemoryBytes   as in "wasmgrad.profile/1" (report/profile-report.ts):
//                per category { measured, estimated, live: { measured, estimated } }
//   sublayers    per sub-layer of the last step, in the order the step reaches them:
//                { name, outputShape, parameters, macsForward, macsBackward, macsRecompute,
//                savedBytes: { measured, estimated } }; "wte" is the token and position
//                embedding, "h.<i>.<module>" nanoGPT's module paths, "loss" the cross-entropy
//   block        what block 0 saves for backward: { measured, estimated, korthikanti }, and
//                terms: [{ tensor, korthikanti, wasmgrad, why }] (null with recomputation),
//                Korthikanti et al. (2022)'s 16-bit tensors beside wasmgrad's float32 ones
//   macs         { forward, backward, recompute, gemmCounted: { measured, estimated } }, last step
//   losses       the loss of each measured step
//
// JSON of a generation (`--generate N`, format "wasmgrad.gpt-generation-profile/1"):
//   model        { description, config }
//   setup        { batch, prompt, generate, flashAttention, build, threads, engine }
//   parameters   total parameter count
//   categories, peak, wasmMemoryBytes   as above, the KV cache as category "kvCache"
//   kvCache      { measured, estimated, capacity, inferenceEstimate }: bytes of every layer's
//                cache, the positions each holds (min(seq, prompt + generate)), and the
//                inference estimator's kvCache in fp32 (estimate --inference; null past seq)
//   passes       { prefill, decode }: passes over the whole window, one-position passes
//   macs         { total, gemmCounted: { measured, estimated } } over the generation
//   tokens       the generated tokens of each sequence (greedy)

import { CATEGORIES, type Category } from '../memory/categories.js';
import { formatInteger } from '../estimate/units.js';
import { blockSavedTerms, inferenceKvCacheBytes, type SavedTerm } from '../estimate/gpt.js';
import type { GPTConfig } from '../gpt/config.js';
import { gptParameters } from '../gpt/parameters.js';
import type { GptGenerationProfile, GptProfile } from '../profile/profile-gpt.js';
import { colours } from './colours.js';
import { renderHtmlReport } from './html.js';
import { memoryTable, profileCategories, profilePeak, type ProfileDocument } from './profile-report.js';
import { RUNTIME_NOTE } from './types.js';

export interface GptSublayerRow {
  name: string;
  outputShape: number[];
  parameters: number;
  macsForward: number;
  macsBackward: number;
  macsRecompute: number;
  savedBytes: { measured: number; estimated: number };
}

export interface GptProfileDocument {
  format: 'wasmgrad.gpt-profile/1';
  model: { description: string; config: GPTConfig };
  setup: Pick<GptProfile, 'batch' | 'tokens' | 'optimizer' | 'flashAttention' | 'recompute' | 'build' | 'threads' | 'engine'> & { steps: number };
  parameters: number;
  categories: ProfileDocument['categories'];
  peak: ProfileDocument['peak'];
  wasmMemoryBytes: number;
  sublayers: GptSublayerRow[];
  block: { measured: number; estimated: number; korthikanti: number; terms: SavedTerm[] | null };
  macs: { forward: number; backward: number; recompute: number; gemmCounted: { measured: number; estimated: number } };
  losses: number[];
}

/** "GPT(vocab 65, seq 64, hidden 64, heads 4, layers 2, ffn 256, GELU, LayerNorm, tied head, bias)". */
export function describeGpt(c: GPTConfig): string {
  const parts = [
    `vocab ${c.vocab}`, `seq ${c.seq}`, `hidden ${c.hidden}`, `heads ${c.heads}`, `layers ${c.layers}`, `ffn ${c.ffn}`,
    c.feedForward === 'swiglu' ? 'SwiGLU' : 'GELU', c.norm === 'rmsnorm' ? 'RMSNorm' : 'LayerNorm',
    c.tiedHead ? 'tied head' : 'untied head', c.bias ? 'bias' : 'no bias', ...(c.dropout > 0 ? [`dropout ${c.dropout}`] : []),
  ];
  return `GPT(${parts.join(', ')})`;
}

/** Width of each sub-layer's output, by the last part of its name. */
function outputWidth(c: GPTConfig, name: string): number {
  if (name === 'lm_head' || name === 'loss') return c.vocab;
  if (name.endsWith('c_attn')) return 3 * c.hidden;
  if (name.endsWith('c_fc') || name.endsWith('c_gate') || name.endsWith('.mlp')) return c.ffn;
  return c.hidden;
}

/** Parameters a sub-layer owns: its module's weight and bias (the embedding row owns wte and wpe; a tied head none of its own). */
function ownParameters(c: GPTConfig, name: string): number {
  const owner = (parameter: string) => {
    const module = parameter.replace(/^transformer\./, '').replace(/\.(weight|bias)$/, '');
    return module === 'wpe' ? 'wte' : module;
  };
  return gptParameters(c).filter((p) => owner(p.name) === name).reduce((s, p) => s + p.count, 0);
}

/** Saved bytes per sub-layer, measured from the last step's forward events. */
function measuredSaved(p: GptProfile): Map<string, number> {
  const saved = new Map<string, number>();
  for (const e of p.events.slice(p.stepStarts[p.stepStarts.length - 1])) {
    if (e.phase === 'forward' && e.kind === 'alloc' && e.category === ('activations' satisfies Category)) saved.set(e.layer, (saved.get(e.layer) ?? 0) + e.bytes);
  }
  return saved;
}

export function gptProfileDocument(p: GptProfile): GptProfileDocument {
  const saved = measuredSaved(p);
  const c = p.config, B = p.batch, T = p.tokens;
  const sublayers = p.estimate.sublayers.map((r) => ({
    name: r.name, outputShape: [B, T, outputWidth(c, r.name)], parameters: ownParameters(c, r.name),
    macsForward: r.macsForward, macsBackward: r.macsBackward, macsRecompute: r.macsRecompute,
    savedBytes: { measured: saved.get(r.name) ?? 0, estimated: r.savedBytes },
  }));
  const inBlock0 = (rows: typeof sublayers, key: 'measured' | 'estimated') => rows.filter((r) => r.name.startsWith('h.0.')).reduce((s, r) => s + r.savedBytes[key], 0);
  const sum = (f: (r: GptSublayerRow) => number) => sublayers.reduce((s, r) => s + f(r), 0);
  return {
    format: 'wasmgrad.gpt-profile/1',
    model: { description: describeGpt(c), config: c },
    setup: { batch: B, tokens: T, steps: p.losses.length, optimizer: p.optimizer, flashAttention: p.flashAttention, recompute: p.recompute, build: p.build, threads: p.threads, engine: p.engine },
    parameters: p.estimate.parameters,
    categories: profileCategories(p.measured, p.estimate.summary),
    peak: profilePeak(p.measured, p.estimate.summary, p.events),
    wasmMemoryBytes: p.measured.memoryBytes,
    sublayers,
    block: {
      measured: inBlock0(sublayers, 'measured'), estimated: inBlock0(sublayers, 'estimated'),
      korthikanti: 34 * T * B * c.hidden + 5 * c.heads * T * T * B,
      terms: p.recompute === 'none' ? blockSavedTerms(c, B, T, p.flashAttention) : null,
    },
    macs: { forward: sum((r) => r.macsForward), backward: sum((r) => r.macsBackward), recompute: sum((r) => r.macsRecompute), gemmCounted: p.gemmMacs },
    losses: p.losses,
  };
}

const pad = (s: string, n: number) => s.padStart(n);
const padEnd = (s: string, n: number) => s.padEnd(n);

export function renderGptProfileTable(doc: GptProfileDocument, colour = false): string {
  const c = colours(colour);
  const { setup, macs, block } = doc;
  const steps = `${setup.steps} measured step${setup.steps === 1 ? '' : 's'} (batch ${setup.batch} x ${setup.tokens} tokens)`;
  const options = [setup.flashAttention ? 'memory-saving attention' : 'plain attention', ...(setup.recompute === 'blocks' ? ['block recomputation'] : [])];
  const out: string[] = [c.bold(`wasmgrad profile: ${doc.model.description}`), `  ${steps} | ${setup.optimizer} | ${options.join(' | ')}`, `  ${setup.engine}`, ''];
  const rule = '-'.repeat(98);
  out.push(rule, `${padEnd('Sub-layer', 18)}${padEnd('Output shape', 16)}${pad('Param #', 10)}${pad('Fwd MACs', 14)}${pad('Bwd MACs', 14)}${pad('Saved (B) meas.', 16)}${pad('est.', 10)}`, rule);
  for (const r of doc.sublayers) {
    out.push(
      `${padEnd(r.name, 18)}${padEnd(`[${r.outputShape.join(', ')}]`, 16)}${pad(formatInteger(r.parameters), 10)}${pad(formatInteger(r.macsForward), 14)}` +
        `${pad(formatInteger(r.macsBackward), 14)}${pad(formatInteger(r.savedBytes.measured), 16)}${pad(formatInteger(r.savedBytes.estimated), 10)}`,
    );
  }
  out.push(rule, `Total parameters: ${formatInteger(doc.parameters)}`);
  out.push(`MACs per step: forward ${formatInteger(macs.forward)}, backward ${formatInteger(macs.backward)}${macs.recompute ? `, recomputed ${formatInteger(macs.recompute)}` : ''} (torchinfo convention; bias included)`);
  out.push(`GEMM MACs counted by the core in the last step: ${formatInteger(macs.gemmCounted.measured)} (plan: ${formatInteger(macs.gemmCounted.estimated)})`);
  out.push('', c.bold(`What block 0 saves for backward: ${formatInteger(block.measured)} B measured, ${formatInteger(block.estimated)} B estimated; Korthikanti et al. (16-bit, 34sbh + 5as²b): ${formatInteger(block.korthikanti)} B`));
  if (block.terms) {
    out.push(`  ${padEnd('tensor', 46)}${pad('Korthikanti', 13)}${pad('wasmgrad', 12)}  why they differ`);
    for (const t of block.terms) out.push(`  ${padEnd(t.tensor, 46)}${pad(formatInteger(t.korthikanti), 13)}${pad(formatInteger(t.wasmgrad), 12)}  ${t.korthikanti === t.wasmgrad ? 'same' : t.why}`);
  } else out.push('  with block recomputation, forward keeps only each block\'s input; backward recomputes the rest block by block');
  out.push('', ...memoryTable(doc, steps, colour));
  return out.join('\n');
}

export function gptProfileHtml(p: GptProfile): string {
  const doc = gptProfileDocument(p);
  return renderHtmlReport({
    title: 'wasmgrad training-memory profile',
    subtitle: doc.model.description,
    meta: {
      'measured steps': `${doc.setup.steps} (batch ${doc.setup.batch} x ${doc.setup.tokens} tokens)`,
      optimizer: doc.setup.optimizer,
      attention: doc.setup.flashAttention ? 'memory-saving (logsumexp kept, probabilities recomputed)' : 'plain (probabilities kept)',
      recomputation: doc.setup.recompute,
      engine: doc.setup.engine,
      parameters: formatInteger(doc.parameters),
      'peak (training categories, runtime not included)': `${formatInteger(doc.peak.measured)} B measured, ${formatInteger(doc.peak.estimated)} B estimated`,
      runtime: `${formatInteger(doc.categories.runtime.measured)} B: ${RUNTIME_NOTE}`,
    },
    timeline: { events: p.events, runtimeBytes: p.measured.runtimeBytes },
    categories: categoryRows(doc),
    layers: doc.sublayers.map((r) => ({ name: r.name, outputShape: r.outputShape, parameters: r.parameters, macsForward: r.macsForward, macsBackward: r.macsBackward, savedBytes: r.savedBytes.measured })),
  });
}

export interface GptGenerationProfileDocument {
  format: 'wasmgrad.gpt-generation-profile/1';
  model: { description: string; config: GPTConfig };
  setup: Pick<GptGenerationProfile, 'batch' | 'prompt' | 'generate' | 'flashAttention' | 'build' | 'threads' | 'engine'>;
  parameters: number;
  categories: ProfileDocument['categories'];
  peak: ProfileDocument['peak'];
  wasmMemoryBytes: number;
  kvCache: { measured: number; estimated: number; capacity: number; inferenceEstimate: number | null };
  passes: { prefill: number; decode: number };
  macs: { total: number; gemmCounted: { measured: number; estimated: number } };
  tokens: number[][];
}

export function gptGenerationProfileDocument(p: GptGenerationProfile): GptGenerationProfileDocument {
  const c = p.config, e = p.estimate;
  // The inference estimator counts learned positions only up to seq.
  const inferenceEstimate = p.prompt + p.generate <= c.seq ? inferenceKvCacheBytes({ model: c, batch: p.batch, prompt: p.prompt, generate: p.generate }) : null;
  return {
    format: 'wasmgrad.gpt-generation-profile/1',
    model: { description: describeGpt(c), config: c },
    setup: { batch: p.batch, prompt: p.prompt, generate: p.generate, flashAttention: p.flashAttention, build: p.build, threads: p.threads, engine: p.engine },
    parameters: e.parameters,
    categories: profileCategories(p.measured, e.summary),
    peak: profilePeak(p.measured, e.summary, p.events),
    wasmMemoryBytes: p.measured.memoryBytes,
    kvCache: { measured: p.measured.peak.kvCache, estimated: e.kvCacheBytes, capacity: e.capacity, inferenceEstimate },
    passes: e.passes,
    macs: { total: e.macs, gemmCounted: p.gemmMacs },
    tokens: p.tokens,
  };
}

/** "a generation of 8 tokens (batch 1, prompt 56)". */
const generationOf = (setup: GptGenerationProfileDocument['setup']) =>
  `a generation of ${setup.generate} token${setup.generate === 1 ? '' : 's'} (batch ${setup.batch}, prompt ${setup.prompt})`;

export function renderGptGenerationProfileTable(doc: GptGenerationProfileDocument, colour = false): string {
  const c = colours(colour);
  const { setup, kvCache, passes, macs } = doc;
  const out: string[] = [
    c.bold(`wasmgrad profile: ${doc.model.description}`),
    `  ${generationOf(setup)} with a KV cache | ${setup.flashAttention ? 'memory-saving' : 'plain'} attention in the prefill`,
    `  ${setup.engine}`,
    '',
    `Passes: ${passes.prefill} over the whole window (the prompt${passes.prefill > 1 ? ', then every token past seq' : ''}), ${passes.decode} of one position against the cache`,
    `MACs: ${formatInteger(macs.total)} (torchinfo convention; bias included); GEMM MACs counted by the core: ${formatInteger(macs.gemmCounted.measured)} (plan: ${formatInteger(macs.gemmCounted.estimated)})`,
    `KV cache: ${formatInteger(kvCache.measured)} B measured, ${formatInteger(kvCache.estimated)} B estimated: K and V of ${kvCache.capacity} positions x ${setup.batch} sequence${setup.batch === 1 ? '' : 's'} x ${doc.model.config.layers} layers`,
    kvCache.inferenceEstimate === null
      ? '  (past seq the inference estimator has no figure: learned positions end there)'
      : `  inference estimator (estimate --inference, fp32): ${formatInteger(kvCache.inferenceEstimate)} B${kvCache.inferenceEstimate === kvCache.measured ? ', the same' : ''}`,
    '',
    ...memoryTable(doc, generationOf(setup), colour, 'Inference memory'),
  ];
  return out.join('\n');
}

export function gptGenerationProfileHtml(p: GptGenerationProfile): string {
  const doc = gptGenerationProfileDocument(p);
  return renderHtmlReport({
    title: 'wasmgrad inference-memory profile',
    subtitle: doc.model.description,
    meta: {
      generation: `${generationOf(doc.setup)} with a KV cache`,
      passes: `${doc.passes.prefill} over the whole window, ${doc.passes.decode} of one position`,
      'KV cache': `${formatInteger(doc.kvCache.measured)} B measured, ${formatInteger(doc.kvCache.estimated)} B estimated`,
      engine: doc.setup.engine,
      parameters: formatInteger(doc.parameters),
      'peak (categories, runtime not included)': `${formatInteger(doc.peak.measured)} B measured, ${formatInteger(doc.peak.estimated)} B estimated`,
      runtime: `${formatInteger(doc.categories.runtime.measured)} B: ${RUNTIME_NOTE}`,
    },
    timeline: { events: p.events, runtimeBytes: p.measured.runtimeBytes },
    categories: categoryRows(doc),
  });
}

/** The HTML report's category rows: every category, the total and the runtime. */
function categoryRows(doc: Pick<GptProfileDocument, 'categories' | 'peak'>) {
  return [
    ...CATEGORIES.map((k) => ({ category: k, measured: doc.categories[k].measured, estimated: doc.categories[k].estimated, atPeak: doc.peak.atPeak[k] })),
    { category: 'total' as const, measured: doc.peak.measured, estimated: doc.peak.estimated, atPeak: doc.peak.measured },
    { category: 'runtime' as const, measured: doc.categories.runtime.measured, estimated: null, atPeak: null },
  ];
}

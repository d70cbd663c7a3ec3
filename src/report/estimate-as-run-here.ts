// `wasmgrad estimate --as-run-here` as a document and a table: the bytes the
// core's own step plan allocates for a transformer, per category at its peak,
// and what one block saves beside Korthikanti et al.'s 16-bit count.
//
// JSON (format "wasmgrad.estimate.as-run-here/1"):
//   model        { description, config } (the GPTConfig the core would train)
//   setup        { batch, tokens, optimizer, flashAttention, recompute, threads } (threads: each packs its own GEMM panels)
//   parameters   total parameter count
//   categories   per category { peak, atPeak, live }: bytes at the category's own peak, at the
//                one peak, and after the second step
//   peak         { bytes, phase, layer }: the most the training categories hold at once
//   block        { saved, korthikanti, terms[] {tensor, korthikanti, wasmgrad, why} | null }
//   fitsWasm32   whether the peak fits in wasm32 memory, where `wasmgrad profile --model gpt`
//                measures the same bytes
//   measureWith  that command

import { WASM32_MAX_BYTES } from '../arena.js';
import { CATEGORIES, type Category, type Phase } from '../memory/categories.js';
import { blockSavedTerms, type SavedTerm } from '../estimate/gpt.js';
import type { AsRunHere } from '../estimate/as-run-here.js';
import { formatBytes, formatInteger } from '../estimate/units.js';
import type { GPTConfig } from '../gpt/config.js';
import { describeGpt } from './gpt-profile-report.js';

export interface AsRunHereDocument {
  format: 'wasmgrad.estimate.as-run-here/1';
  model: { description: string; config: GPTConfig };
  setup: { batch: number; tokens: number; optimizer: string; flashAttention: boolean; recompute: 'none' | 'blocks'; threads: number };
  parameters: number;
  categories: Record<Category, { peak: number; atPeak: number; live: number }>;
  peak: { bytes: number; phase: Phase | null; layer: string | null };
  block: { saved: number; korthikanti: number; terms: SavedTerm[] | null };
  fitsWasm32: boolean;
  measureWith: string;
}

/** The `wasmgrad profile --model gpt` command that measures the same configuration. */
function profileCommand(r: AsRunHere): string {
  const c = r.config;
  const flags = [
    `--vocab ${c.vocab}`, `--seq ${c.seq}`, `--hidden ${c.hidden}`, `--heads ${c.heads}`, `--layers ${c.layers}`, `--ffn ${c.ffn}`, `--batch ${r.batch}`, `--tokens ${r.tokens}`,
    `--optimizer ${r.optimizer}`, ...(c.norm === 'rmsnorm' ? ['--norm rmsnorm'] : []), ...(c.feedForward === 'swiglu' ? ['--feed-forward swiglu'] : []),
    ...(c.bias ? [] : ['--no-bias']), ...(c.tiedHead ? [] : ['--untied']), ...(c.dropout > 0 ? [`--dropout ${c.dropout}`] : []), ...(r.flashAttention ? ['--flash'] : []), ...(r.recompute === 'blocks' ? ['--recompute blocks'] : []),
    // Always: profile's default is the cores reported, the estimate's is 1.
    `--threads ${r.threads}`,
  ];
  return `wasmgrad profile --model gpt ${flags.join(' ')}`;
}

export function asRunHereDocument(r: AsRunHere): AsRunHereDocument {
  const { summary, events, plan } = r.estimate;
  const at = events[summary.peakEvent];
  const categories = {} as AsRunHereDocument['categories'];
  for (const k of CATEGORIES) categories[k] = { peak: summary.peak[k], atPeak: summary.atPeak[k], live: summary.live[k] };
  const saved = plan.reduce((s, op) => (op.op === 'alloc' && op.phase === 'forward' && op.category === 'activations' && op.layer.startsWith('h.0.') ? s + op.bytes : s), 0);
  const c = r.config;
  return {
    format: 'wasmgrad.estimate.as-run-here/1',
    model: { description: describeGpt(c), config: c },
    setup: { batch: r.batch, tokens: r.tokens, optimizer: r.optimizer, flashAttention: r.flashAttention, recompute: r.recompute, threads: r.threads },
    parameters: r.estimate.parameters,
    categories,
    peak: { bytes: summary.peakTotal, phase: at?.phase ?? null, layer: at?.layer ?? null },
    block: {
      saved, korthikanti: 34 * r.tokens * r.batch * c.hidden + 5 * c.heads * r.tokens * r.tokens * r.batch,
      terms: r.recompute === 'none' ? blockSavedTerms(c, r.batch, r.tokens, r.flashAttention) : null,
    },
    fitsWasm32: summary.peakTotal < WASM32_MAX_BYTES,
    measureWith: profileCommand(r),
  };
}

export function renderAsRunHereTable(doc: AsRunHereDocument): string {
  const pad = (s: string, n: number) => s.padStart(n);
  const s = doc.setup;
  const out = [
    `wasmgrad estimate --as-run-here: ${doc.model.description}, ${formatInteger(doc.parameters)} parameters`,
    `  as the core trains it: float32, one device, ${s.threads} thread${s.threads === 1 ? '' : 's'}, ${s.optimizer}, batch ${s.batch} x ${s.tokens} tokens, ${s.flashAttention ? 'memory-saving' : 'plain'} attention${s.recompute === 'blocks' ? ', block recomputation' : ''}; the core's step plan folded`,
    '',
    `${'category'.padEnd(12)}${pad('own peak', 18)}${pad('at the peak', 18)}${pad('after step 2', 16)}`,
  ];
  for (const k of CATEGORIES) {
    const r = doc.categories[k];
    out.push(`${k.padEnd(12)}${pad(formatInteger(r.peak), 18)}${pad(formatInteger(r.atPeak), 18)}${pad(formatInteger(r.live), 16)}`);
  }
  out.push(`${'peak'.padEnd(12)}${pad(formatInteger(doc.peak.bytes), 18)} (${formatBytes(doc.peak.bytes, 'binary')})${doc.peak.phase ? `, in ${doc.peak.phase} at ${doc.peak.layer}` : ''}`);
  out.push('', `One block saves ${formatInteger(doc.block.saved)} B for backward; Korthikanti et al. count ${formatInteger(doc.block.korthikanti)} B in 16-bit (34sbh + 5as²b)`);
  if (doc.block.terms) for (const t of doc.block.terms) if (t.korthikanti !== t.wasmgrad) out.push(`  ${t.tensor}: ${formatInteger(t.korthikanti)} -> ${formatInteger(t.wasmgrad)} B (${t.why})`);
  out.push('', doc.fitsWasm32
    ? `Fits in wasm32 memory: measure it with  ${doc.measureWith}`
    : `Needs more than wasm32's 4 GiB, so the core cannot run it here; the figures are the same plan folded that \`wasmgrad profile --model gpt\` measures for smaller ones`);
  return `${out.join('\n')}\n`;
}

/**
 * Plain float64 references of the transformer ops (src/nn/ops/*.ts), forward
 * and backward, written for obviousness: tests compare the core's float32
 * kernels against them. Rows are row-major; backward returns fresh gradients
 * (the callers add them to what the core accumulates onto).
 */

type Values = ArrayLike<number>;

/** out[b][t] = wte[ids[b][t]] + (wpe ? wpe[t] : 0). */
export function embeddingForward(ids: Values, wte: Values, wpe: Values | null, batch: number, seq: number, h: number): Float64Array {
  const out = new Float64Array(batch * seq * h);
  for (let r = 0; r < batch * seq; r++) {
    const t = r % seq, id = ids[r]!;
    for (let j = 0; j < h; j++) out[r * h + j] = wte[id * h + j]! + (wpe ? wpe[t * h + j]! : 0);
  }
  return out;
}

/** dwte[id] = sum of dout over the positions holding id; dwpe[t] = sum over b of dout[b][t]. */
export function embeddingBackward(ids: Values, dout: Values, vocab: number, batch: number, seq: number, h: number): { dwte: Float64Array; dwpe: Float64Array } {
  const dwte = new Float64Array(vocab * h), dwpe = new Float64Array(seq * h);
  for (let r = 0; r < batch * seq; r++) {
    const t = r % seq, id = ids[r]!;
    for (let j = 0; j < h; j++) {
      dwte[id * h + j]! += dout[r * h + j]!;
      dwpe[t * h + j]! += dout[r * h + j]!;
    }
  }
  return { dwte, dwpe };
}

export interface NormForward {
  y: Float64Array;
  mean: Float64Array;
  rstd: Float64Array;
}

/** LayerNorm (centred) or RMSNorm (not centred, mean 0) over rows x h; bias null for none. */
export function normForward(centred: boolean, x: Values, w: Values, b: Values | null, rows: number, h: number, eps: number): NormForward {
  const y = new Float64Array(rows * h), mean = new Float64Array(rows), rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let mu = 0;
    if (centred) {
      for (let j = 0; j < h; j++) mu += x[r * h + j]!;
      mu /= h;
    }
    let v = 0;
    for (let j = 0; j < h; j++) v += (x[r * h + j]! - mu) ** 2;
    const rs = 1 / Math.sqrt(v / h + eps);
    for (let j = 0; j < h; j++) y[r * h + j] = (x[r * h + j]! - mu) * rs * w[j]! + (b ? b[j]! : 0);
    mean[r] = mu;
    rstd[r] = rs;
  }
  return { y, mean, rstd };
}

/** dx, dw, db of normForward for the upstream gradient dout (statistics recomputed in float64). */
export function normBackward(centred: boolean, x: Values, w: Values, dout: Values, rows: number, h: number, eps: number): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const { mean, rstd } = normForward(centred, x, w, null, rows, h, eps);
  const dx = new Float64Array(rows * h), dw = new Float64Array(h), db = new Float64Array(h);
  for (let r = 0; r < rows; r++) {
    const n = (j: number) => (x[r * h + j]! - mean[r]!) * rstd[r]!;
    let sumDn = 0, sumDnN = 0;
    for (let j = 0; j < h; j++) {
      const g = dout[r * h + j]!, dn = g * w[j]!;
      sumDn += dn;
      sumDnN += dn * n(j);
      dw[j]! += g * n(j);
      db[j]! += g;
    }
    const m1 = centred ? sumDn / h : 0, m2 = sumDnN / h;
    for (let j = 0; j < h; j++) dx[r * h + j] = (dout[r * h + j]! * w[j]! - m1 - n(j) * m2) * rstd[r]!;
  }
  return { dx, dw, db };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** out = silu(a) * b. */
export function swigluForward(a: Values, b: Values): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => a[i]! * sigmoid(a[i]!) * b[i]!);
}

export function swigluBackward(a: Values, b: Values, dout: Values): { da: Float64Array; db: Float64Array } {
  const da = new Float64Array(a.length), db = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const s = sigmoid(a[i]!);
    da[i] = dout[i]! * b[i]! * s * (1 + a[i]! * (1 - s));
    db[i] = dout[i]! * a[i]! * s;
  }
  return { da, db };
}

export function add(a: Values, b: Values): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => a[i]! + b[i]!);
}

const MASK64 = (1n << 64n) - 1n;

/** The high 32 bits of SplitMix64's output for state `key` (the generator kernels/dropout.ts states). */
export function splitmix64High(key: bigint): number {
  let z = (key + 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return Number((z ^ (z >> 31n)) >> 32n);
}

/** The keep mask: element i is kept when its draw for (seed << 32) + offset + i is >= floor(p 2^32). */
export function dropoutMask(n: number, p: number, seed: number, offset: number): Uint8Array {
  const threshold = Math.floor(p * 2 ** 32);
  const base = (BigInt(seed) << 32n) + BigInt(offset);
  return Uint8Array.from({ length: n }, (_, i) => (splitmix64High(base + BigInt(i)) >= threshold ? 1 : 0));
}

/** x * mask / (1 - p): forward over x, backward over dout. */
export function applyDropout(x: Values, mask: Uint8Array, p: number): Float64Array {
  const scale = Math.fround(1 / (1 - p));
  return Float64Array.from({ length: x.length }, (_, i) => x[i]! * mask[i]! * scale);
}

/** Mean over rows of -log softmax(logits[r])[targets[r]], and the probabilities. */
export function crossEntropyForward(logits: Values, targets: Values, rows: number, vocab: number): { loss: number; probs: Float64Array } {
  const probs = new Float64Array(rows * vocab);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let c = 0; c < vocab; c++) mx = Math.max(mx, logits[r * vocab + c]!);
    let sum = 0;
    for (let c = 0; c < vocab; c++) sum += Math.exp(logits[r * vocab + c]! - mx);
    for (let c = 0; c < vocab; c++) probs[r * vocab + c] = Math.exp(logits[r * vocab + c]! - mx) / sum;
    loss += Math.log(sum) + mx - logits[r * vocab + targets[r]!]!;
  }
  return { loss: loss / rows, probs };
}

/** dlogits = (softmax - onehot) / rows. */
export function crossEntropyBackward(logits: Values, targets: Values, rows: number, vocab: number): Float64Array {
  const { probs } = crossEntropyForward(logits, targets, rows, vocab);
  for (let r = 0; r < rows; r++) probs[r * vocab + targets[r]!]! -= 1;
  return probs.map((v) => v / rows);
}

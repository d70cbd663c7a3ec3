// Losses, forward and backward side by side. Mean reduction, as PyTorch's defaults.

/**
 * Softmax cross-entropy over integer labels, fused and stable (log-sum-exp).
 * Writes the softmax probabilities to `probs` (saved for backward) and returns
 * the mean loss. Labels must already be checked to lie in [0, classes).
 */
export function crossEntropyForward(logits: usize, labels: usize, probs: usize, batch: i32, classes: i32): f64 {
  let total: f64 = 0;
  for (let r = 0; r < batch; r++) {
    const z = logits + (<usize>r * <usize>classes << 2);
    const p = probs + (<usize>r * <usize>classes << 2);
    let mx = load<f32>(z);
    for (let c = 1; c < classes; c++) mx = max(mx, load<f32>(z + (<usize>c << 2)));
    let sum: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(<f64>load<f32>(z + (<usize>c << 2)) - <f64>mx);
      store<f32>(p + (<usize>c << 2), <f32>e);
      sum += e;
    }
    const inv = 1 / sum;
    for (let c = 0; c < classes; c++) {
      const q = p + (<usize>c << 2);
      store<f32>(q, <f32>(<f64>load<f32>(q) * inv));
    }
    const label = load<i32>(labels + (<usize>r << 2));
    // -log softmax[label] = logsumexp(z) - z[label]
    total += Math.log(sum) + <f64>mx - <f64>load<f32>(z + (<usize>label << 2));
  }
  return total / <f64>batch;
}

/** dlogits = (probs - onehot(labels)) / batch. dlogits may alias probs. */
export function crossEntropyBackward(probs: usize, labels: usize, dlogits: usize, batch: i32, classes: i32): void {
  const scale: f32 = <f32>(1.0 / <f64>batch);
  const n = batch * classes;
  scaleInto(probs, dlogits, n, scale);
  for (let r = 0; r < batch; r++) {
    const label = load<i32>(labels + (<usize>r << 2));
    const q = dlogits + ((<usize>r * <usize>classes + <usize>label) << 2);
    store<f32>(q, load<f32>(q) - scale);
  }
}

/** Mean squared error over all batch*features elements. */
export function mseForward(pred: usize, target: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = <f64>load<f32>(pred + (<usize>i << 2)) - <f64>load<f32>(target + (<usize>i << 2));
    total += d * d;
  }
  return total / <f64>n;
}

/** dpred = 2 (pred - target) / n. */
export function mseBackward(pred: usize, target: usize, dpred: usize, n: i32): void {
  const scale: f32 = <f32>(2.0 / <f64>n);
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dpred + off, (load<f32>(pred + off) - load<f32>(target + off)) * scale);
  }
}

function scaleInto(x: usize, y: usize, n: i32, s: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(s);
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      v128.store(y + off, f32x4.mul(v128.load(x + off), vs));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, load<f32>(x + off) * s);
  }
}

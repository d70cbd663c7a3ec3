// Linear: y = x W^T + b, W[out][in] as PyTorch's nn.Linear.
//   forward   one GEMM (batch x in . in x out), then the bias
//   backward  dW = dY^T X, db = column sums of dY, dX = dY W (unless not wanted)
//   saves     its input X (for dW)

import { ArgumentError, ShapeError, checkBoolean, checkInt, checkOptions, orDefault } from '../../errors.js';
import { coreGemm } from '../../gemm.js';
import type { LayerModule, LinearSpec } from '../layer.js';

/** The sizes and bias are checked where the layer list is (validate, below); a misspelt option is refused here. */
export function Linear(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}): LinearSpec {
  return { type: 'linear', inFeatures, outFeatures, bias: orDefault(checkOptions('Linear', options, ['bias']).bias, true) as boolean };
}

export const linear: LayerModule<LinearSpec> = {
  key: 'linear',
  role: 'linear',
  backwardReads: 'input',

  validate(l, i, inWidth) {
    checkInt(`layer ${i} inFeatures`, l.inFeatures, 1);
    checkInt(`layer ${i} outFeatures`, l.outFeatures, 1);
    checkBoolean(`layer ${i} bias`, l.bias);
    if (inWidth !== null && l.inFeatures !== inWidth) {
      throw new ShapeError(`layer ${i} (Linear) takes ${l.inFeatures} features but layer ${i - 1} produces ${inWidth}`);
    }
    if (!Number.isSafeInteger(l.inFeatures * l.outFeatures)) throw new ArgumentError(`layer ${i} has more weights than can be counted exactly`);
    return l.outFeatures;
  },

  describe: (l) => `Linear(${l.inFeatures}, ${l.outFeatures}${l.bias ? '' : ', bias=False'})`,

  parameters: (l) => [
    { name: 'weight', shape: [l.outFeatures, l.inFeatures] },
    ...(l.bias ? [{ name: 'bias', shape: [l.outFeatures] }] : []),
  ],

  outWidth: (l) => l.outFeatures,

  // PyTorch's nn.Linear default: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
  initialise(l, uniform, values) {
    const bound = 1 / Math.sqrt(l.inFeatures);
    for (const v of values) for (let i = 0; i < v.length; i++) v[i] = uniform(-bound, bound);
  },

  forward(l, { rt, batch, input, output, weights }) {
    // y = x W^T (+ b)
    coreGemm(rt, 0, 1, batch, l.outFeatures, l.inFeatures, 1, input, l.inFeatures, weights[0]!, l.inFeatures, 0, output, l.outFeatures);
    if (l.bias) rt.core.addBias(output, weights[1]!, batch, l.outFeatures);
  },

  backward(l, { rt, batch, input, weights, gradients, gradOutput, gradInput }) {
    // dW = dY^T X  (out x in)
    coreGemm(rt, 1, 0, l.outFeatures, l.inFeatures, batch, 1, gradOutput, l.outFeatures, input, l.inFeatures, 0, gradients[0]!, l.inFeatures);
    if (l.bias) rt.core.biasGrad(gradOutput, gradients[1]!, batch, l.outFeatures);
    // dX = dY W  (batch x in)
    if (gradInput) coreGemm(rt, 0, 0, batch, l.inFeatures, l.outFeatures, 1, gradOutput, l.outFeatures, weights[0]!, l.inFeatures, 0, gradInput, l.inFeatures);
  },

  macs(l, batch, inputGradient) {
    const weight = batch * l.inFeatures * l.outFeatures, bias = l.bias ? batch * l.outFeatures : 0;
    return { forward: weight + bias, backward: weight + bias + (inputGradient ? weight : 0) };
  },

  gemms(l, batch, inputGradient) {
    return {
      forward: [{ m: batch, n: l.outFeatures, k: l.inFeatures }],
      backward: [
        { m: l.outFeatures, n: l.inFeatures, k: batch },
        ...(inputGradient ? [{ m: batch, n: l.inFeatures, k: l.outFeatures }] : []),
      ],
    };
  },
};

// What every activation layer shares: one elementwise kernel pair in the core
// (assembly/kernels/activations.ts, selected by a kind code), forward
// y = f(x) and backward dx = dy * f'(saved) written over dy, no parameters,
// no MACs (torchinfo counts none). Each kind's own file says its code, its
// PyTorch name and whether backward reads the input or the output.

import { ArgumentError, describeValue, isFiniteFloat32 } from '../../errors.js';
import type { ActivationSpec, LayerModule } from '../layer.js';

export interface ActivationKindInfo<K extends string> {
  kind: K;
  /** Kind code of assembly/kernels/activations.ts. */
  code: number;
  backwardReads: 'input' | 'output';
  describe(spec: ActivationSpec): string;
}

export type ActivationModule<K extends string = string> = LayerModule<ActivationSpec> & { readonly key: K; readonly code: number };

export function activationModule<K extends string>(info: ActivationKindInfo<K>): ActivationModule<K> {
  return {
    key: info.kind,
    code: info.code,
    role: 'activation',
    backwardReads: info.backwardReads,
    validate(l, i, inWidth) {
      if (inWidth === null) throw new ArgumentError(`layer ${i} (${l.kind}) must follow a Linear layer`);
      // The core reads the slope as float32, where 1e39 is infinite.
      if (!isFiniteFloat32(l.slope)) {
        throw new ArgumentError(`layer ${i}: slope must be finite${Number.isFinite(l.slope) ? ' in float32' : ''}, got ${describeValue(l.slope)}`);
      }
      return inWidth;
    },
    describe: info.describe,
    parameters: () => [],
    outWidth: (_l, inWidth) => inWidth,
    initialise: () => {},
    forward(l, { rt, batch, inWidth, input, output }) {
      rt.core.activationForward(info.code, input, output, batch * inWidth, l.slope);
    },
    backward(l, { rt, batch, inWidth, input, output, gradOutput, gradInput }) {
      const saved = info.backwardReads === 'output' ? output : input;
      rt.core.activationBackward(info.code, saved, gradOutput, gradInput, batch * inWidth, l.slope);
    },
    macs: () => ({ forward: 0, backward: 0 }),
    gemms: () => ({ forward: [], backward: [] }),
  };
}

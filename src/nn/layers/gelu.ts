// GELU: x Phi(x), exact (erf) or with PyTorch's tanh approximation. Backward
// reads its input.
import type { ActivationSpec } from '../layer.js';
import { activationModule } from './activation.js';

/** GELU, exact (erf) by default; approximate: 'tanh' as PyTorch's nn.GELU(approximate='tanh'). */
export const GELU = (options: { approximate?: 'none' | 'tanh' } = {}): ActivationSpec => ({
  type: 'activation',
  kind: options?.approximate === 'tanh' ? 'gelu_tanh' : 'gelu',
  slope: 0,
});
export const gelu = activationModule({ kind: 'gelu', code: 4, backwardReads: 'input', describe: () => 'GELU' });
export const geluTanh = activationModule({ kind: 'gelu_tanh', code: 5, backwardReads: 'input', describe: () => "GELU(approximate='tanh')" });

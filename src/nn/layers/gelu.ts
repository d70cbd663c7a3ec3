// GELU: x Phi(x), exact (erf) or with PyTorch's tanh approximation. Backward
// reads its input.
import { ArgumentError, checkOptions, describeValue, orDefault } from '../../errors.js';
import type { ActivationSpec } from '../layer.js';
import { activationModule } from './activation.js';

/** GELU, exact (erf) by default; approximate: 'tanh' as PyTorch's nn.GELU(approximate='tanh'). */
export function GELU(options: { approximate?: 'none' | 'tanh' } = {}): ActivationSpec {
  const approximate = orDefault(checkOptions('GELU', options, ['approximate']).approximate, 'none');
  // Anything else would silently be the exact GELU.
  if (approximate !== 'none' && approximate !== 'tanh') throw new ArgumentError(`GELU approximate must be 'none' or 'tanh', got ${describeValue(approximate)}`);
  return { type: 'activation', kind: approximate === 'tanh' ? 'gelu_tanh' : 'gelu', slope: 0 };
}
export const gelu = activationModule({ kind: 'gelu', code: 4, backwardReads: 'input', describe: () => 'GELU' });
export const geluTanh = activationModule({ kind: 'gelu_tanh', code: 5, backwardReads: 'input', describe: () => "GELU(approximate='tanh')" });

// SiLU (swish): x sigmoid(x), PyTorch's nn.SiLU, the gate inside LLaMA's
// SwiGLU. Backward reads its input: s (1 + x (1 - s)) with s = sigmoid(x).
import type { ActivationSpec } from '../layer.js';
import { activationModule } from './activation.js';

export const SiLU = (): ActivationSpec => ({ type: 'activation', kind: 'silu', slope: 0 });
export const silu = activationModule({ kind: 'silu', code: 6, backwardReads: 'input', describe: () => 'SiLU' });

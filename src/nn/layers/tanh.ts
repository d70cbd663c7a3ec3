// Tanh. Backward reads its output: 1 - y^2.
import type { ActivationSpec } from '../layer.js';
import { activationModule } from './activation.js';

export const Tanh = (): ActivationSpec => ({ type: 'activation', kind: 'tanh', slope: 0 });
export const tanh = activationModule({ kind: 'tanh', code: 3, backwardReads: 'output', describe: () => 'Tanh' });

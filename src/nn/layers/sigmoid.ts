// Sigmoid: 1 / (1 + e^-x). Backward reads its output: y (1 - y).
import type { ActivationSpec } from '../layer.js';
import { activationModule } from './activation.js';

export const Sigmoid = (): ActivationSpec => ({ type: 'activation', kind: 'sigmoid', slope: 0 });
export const sigmoid = activationModule({ kind: 'sigmoid', code: 2, backwardReads: 'output', describe: () => 'Sigmoid' });

// ReLU: max(0, x). Backward reads its output (y > 0), so it may run in place.
import type { ActivationSpec } from '../layer.js';
import { activationModule } from './activation.js';

export const ReLU = (): ActivationSpec => ({ type: 'activation', kind: 'relu', slope: 0 });
export const relu = activationModule({ kind: 'relu', code: 0, backwardReads: 'output', describe: () => 'ReLU' });

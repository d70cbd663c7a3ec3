// LeakyReLU(slope): x for x > 0, slope * x otherwise. Backward reads its input
// (a negative slope makes the output's sign ambiguous).
import type { ActivationSpec } from '../layer.js';
import { activationModule } from './activation.js';

export const LeakyReLU = (negativeSlope = 0.01): ActivationSpec => ({ type: 'activation', kind: 'leaky_relu', slope: negativeSlope });
export const leakyRelu = activationModule({ kind: 'leaky_relu', code: 1, backwardReads: 'input', describe: (l) => `LeakyReLU(${l.slope})` });

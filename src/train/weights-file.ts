// Trained weights on disk, as JSON a person (or Python) can read:
//
//   {
//     "format": "wasmgrad.weights/1",
//     "layers": [ { "type": "linear", "inFeatures": 784, "outFeatures": 100, "bias": true },
//                 { "type": "activation", "kind": "relu", "slope": 0 }, ... ],
//     "parameters": [ { "name": "0.weight", "shape": [100, 784], "data": [ ... ] }, ... ]
//   }
//
// Names and layouts are PyTorch's (`0.weight` is W[out][in] of layer 0), so a
// file maps onto `nn.Sequential(...).state_dict()` one entry for one entry.
// Every float32 is written as the double that equals it, so a file reloads
// bit for bit. Reading checks everything (format, layers, names, shapes,
// finiteness) before a model is built or touched: a bad file never half-loads.

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { ArgumentError, NonFiniteError, ShapeError, isFiniteFloat32, describeValue, clip } from '../errors.js';
import { ACTIVATION_KINDS, type ActivationKind, type LayerSpec, Linear, activation } from '../nn/layers.js';
import { Sequential, type SequentialOptions, validateLayers } from '../nn/sequential.js';
import type { Runtime } from '../runtime.js';

export const WEIGHTS_FORMAT = 'wasmgrad.weights/1';

export interface WeightsParameter {
  name: string;
  shape: number[];
  data: number[];
}

export interface WeightsFile {
  format: typeof WEIGHTS_FORMAT;
  layers: LayerSpec[];
  parameters: WeightsParameter[];
}

/** The model's layers and parameters as a weights document. */
export function weightsOf(model: Sequential): WeightsFile {
  return {
    format: WEIGHTS_FORMAT,
    layers: model.layers.map((l) => ({ ...l })),
    parameters: model.parameters().map((p) => ({ name: p.name, shape: p.shape, data: Array.from(p.data) })),
  };
}

/**
 * Writes the model's weights to `path`. The text goes to a temporary file
 * first and is renamed over `path`, so a crash never leaves half a file.
 */
export function saveWeights(path: string, model: Sequential): void {
  const text = JSON.stringify(weightsOf(model));
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
}

/** Reads and fully validates a weights file; errors start with `path`. */
export function readWeights(path: string): WeightsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ArgumentError(`${path}: cannot read the weights file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseWeights(text, path);
}

/** Parses and validates a weights document; `source` (a path) starts every error message. */
export function parseWeights(text: string, source = 'weights'): WeightsFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ArgumentError(`${source}: not JSON (${clip((e as Error).message)})`);
  }
  if (!isObject(doc)) throw new ArgumentError(`${source}: expected a JSON object with format, layers and parameters`);
  if (doc.format !== WEIGHTS_FORMAT) {
    throw new ArgumentError(`${source}: format must be '${WEIGHTS_FORMAT}', got ${describeValue(doc.format, "'")}`);
  }
  if (!Array.isArray(doc.layers)) throw new ArgumentError(`${source}: 'layers' must be an array of layer descriptions`);
  const layers = doc.layers.map((l, i) => parseLayer(l, i, source));
  try {
    validateLayers(layers);
  } catch (e) {
    throw new ArgumentError(`${source}: layers: ${(e as Error).message}`);
  }

  if (!Array.isArray(doc.parameters)) throw new ArgumentError(`${source}: 'parameters' must be an array of { name, shape, data }`);
  const expected = expectedParameters(layers);
  const given = new Map<string, unknown>();
  doc.parameters.forEach((p, i) => {
    if (!isObject(p) || typeof p.name !== 'string') throw new ArgumentError(`${source}: parameters[${i}] must be an object with a string 'name'`);
    if (given.has(p.name)) throw new ArgumentError(`${source}: parameter ${describeValue(p.name, "'")} appears twice`);
    if (!expected.some((e) => e.name === p.name)) {
      throw new ArgumentError(`${source}: unknown parameter ${describeValue(p.name, "'")}; these layers have ${expected.map((e) => e.name).join(', ')}`);
    }
    given.set(p.name, p);
  });
  const parameters = expected.map(({ name, shape }) => {
    const p = given.get(name) as Record<string, unknown> | undefined;
    if (!p) throw new ArgumentError(`${source}: missing parameter '${name}' (shape [${shape.join(', ')}])`);
    if (!Array.isArray(p.shape) || p.shape.length !== shape.length || p.shape.some((d, k) => d !== shape[k])) {
      throw new ShapeError(`${source}: parameter '${name}' has shape ${describeValue(p.shape, "'")}; the layers need [${shape.join(', ')}]`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(p.data) || p.data.length !== count) {
      const got = Array.isArray(p.data) ? `${p.data.length} values` : JSON.stringify(typeof p.data);
      throw new ShapeError(`${source}: parameter '${name}' needs ${count} values in 'data' (shape [${shape.join(', ')}]), got ${got}`);
    }
    const data = p.data as unknown[];
    for (let k = 0; k < data.length; k++) {
      // JSON has no NaN or Infinity; writers that meet them emit null. A number beyond float32 would load as infinity.
      if (!isFiniteFloat32(data[k])) {
        const why = Number.isFinite(data[k]) ? ' (beyond float32)' : '';
        throw new NonFiniteError(`${source}: parameter '${name}' has a non-finite value at index ${k}: ${describeValue(data[k], "'")}${why}`);
      }
    }
    return { name, shape: [...shape], data: data as number[] };
  });
  return { format: WEIGHTS_FORMAT, layers, parameters };
}

/** A new model with the file's layers and parameters. */
export function modelFromWeights(runtime: Runtime, weights: WeightsFile, options: Omit<SequentialOptions, 'seed'> = {}): Sequential {
  const model = new Sequential(runtime, weights.layers, options);
  try {
    model.setParameters(byName(weights));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Loads the file's parameters into an existing model whose layers must be the file's. */
export function loadWeightsInto(model: Sequential, weights: WeightsFile, source = 'weights'): void {
  const want = JSON.stringify(model.layers);
  const have = JSON.stringify(weights.layers);
  if (want !== have) throw new ShapeError(`${source}: its layers ${describeSizes(weights.layers)} are not the model's ${describeSizes(model.layers)}`);
  model.setParameters(byName(weights));
}

/** Layer widths and activations, e.g. "784-relu-100-10". */
export function describeSizes(layers: readonly LayerSpec[]): string {
  const parts: string[] = [];
  layers.forEach((l, i) => {
    if (l.type === 'linear') {
      if (i === 0) parts.push(String(l.inFeatures));
      parts.push(String(l.outFeatures));
    } else {
      parts.push(l.kind);
    }
  });
  return parts.join('-');
}

function byName(weights: WeightsFile): Record<string, number[]> {
  return Object.fromEntries(weights.parameters.map((p) => [p.name, p.data]));
}

/** Names and shapes in Sequential's order: per Linear i, `i.weight` [out, in] then `i.bias` [out]. */
function expectedParameters(layers: readonly LayerSpec[]): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [];
  layers.forEach((l, i) => {
    if (l.type !== 'linear') return;
    out.push({ name: `${i}.weight`, shape: [l.outFeatures, l.inFeatures] });
    if (l.bias) out.push({ name: `${i}.bias`, shape: [l.outFeatures] });
  });
  return out;
}

/** One layer description, rebuilt from known fields only. */
function parseLayer(l: unknown, i: number, source: string): LayerSpec {
  const where = `${source}: layers[${i}]`;
  if (!isObject(l)) throw new ArgumentError(`${where} must be an object, got ${describeValue(l, "'")}`);
  if (l.type === 'linear') {
    for (const key of ['inFeatures', 'outFeatures'] as const) {
      if (!Number.isInteger(l[key]) || (l[key] as number) < 1) throw new ArgumentError(`${where}.${key} must be a positive integer, got ${describeValue(l[key], "'")}`);
    }
    if (typeof l.bias !== 'boolean') throw new ArgumentError(`${where}.bias must be true or false, got ${describeValue(l.bias, "'")}`);
    return Linear(l.inFeatures as number, l.outFeatures as number, { bias: l.bias });
  }
  if (l.type === 'activation') {
    if (!ACTIVATION_KINDS.includes(l.kind as ActivationKind)) {
      throw new ArgumentError(`${where}.kind must be one of ${ACTIVATION_KINDS.join(', ')}, got ${describeValue(l.kind, "'")}`);
    }
    if (typeof l.slope !== 'number' || !Number.isFinite(l.slope)) throw new ArgumentError(`${where}.slope must be a finite number, got ${describeValue(l.slope, "'")}`);
    return activation(l.kind as ActivationKind, l.slope);
  }
  throw new ArgumentError(`${where}.type must be 'linear' or 'activation', got ${describeValue(l.type, "'")}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

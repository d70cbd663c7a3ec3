// A model's weights as a document, and that document in its two file formats
// (no file system here, so this works in browsers):
//
//   safetensors  the default: the tensors as float32 by PyTorch name, the layer
//                list as JSON under __metadata__["wasmgrad.layers"], so the
//                file alone rebuilds the model (PyTorch reads it as a state dict)
//   JSON         for people and scripts:
//     {
//       "format": "wasmgrad.weights/1",
//       "layers": [ { "type": "linear", "inFeatures": 784, "outFeatures": 100, "bias": true },
//                   { "type": "activation", "kind": "relu", "slope": 0 }, ... ],
//       "parameters": [ { "name": "0.weight", "shape": [100, 784], "data": [ ... ] }, ... ]
//     }
//
// Names and layouts are PyTorch's (`0.weight` is W[out][in] of layer 0), so a
// file maps onto `nn.Sequential(...).state_dict()` one entry for one entry.
// JSON writes every float32 as the double that equals it, so both formats
// reload bit for bit. Reading checks everything (layers, names, shapes,
// finiteness) before a model is built or touched: a bad file never half-loads.

import { ArgumentError, NonFiniteError, ShapeError, clip, describeValue, isFiniteFloat32 } from '../errors.js';
import { readSafetensors, safetensorsChunks, writeSafetensors } from '../io/safetensors.js';
import { ACTIVATION_KINDS, type ActivationKind, type LayerSpec, Linear, activation, parameterSlots, validateLayers } from '../nn/layers.js';
import { Sequential, type SequentialOptions } from '../nn/sequential.js';
import type { Runtime } from '../runtime.js';

export const WEIGHTS_FORMAT = 'wasmgrad.weights/1';
/** The __metadata__ key of a safetensors file that holds the layer list (JSON text). */
export const LAYERS_METADATA_KEY = 'wasmgrad.layers';

export interface WeightsParameter {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface WeightsFile {
  format: typeof WEIGHTS_FORMAT;
  layers: LayerSpec[];
  parameters: WeightsParameter[];
}

export type WeightsFormat = 'safetensors' | 'json';

/** The format a file name asks for: `.json` is JSON, anything else safetensors. */
export function weightsFormatOf(path: string): WeightsFormat {
  return /\.json$/i.test(path) ? 'json' : 'safetensors';
}

/** The model's layers and parameters as a weights document. */
export function weightsOf(model: Sequential): WeightsFile {
  return { format: WEIGHTS_FORMAT, layers: model.layers.map((l) => ({ ...l })), parameters: model.parameters() };
}

/** The document as file chunks in `format`, to write one after another (nothing the size of the whole file is built). */
export function weightsChunks(weights: WeightsFile, format: WeightsFormat): Iterable<Uint8Array | string> {
  return format === 'json' ? jsonChunks(weights) : safetensorsChunks(weights.parameters, layersMetadata(weights.layers));
}

/** The model as a safetensors file, bytes out. */
export function modelToSafetensors(model: Sequential): Uint8Array {
  return writeSafetensors(model.parameters(), layersMetadata(model.layers));
}

function layersMetadata(layers: readonly LayerSpec[]): Record<string, string> {
  return { [LAYERS_METADATA_KEY]: JSON.stringify(layers) };
}

/**
 * A checked weights document from a safetensors file. Its layers come from
 * __metadata__["wasmgrad.layers"]; a file without them (saved by PyTorch
 * alone) needs `layers` given.
 */
export function weightsFromSafetensors(bytes: Uint8Array, options: { source?: string; layers?: readonly LayerSpec[] } = {}): WeightsFile {
  const source = options.source ?? 'safetensors';
  const { tensors, metadata } = readSafetensors(bytes, source);
  const text = metadata[LAYERS_METADATA_KEY];
  let layers: LayerSpec[];
  if (text !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new ArgumentError(`${source}: __metadata__ '${LAYERS_METADATA_KEY}' is not JSON (${clip((e as Error).message)})`);
    }
    layers = parseLayers(value, source);
  } else if (options.layers) {
    layers = parseLayers(options.layers, source);
  } else {
    throw new ArgumentError(`${source}: no '${LAYERS_METADATA_KEY}' in __metadata__, so the file does not say its layers; give them (serve-check --layers and --activation)`);
  }
  return { format: WEIGHTS_FORMAT, layers, parameters: checkParameters(layers, tensors, source) };
}

/** Parses and validates a JSON weights document; `source` (a path) starts every error message. */
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
  const layers = parseLayers(doc.layers, source);
  if (!Array.isArray(doc.parameters)) throw new ArgumentError(`${source}: 'parameters' must be an array of { name, shape, data }`);
  return { format: WEIGHTS_FORMAT, layers, parameters: checkParameters(layers, doc.parameters, source) };
}

/** A new model with the file's layers and parameters. */
export function modelFromWeights(runtime: Runtime, weights: WeightsFile, options: Omit<SequentialOptions, 'seed'> = {}): Sequential {
  const model = new Sequential(runtime, weights.layers, options);
  try {
    model.setParameters(weights);
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
  model.setParameters(weights);
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

/** The JSON document in pieces: a parameter's numbers go out in slices, so no string holds a whole large model. */
function* jsonChunks(weights: WeightsFile): Generator<string> {
  const SLICE = 65536;
  yield `{"format":${JSON.stringify(weights.format)},"layers":${JSON.stringify(weights.layers)},"parameters":[`;
  for (const [k, p] of weights.parameters.entries()) {
    yield `${k ? ',' : ''}{"name":${JSON.stringify(p.name)},"shape":${JSON.stringify(p.shape)},"data":[`;
    for (let i = 0; i < p.data.length; i += SLICE) yield `${i ? ',' : ''}${p.data.subarray(i, i + SLICE).join(',')}`;
    yield ']}';
  }
  yield ']}';
}

/** A layer list from a file, rebuilt from known fields only, then checked to chain (validateLayers). */
function parseLayers(value: unknown, source: string): LayerSpec[] {
  if (!Array.isArray(value)) throw new ArgumentError(`${source}: 'layers' must be an array of layer descriptions`);
  const layers = value.map((l, i) => parseLayer(l, i, source));
  try {
    validateLayers(layers);
  } catch (e) {
    throw new ArgumentError(`${source}: layers: ${(e as Error).message}`);
  }
  return layers;
}

/**
 * The given parameters in the layers' order (parameterSlots), each checked:
 * a known name, once, every name present, the layer's shape, finite float32
 * values. Returned as float32.
 */
function checkParameters(layers: readonly LayerSpec[], list: readonly unknown[], source: string): WeightsParameter[] {
  const expected = parameterSlots(layers);
  const given = new Map<string, Record<string, unknown>>();
  list.forEach((p, i) => {
    if (!isObject(p) || typeof p.name !== 'string') throw new ArgumentError(`${source}: parameters[${i}] must be an object with a string 'name'`);
    if (given.has(p.name)) throw new ArgumentError(`${source}: parameter ${describeValue(p.name, "'")} appears twice`);
    if (!expected.some((e) => e.name === p.name)) {
      throw new ArgumentError(`${source}: unknown parameter ${describeValue(p.name, "'")}; these layers have ${expected.map((e) => e.name).join(', ')}`);
    }
    given.set(p.name, p);
  });
  return expected.map(({ name, shape, count }) => {
    const p = given.get(name);
    if (!p) throw new ArgumentError(`${source}: missing parameter '${name}' (shape [${shape.join(', ')}])`);
    if (!Array.isArray(p.shape) || p.shape.length !== shape.length || p.shape.some((d, k) => d !== shape[k])) {
      throw new ShapeError(`${source}: parameter '${name}' has shape ${describeValue(p.shape, "'")}; the layers need [${shape.join(', ')}]`);
    }
    const data = p.data as ArrayLike<unknown>;
    if (!(Array.isArray(data) || data instanceof Float32Array) || data.length !== count) {
      const got = Array.isArray(data) || data instanceof Float32Array ? `${data.length} values` : JSON.stringify(typeof data);
      throw new ShapeError(`${source}: parameter '${name}' needs ${count} values in 'data' (shape [${shape.join(', ')}]), got ${got}`);
    }
    for (let k = 0; k < data.length; k++) {
      // JSON has no NaN or Infinity; writers that meet them emit null. A number beyond float32 would load as infinity.
      if (!isFiniteFloat32(data[k])) {
        const why = Number.isFinite(data[k]) ? ' (beyond float32)' : '';
        throw new NonFiniteError(`${source}: parameter '${name}' has a non-finite value at index ${k}: ${describeValue(data[k], "'")}${why}`);
      }
    }
    return { name, shape: [...shape], data: data instanceof Float32Array ? data : Float32Array.from(data as number[]) };
  });
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

// Parameters by name over a flat block: reading them out in PyTorch's names
// and layout, and checking then writing values given in any form a user
// holds (a state dict as an object or Map, a parameters() list, a weights
// document). Every model that keeps its parameters in one block (Sequential,
// GPT) reads and writes them through here.

import { ArgumentError, NonFiniteError, ShapeError, checkBoolean, checkOptions, clip, describeValue, isFiniteFloat32 } from '../errors.js';

/** Where a parameter lives in its model's flat block. */
export interface ParameterSlot {
  name: string;
  shape: readonly number[];
  /** Offset in the block, in elements. */
  offset: number;
  count: number;
}

export interface NamedParameter {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** One parameter as parameters() lists it and weights documents hold it (any array of numbers for `data`). */
export interface ParameterValue {
  name: string;
  shape?: readonly number[];
  data: ArrayLike<number>;
}

/** Every form setParameters takes: a state dict as an object or Map, a parameters() list, a weights document. */
export type ParameterValues =
  | Record<string, ArrayLike<number>>
  | ReadonlyMap<string, ArrayLike<number>>
  | readonly ParameterValue[]
  | { readonly parameters: readonly ParameterValue[] };

/** Copies of every parameter in `block` (weights or gradients), by name. */
export function readParameters(slots: readonly ParameterSlot[], block: Float32Array): NamedParameter[] {
  return slots.map((s) => ({ name: s.name, shape: [...s.shape], data: block.slice(s.offset, s.offset + s.count) }));
}

/**
 * Checks `values` against the slots and returns what to write. Strict by
 * default, as PyTorch's load_state_dict: every parameter must be given;
 * `{ strict: false }` sets only those named. An unknown name is refused
 * either way, and so is a shape that a list or document gives and that
 * differs. Nothing is written here, so a bad argument changes nothing.
 */
export function checkParameterValues(slots: readonly ParameterSlot[], values: ParameterValues, options: { strict?: boolean } = {}): { slot: ParameterSlot; data: ArrayLike<number> }[] {
  const strict = checkOptions('setParameters', options, ['strict']).strict ?? true;
  checkBoolean('setParameters strict', strict);
  const byName = new Map(slots.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const writes = parameterEntries(values).map(({ name, data, shape }) => {
    const slot = byName.get(name);
    if (!slot) throw new ArgumentError(`unknown parameter '${clip(name)}'; this model has ${clip(slots.map((s) => s.name).join(', '), 200)}`);
    if (seen.has(name)) throw new ArgumentError(`parameter '${name}' is given twice`);
    seen.add(name);
    if (typeof data !== 'object' || data === null || !Number.isSafeInteger(data.length)) {
      throw new ArgumentError(`parameter '${name}' needs a Float32Array or array of numbers, got ${describeValue(data)}`);
    }
    if (shape !== undefined && (!Array.isArray(shape) || shape.length !== slot.shape.length || shape.some((d, i) => d !== slot.shape[i]))) {
      throw new ShapeError(`parameter '${name}' has shape [${slot.shape.join(', ')}], got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : describeValue(shape)}`);
    }
    if (data.length !== slot.count) {
      throw new ShapeError(`parameter '${name}' needs ${slot.count} values (shape [${slot.shape.join(', ')}]), got ${data.length}`);
    }
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (typeof v !== 'number') throw new ArgumentError(`parameter '${name}' has a value that is not a number at index ${i}: ${describeValue(v)}`);
      // Weights are float32: a value beyond its range would be stored as infinity.
      if (!isFiniteFloat32(v)) {
        const why = Number.isFinite(v) ? ' (beyond float32)' : '';
        throw new NonFiniteError(`parameter '${name}' has a non-finite value at index ${i}: ${v}${why}`);
      }
    }
    return { slot, data };
  });
  const missing = strict ? slots.filter((s) => !seen.has(s.name)) : [];
  if (missing.length) {
    const list = missing.map((s) => `'${s.name}' [${s.shape.join(', ')}]`).join(', ');
    throw new ArgumentError(`setParameters is missing ${clip(list, 200)}; pass { strict: false } to set only some parameters`);
  }
  return writes;
}

/** The (name, values, shape?) entries of any form setParameters takes. */
function parameterEntries(values: unknown): { name: string; data: ArrayLike<number>; shape?: unknown }[] {
  if (values instanceof Map) return [...values].map(([name, data]) => ({ name: String(name), data }));
  if (Array.isArray(values)) {
    return values.map((p, i) => {
      if (typeof p !== 'object' || p === null || typeof p.name !== 'string') {
        throw new ArgumentError(`setParameters list entry ${i} must be { name, shape, data } as parameters() returns, got ${describeValue(p)}`);
      }
      return { name: p.name, data: p.data, shape: p.shape };
    });
  }
  if (typeof values === 'object' && values !== null && !ArrayBuffer.isView(values)) {
    // A weights document: its parameters list (no model has a parameter named 'parameters').
    if (Array.isArray((values as { parameters?: unknown }).parameters)) return parameterEntries((values as { parameters: unknown[] }).parameters);
    return Object.entries(values).map(([name, data]) => ({ name, data }));
  }
  throw new ArgumentError(`setParameters needs { name: values }, a Map, a parameters() list or a weights document, got ${describeValue(values)}`);
}

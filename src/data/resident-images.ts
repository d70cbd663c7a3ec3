// A labelled image dataset that lives in WASM memory (category `inputs`), so
// each shuffled batch is gathered and scaled to float32 by the core, straight
// into the training step's batch buffer: no JS loop over pixels, no float
// copy of the dataset, no copy into WASM per step.

import { ArgumentError, checkInt, describeValue } from '../errors.js';
import type { BatchSource } from '../nn/sequential.js';
import type { Runtime } from '../runtime.js';
import { type PixelNormalization, pixelTable } from './idx.js';
import { readerOf } from '../memory/wasm-views.js';
import { checkLiveView } from '../tensor.js';

export interface ImageSet {
  /** count * rows * cols pixels, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export class ResidentImages {
  readonly count: number;
  /** Pixels per image. */
  readonly features: number;
  private imagesPtr: number;
  private labelsPtr = 0;
  private orderPtr = 0;
  private tablePtr = 0;

  /** Copies the images and labels into WASM memory once; batches of up to `maxBatch` rows. */
  constructor(
    readonly runtime: Runtime,
    data: ImageSet,
    readonly maxBatch: number,
    normalization?: PixelNormalization,
  ) {
    checkInt('maxBatch', maxBatch, 1);
    checkImageSet(data);
    this.count = data.count;
    this.features = data.rows * data.cols;
    if (data.images.length !== this.count * this.features || data.labels.length !== this.count) {
      throw new ArgumentError(`images hold ${data.images.length} bytes and ${data.labels.length} labels; ${this.count} images of ${this.features} pixels need ${this.count * this.features} and ${this.count}`);
    }
    // The floats pixelsToFloat32 writes for each byte value: the gather looks them up.
    const table = pixelTable(normalization);
    const arena = runtime.arena;
    const readImages = readerOf(runtime.memory, data.images), readLabels = readerOf(runtime.memory, data.labels);
    this.imagesPtr = arena.alloc(data.images.length, 'inputs', 'training images');
    try {
      this.labelsPtr = arena.alloc(this.count, 'inputs', 'training labels');
      this.orderPtr = arena.alloc(maxBatch * 4, 'inputs', 'batch order');
      this.tablePtr = arena.alloc(table.byteLength, 'inputs', 'pixel values');
    } catch (e) {
      this.dispose();
      throw e;
    }
    new Uint8Array(runtime.memory.buffer, this.imagesPtr, this.count * this.features).set(readImages());
    new Uint8Array(runtime.memory.buffer, this.labelsPtr, this.count).set(readLabels());
    new Float32Array(runtime.memory.buffer, this.tablePtr, table.length).set(table);
  }

  /** The batch of images `order[first ..< first + rows]`, as a source a training step fills itself from. */
  batch(order: Uint32Array, first: number, rows: number): BatchSource {
    if (!this.imagesPtr) throw new ArgumentError('these resident images were disposed');
    checkInt('rows', rows, 1, this.maxBatch);
    if (first + rows > order.length) throw new ArgumentError(`batch ${first}..${first + rows} runs past the order's ${order.length} entries`);
    const indices = new Uint32Array(this.runtime.memory.buffer, this.orderPtr, rows);
    for (let r = 0; r < rows; r++) {
      const i = order[first + r]!;
      if (i >= this.count) throw new ArgumentError(`order[${first + r}] is ${i}; there are ${this.count} images`);
      indices[r] = i;
    }
    const core = this.runtime.core;
    return {
      rows,
      fill: (x, target) => {
        core.gatherPixels(this.imagesPtr, this.features, this.orderPtr, rows, x, this.tablePtr);
        core.gatherLabels(this.labelsPtr, this.orderPtr, rows, target);
      },
    };
  }

  /** Returns the dataset's memory to the allocator. */
  dispose(): void {
    const arena = this.runtime.arena;
    for (const p of [this.tablePtr, this.orderPtr, this.labelsPtr, this.imagesPtr]) if (p) arena.free(p);
    this.imagesPtr = this.labelsPtr = this.orderPtr = this.tablePtr = 0;
  }
}

/** A typed refusal of anything but an image set of bytes (as parseImages and parseLabels give), before anything is allocated. */
function checkImageSet(data: ImageSet): void {
  if (typeof data !== 'object' || data === null) {
    throw new ArgumentError(`ResidentImages: data must be an image set { images, labels, count, rows, cols }, got ${describeValue(data)}`);
  }
  for (const name of ['count', 'rows', 'cols'] as const) checkInt(`ResidentImages ${name}`, data[name], 1);
  for (const name of ['images', 'labels'] as const) {
    const view = data[name];
    // Bytes only: any other array would be copied with its values wrapped modulo 256.
    if (!(view instanceof Uint8Array)) throw new ArgumentError(`ResidentImages: ${name} must be a Uint8Array of bytes, got ${describeValue(view)}`);
    checkLiveView('ResidentImages', name, view);
  }
}

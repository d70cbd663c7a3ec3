// A tiny MNIST-format dataset for command-line tests: 8x8 images whose label is
// the quadrant holding a bright 4x4 block, which a 64-16-4 MLP learns in two epochs.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { rng } from './rng.js';

function idx(dims: number[], payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, payload]);
}

/** count 8x8 images, dim noise everywhere and a bright 4x4 block in quadrant = label. */
function quadrantImages(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const next = rng(seed);
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = Math.floor(next() * 4);
    labels[n] = label;
    const top = label < 2 ? 0 : 4, left = label % 2 === 0 ? 0 : 4;
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 8; c++) {
        const bright = r >= top && r < top + 4 && c >= left && c < left + 4;
        images[n * 64 + r * 8 + c] = bright ? 120 + Math.floor(next() * 136) : Math.floor(next() * 90);
      }
    }
  }
  return { images, labels };
}

/** A dataset directory: 200 train images (gzipped files, as Debian ships them) and 50 test images (plain files). */
export function writeTinyMnist(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const train = quadrantImages(200, 1), test = quadrantImages(50, 2);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx([200, 8, 8], train.images)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([200], train.labels)));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([50, 8, 8], test.images));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([50], test.labels));
  return dir;
}

import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import { MAX_IDX_BYTES } from '../src/data/idx.js';
import { ArgumentError } from '../src/errors.js';
import { rng } from './helpers/rng.js';
import { afterAll, describe, it, expect } from 'vitest';

import {
  DATA_DIR_ENV,
  DEBIAN_DATA_DIRS,
  candidateFileNames,
  findDataDir,
  loadMnist,
  loadMnistDir,
  readIdxFile,
} from '../src/data/mnist-files.js';

const root = mkdtempSync(join(tmpdir(), 'wasmgrad-mnist-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirCounter = 0;
function freshDir(): string {
  const dir = join(root, `d${dirCounter++}`);
  mkdirSync(dir);
  return dir;
}

function idx(dims: number[], payload: ArrayLike<number>): Uint8Array {
  const header = 4 + 4 * dims.length;
  const bytes = new Uint8Array(header + payload.length);
  bytes[2] = 0x08;
  bytes[3] = dims.length;
  const view = new DataView(bytes.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  bytes.set(Array.from(payload), header);
  return bytes;
}

/** Deterministic pixels and labels that differ per split, so a swapped file is caught. */
function imagesFile(count: number, rows = 2, cols = 3, salt = 0): Uint8Array {
  return idx([count, rows, cols], Array.from({ length: count * rows * cols }, (_, i) => (i * 13 + salt) & 0xff));
}
function labelsFile(count: number, salt = 0): Uint8Array {
  return idx([count], Array.from({ length: count }, (_, i) => (i + salt) % 10));
}

interface Fixture {
  trainImages?: Uint8Array;
  trainLabels?: Uint8Array;
  testImages?: Uint8Array;
  testLabels?: Uint8Array;
}

/** Write a dataset directory; `gz` chooses `<name>.gz` files (Debian's layout). */
function writeDataset(fixture: Fixture = {}, gz = false): string {
  const dir = freshDir();
  const files: Required<Fixture> = {
    trainImages: imagesFile(5, 2, 3, 1),
    trainLabels: labelsFile(5, 1),
    testImages: imagesFile(3, 2, 3, 2),
    testLabels: labelsFile(3, 2),
    ...fixture,
  };
  const names = {
    trainImages: 'train-images-idx3-ubyte',
    trainLabels: 'train-labels-idx1-ubyte',
    testImages: 't10k-images-idx3-ubyte',
    testLabels: 't10k-labels-idx1-ubyte',
  };
  for (const key of Object.keys(names) as (keyof typeof names)[]) {
    const bytes = files[key];
    writeFileSync(join(dir, gz ? `${names[key]}.gz` : names[key]), gz ? gzipSync(bytes) : bytes);
  }
  return dir;
}

describe('loadMnistDir', () => {
  it('loads plain IDX files', () => {
    const dir = writeDataset();
    const ds = loadMnistDir(dir);
    expect(ds.dir).toBe(dir);
    expect(ds.train).toMatchObject({ count: 5, rows: 2, cols: 3, maxLabel: 5 });
    expect(ds.test).toMatchObject({ count: 3, rows: 2, cols: 3, maxLabel: 4 });
    expect(Array.from(ds.train.images)).toEqual(Array.from(imagesFile(5, 2, 3, 1).subarray(16)));
    expect(Array.from(ds.train.labels)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(ds.test.images)).toEqual(Array.from(imagesFile(3, 2, 3, 2).subarray(16)));
    expect(Array.from(ds.test.labels)).toEqual([2, 3, 4]);
    expect(ds.train.files.images).toBe(join(dir, 'train-images-idx3-ubyte'));
  });

  it('loads gzipped files named like the Debian package (<name>.gz)', () => {
    const plain = loadMnistDir(writeDataset());
    const dir = writeDataset({}, true);
    const gz = loadMnistDir(dir);
    expect(gz.train.files.labels).toBe(join(dir, 'train-labels-idx1-ubyte.gz'));
    expect(Array.from(gz.train.images)).toEqual(Array.from(plain.train.images));
    expect(Array.from(gz.test.labels)).toEqual(Array.from(plain.test.labels));
  });

  it('accepts the dotted names some mirrors use (train-images.idx3-ubyte)', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'train-images.idx3-ubyte'), imagesFile(2));
    writeFileSync(join(dir, 'train-labels.idx1-ubyte'), labelsFile(2));
    writeFileSync(join(dir, 't10k-images.idx3-ubyte.gz'), gzipSync(imagesFile(1)));
    writeFileSync(join(dir, 't10k-labels.idx1-ubyte'), labelsFile(1));
    const ds = loadMnistDir(dir);
    expect(ds.train.count).toBe(2);
    expect(ds.test.count).toBe(1);
  });

  it('names the file and both lengths when a file is truncated', () => {
    const dir = writeDataset({ testImages: imagesFile(3).subarray(0, 16 + 10) });
    expect(() => loadMnistDir(dir)).toThrow(
      `${join(dir, 't10k-images-idx3-ubyte')}: truncated: dims [3, 2, 3] need 34 bytes (16 header + 18 data), found 26`,
    );
  });

  it('names the file when a gzipped file decompresses to a truncated IDX', () => {
    const dir = writeDataset({ trainLabels: labelsFile(5).subarray(0, 10) }, true);
    expect(() => loadMnistDir(dir)).toThrow(
      `${join(dir, 'train-labels-idx1-ubyte.gz')}: truncated: dims [5] need 13 bytes (8 header + 5 data), found 10`,
    );
  });

  it('rejects trailing bytes', () => {
    const padded = new Uint8Array(labelsFile(5).length + 2);
    padded.set(labelsFile(5));
    const dir = writeDataset({ trainLabels: padded });
    expect(() => loadMnistDir(dir)).toThrow(
      `${join(dir, 'train-labels-idx1-ubyte')}: trailing bytes after the data: dims [5] need 13 bytes (8 header + 5 data), found 15`,
    );
  });

  it('rejects a wrong magic number', () => {
    const bad = imagesFile(5);
    bad[1] = 0x07;
    const dir = writeDataset({ trainImages: bad });
    expect(() => loadMnistDir(dir)).toThrow(
      `${join(dir, 'train-images-idx3-ubyte')}: not an IDX file: magic number must start with bytes 0x00 0x00, found 0x00 0x07`,
    );
  });

  it('rejects a wrong element type, naming the code', () => {
    const bad = labelsFile(5);
    bad[2] = 0x0c;
    const dir = writeDataset({ trainLabels: bad });
    expect(() => loadMnistDir(dir)).toThrow(
      `${join(dir, 'train-labels-idx1-ubyte')}: IDX element type code 0x0c (int32) is not supported`,
    );
  });

  it('rejects images and labels files swapped (wrong number of dimensions)', () => {
    const dir = writeDataset({ testImages: labelsFile(3), testLabels: imagesFile(3) });
    expect(() => loadMnistDir(dir)).toThrow(
      `${join(dir, 't10k-images-idx3-ubyte')}: IDX header says 1 dimensions, expected 3`,
    );
  });

  it('names both files and both counts when images and labels disagree', () => {
    const dir = writeDataset({ trainLabels: labelsFile(4) });
    expect(() => loadMnistDir(dir)).toThrow(
      `${join(dir, 'train-images-idx3-ubyte')} holds 5 images but ${join(dir, 'train-labels-idx1-ubyte')} holds 4 labels`,
    );
  });

  it('rejects train and test images of different sizes', () => {
    const dir = writeDataset({ testImages: imagesFile(3, 3, 3) });
    expect(() => loadMnistDir(dir)).toThrow('train images');
    expect(() => loadMnistDir(dir)).toThrow('are 2x3 but test images');
    expect(() => loadMnistDir(dir)).toThrow('are 3x3; a model needs one input size');
  });

  it('lists the directory and every name tried when a file is missing', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), imagesFile(1));
    const message = (() => {
      try {
        loadMnistDir(dir);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('loadMnistDir did not throw');
    })();
    expect(message).toContain(`${dir}: missing the train labels file; looked for `);
    for (const name of candidateFileNames('trainLabels')) expect(message).toContain(name);
    expect(message).toContain('apt-get install dataset-fashion-mnist');
  });

  it('names the file when gzip data is corrupt', () => {
    const dir = writeDataset({}, true);
    const path = join(dir, 't10k-labels-idx1-ubyte.gz');
    const gz = gzipSync(labelsFile(3, 2));
    gz[gz.length - 6] ^= 0xff; // flip a CRC byte
    writeFileSync(path, gz);
    expect(() => loadMnistDir(dir)).toThrow(`${path}: corrupt gzip data (`);
  });

  it('names the file when gzip data is cut short', () => {
    const dir = writeDataset({}, true);
    const path = join(dir, 'train-images-idx3-ubyte.gz');
    writeFileSync(path, gzipSync(imagesFile(5)).subarray(0, 12));
    expect(() => loadMnistDir(dir)).toThrow(`${path}: corrupt gzip data (`);
  });
});

describe('readIdxFile bounds what it reads', () => {
  it('a gzip bomb is refused at the size its header declares, without inflating the rest', async () => {
    // A valid header for 10 images of 28x28, then 200 MB of zeros: about 200 KB gzipped.
    const header = idx([10, 28, 28], []);
    const gzip = createGzip();
    const parts: Buffer[] = [];
    gzip.on('data', (d: Buffer) => parts.push(d));
    const done = new Promise((ok) => gzip.on('end', ok));
    gzip.write(header);
    const zeros = Buffer.alloc(1 << 20);
    for (let i = 0; i < 200; i++) gzip.write(zeros);
    gzip.end();
    await done;
    const path = join(freshDir(), 'train-images-idx3-ubyte.gz');
    writeFileSync(path, Buffer.concat(parts));

    const start = performance.now();
    expect(() => readIdxFile(path)).toThrow(
      new ArgumentError(`${path}: inflates to more than the 7,856 bytes its header declares (dims [10, 28, 28]); the file is corrupt or not an IDX file`),
    );
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('a header that declares more than the limit is refused before inflating', () => {
    const path = join(freshDir(), 'train-images-idx3-ubyte.gz');
    // Incompressible bytes after the header, so the file is past the size inflated whole.
    const next = rng(3);
    const noise = Array.from({ length: 8192 }, () => Math.floor(next() * 256));
    writeFileSync(path, gzipSync(idx([100_000, 1000, 1000], noise)));
    expect(() => readIdxFile(path)).toThrow(
      new ArgumentError(`${path}: dims [100000, 1000, 1000] need 100,000,000,016 bytes; wasmgrad reads IDX files of up to ${MAX_IDX_BYTES.toLocaleString('en-US')} bytes`),
    );
  });

  it('a plain file larger than the limit is refused before reading it', () => {
    const path = join(freshDir(), 'train-images-idx3-ubyte');
    writeFileSync(path, idx([1, 1, 1], [0]));
    truncateSync(path, MAX_IDX_BYTES + 2048); // sparse: costs no disk
    expect(() => readIdxFile(path)).toThrow(
      new ArgumentError(`${path}: ${(MAX_IDX_BYTES + 2048).toLocaleString('en-US')} bytes; wasmgrad reads IDX files of up to ${MAX_IDX_BYTES.toLocaleString('en-US')} bytes`),
    );
  });
});

describe('readIdxFile', () => {
  it('gunzips by content even when the name has no .gz', () => {
    const dir = freshDir();
    const path = join(dir, 'labels');
    writeFileSync(path, gzipSync(labelsFile(4)));
    expect(Array.from(readIdxFile(path))).toEqual(Array.from(labelsFile(4)));
  });

  it('rejects a .gz file that is not gzip data', () => {
    const dir = freshDir();
    const path = join(dir, 'labels.gz');
    writeFileSync(path, labelsFile(4));
    expect(() => readIdxFile(path)).toThrow(`${path}: corrupt gzip data (`);
  });
});

describe('findDataDir', () => {
  const explicitDir = writeDataset();
  const envDir = writeDataset();
  const debianDir = writeDataset({}, true);
  const noDataset = freshDir();
  const nowhere = join(root, 'does-not-exist');
  const env = { [DATA_DIR_ENV]: envDir };

  it('prefers the explicit directory over the environment and the candidates', () => {
    expect(findDataDir(explicitDir, env, [debianDir])).toBe(explicitDir);
  });

  it('uses WASMGRAD_DATA when no directory is given', () => {
    expect(findDataDir(undefined, env, [debianDir])).toBe(envDir);
  });

  it('treats an empty WASMGRAD_DATA as unset', () => {
    expect(findDataDir(undefined, { [DATA_DIR_ENV]: '' }, [debianDir])).toBe(debianDir);
  });

  it('falls back to the first candidate that holds all four files', () => {
    expect(findDataDir(undefined, {}, [nowhere, noDataset, debianDir, explicitDir])).toBe(debianDir);
  });

  it('explains how to get the data when nothing is found', () => {
    expect(() => findDataDir(undefined, {}, [nowhere, noDataset])).toThrow(
      `No dataset directory: dir not given, ${DATA_DIR_ENV} not set; searched ${nowhere}, ${noDataset}. ` +
        'Install Fashion-MNIST with `apt-get install dataset-fashion-mnist`',
    );
    expect(() => findDataDir(undefined, {}, [])).toThrow(`or pass dir or set ${DATA_DIR_ENV}: any directory holding the four MNIST-format IDX files`);
  });

  it('does not fall through when the directory given is missing, naming the argument dir', () => {
    expect(() => findDataDir(nowhere, env, [debianDir])).toThrow(`dir: ${nowhere} is not a directory`);
    expect(() => findDataDir('', env, [debianDir])).toThrow(/^dir: empty path/);
  });

  it('names no command-line flag unless its caller names one for the directory', () => {
    const messages = [() => findDataDir(nowhere, env, []), () => findDataDir(undefined, {}, []), () => loadMnistDir(noDataset)].map((call) => {
      try {
        call();
      } catch (e) {
        expect(e).toBeInstanceOf(ArgumentError);
        return (e as Error).message;
      }
      throw new Error('expected a refusal');
    });
    for (const m of messages) expect(m).not.toMatch(/--data/);
    expect(() => findDataDir(nowhere, env, [], '--data')).toThrow(new RegExp(`^--data: ${nowhere} is not a directory\\. .*or pass --data or set ${DATA_DIR_ENV}: `));
    expect(() => loadMnist(undefined, {}, [], '--data')).toThrow(/^No dataset directory: --data not given, /);
  });

  it('does not fall through when WASMGRAD_DATA names a missing directory', () => {
    expect(() => findDataDir(undefined, { [DATA_DIR_ENV]: nowhere }, [debianDir])).toThrow(
      `${DATA_DIR_ENV}: ${nowhere} is not a directory`,
    );
  });

  it('resolves a relative --data against the working directory', () => {
    expect(findDataDir(relative(process.cwd(), explicitDir), {}, [])).toBe(explicitDir);
  });

  it('loadMnist finds and loads in one call', () => {
    const ds = loadMnist(undefined, {}, [nowhere, debianDir]);
    expect(ds.dir).toBe(debianDir);
    expect(ds.train.count).toBe(5);
    expect(ds.test.count).toBe(3);
  });
});

// Runs only where Debian's dataset-fashion-mnist is installed; the tests above
// cover every code path without it.
const debianInstalled = DEBIAN_DATA_DIRS.some((dir) => existsSync(dir));
describe.skipIf(!debianInstalled)('the installed Fashion-MNIST', () => {
  it('loads 60000 + 10000 28x28 images with 10 balanced classes', () => {
    const ds = loadMnist(undefined, {});
    expect(DEBIAN_DATA_DIRS).toContain(ds.dir);
    expect(ds.train).toMatchObject({ count: 60000, rows: 28, cols: 28, maxLabel: 9 });
    expect(ds.test).toMatchObject({ count: 10000, rows: 28, cols: 28, maxLabel: 9 });
    const perClass = (labels: Uint8Array) => labels.reduce((c, l) => (c[l]++, c), new Array<number>(10).fill(0));
    expect(perClass(ds.train.labels)).toEqual(new Array(10).fill(6000));
    expect(perClass(ds.test.labels)).toEqual(new Array(10).fill(1000));
  });
});

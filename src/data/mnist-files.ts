/**
 * Finding and reading an MNIST-format dataset directory (Node only): the four
 * IDX files of MNIST, Fashion-MNIST, KMNIST and friends, plain or gzipped.
 * Parsing lives in idx.ts; this file owns paths, gzip and the pairing of
 * images with labels.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { constants as zlibConstants, gunzipSync, type ZlibOptions } from 'node:zlib';

import { ArgumentError, clip } from '../errors.js';
import { formatInteger } from '../estimate/units.js';
import { MAX_IDX_BYTES, parseIdxHeader, parseImages, parseLabels } from './idx.js';

/** Environment variable naming a dataset directory, used when no directory is given. */
export const DATA_DIR_ENV = 'WASMGRAD_DATA';

/** Where Debian's `dataset-fashion-mnist` package installs the four files (gzipped). */
export const DEBIAN_DATA_DIRS: readonly string[] = ['/usr/share/datasets/fashion-mnist'];

/** The canonical file names, without the optional `.gz`. */
export const MNIST_FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
export type MnistFile = keyof typeof MNIST_FILE_NAMES;

const FILE_DESCRIPTIONS: Readonly<Record<MnistFile, string>> = {
  trainImages: 'train images',
  trainLabels: 'train labels',
  testImages: 'test images',
  testLabels: 'test labels',
};

export interface MnistSplit {
  /** count * rows * cols pixels, one byte each. */
  images: Uint8Array;
  /** count class indices. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** Largest label in the split (9 for the 10-class datasets). */
  maxLabel: number;
  /** The files the split was read from. */
  files: { images: string; labels: string };
}

export interface MnistDataset {
  dir: string;
  train: MnistSplit;
  test: MnistSplit;
}

/** The argument a dataset directory is given as, unless the caller (the CLI: its flag) names it otherwise. */
const DIR_ARGUMENT = 'dir';

/** How to get a dataset, naming `argument`, the caller's name for the directory. */
function howToGetData(argument: string): string {
  return (
    'Install Fashion-MNIST with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), ' +
    `or pass ${argument} or set ${DATA_DIR_ENV}: any directory holding the four MNIST-format IDX files (${MNIST_FILE_NAMES.trainImages} etc., plain or .gz).`
  );
}

/**
 * The names a file may have on disk, in order of preference: plain before
 * gzipped (no decompression), and the canonical hyphen before the dot some
 * mirrors use (`train-images.idx3-ubyte`).
 */
export function candidateFileNames(file: MnistFile): string[] {
  const canonical = MNIST_FILE_NAMES[file];
  const dotted = canonical.replace(/-(idx\d)/, '.$1');
  return [canonical, `${canonical}.gz`, dotted, `${dotted}.gz`];
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Path of `file` in `dir`, or undefined when none of its candidate names exist. */
function findFile(dir: string, file: MnistFile): string | undefined {
  for (const name of candidateFileNames(file)) {
    const path = join(dir, name);
    if (existsSync(path) && statSync(path).isFile()) return path;
  }
  return undefined;
}

/** Path of `file` in `dir`; throws naming the directory and every name tried (and `argument`, the caller's name for dir). */
export function locateFile(dir: string, file: MnistFile, argument = DIR_ARGUMENT): string {
  const path = findFile(dir, file);
  if (path === undefined) {
    throw new ArgumentError(
      `${clip(dir)}: missing the ${FILE_DESCRIPTIONS[file]} file; looked for ${candidateFileNames(file).join(', ')}. ${howToGetData(argument)}`,
    );
  }
  return path;
}

function holdsDataset(dir: string): boolean {
  return isDirectory(dir) && (Object.keys(MNIST_FILE_NAMES) as MnistFile[]).every((f) => findFile(dir, f) !== undefined);
}

/**
 * The dataset directory: `explicit` if given, else
 * `env.WASMGRAD_DATA` if set, else the first of `candidates` (the Debian
 * install path) that holds all four files. An explicit or environment path
 * that is not a directory is an error rather than a silent fall-through, so a
 * typo never trains on a different dataset than the one asked for.
 * Messages call `explicit` by `argument` (the CLI passes its flag).
 */
export function findDataDir(
  explicit?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  candidates: readonly string[] = DEBIAN_DATA_DIRS,
  argument = DIR_ARGUMENT,
): string {
  if (explicit !== undefined) {
    if (explicit === '') throw new ArgumentError(`${argument}: empty path. ${howToGetData(argument)}`);
    const dir = resolve(explicit);
    if (!isDirectory(dir)) throw new ArgumentError(`${argument}: ${clip(dir)} is not a directory. ${howToGetData(argument)}`);
    return dir;
  }
  const fromEnv = env[DATA_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const dir = resolve(fromEnv);
    if (!isDirectory(dir)) throw new ArgumentError(`${DATA_DIR_ENV}: ${clip(dir)} is not a directory. ${howToGetData(argument)}`);
    return dir;
  }
  for (const dir of candidates) if (holdsDataset(dir)) return dir;
  const searched = candidates.length > 0 ? `; searched ${candidates.map((c) => clip(c)).join(', ')}` : '';
  throw new ArgumentError(`No dataset directory: ${argument} not given, ${DATA_DIR_ENV} not set${searched}. ${howToGetData(argument)}`);
}

/** Compressed bytes inflated whole when a file is this small (at most about 4 MB out); larger files have their header read first. */
const HEADER_PROBE_BYTES = 4096;

/**
 * The bytes of an IDX file, gunzipped when the name ends in .gz or the bytes
 * start with the gzip magic. Bounded: a file larger than MAX_IDX_BYTES is
 * refused before it is read, and a gzipped file is inflated header first and
 * then only up to the size its header declares, so a small file that
 * inflates to gigabytes (a gzip bomb) stops one byte past that size.
 */
export function readIdxFile(path: string): Uint8Array {
  let raw: Buffer;
  try {
    const size = statSync(path).size;
    if (size > MAX_IDX_BYTES) {
      throw new ArgumentError(`${path}: ${formatInteger(size)} bytes; wasmgrad reads IDX files of up to ${formatInteger(MAX_IDX_BYTES)} bytes`);
    }
    raw = readFileSync(path);
  } catch (err) {
    if (err instanceof ArgumentError) throw err;
    throw new ArgumentError(`${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const gzipped = path.endsWith('.gz') || (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b);
  if (!gzipped) return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  if (raw.length <= HEADER_PROBE_BYTES) return gunzip(raw, path);
  // The stream's first bytes, inflated without waiting for its end, hold the header.
  const header = parseIdxHeader(gunzip(raw.subarray(0, HEADER_PROBE_BYTES), path, { finishFlush: zlibConstants.Z_SYNC_FLUSH }), path);
  try {
    return gunzip(raw, path, { maxOutputLength: header.totalBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
    throw new ArgumentError(
      `${path}: inflates to more than the ${formatInteger(header.totalBytes)} bytes its header declares (dims [${header.dims.join(', ')}]); ` +
        'the file is corrupt or not an IDX file',
    );
  }
}

/** gunzipSync as a view; corrupt data is an ArgumentError naming the file, an output over `maxOutputLength` is passed on. */
function gunzip(raw: Uint8Array, path: string, options: ZlibOptions = {}): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = gunzipSync(raw, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw err;
    throw new ArgumentError(`${path}: corrupt gzip data (${(err as Error).message}); re-download or decompress the file`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function loadSplit(dir: string, images: MnistFile, labels: MnistFile, argument: string): MnistSplit {
  const imagesPath = locateFile(dir, images, argument);
  const labelsPath = locateFile(dir, labels, argument);
  const img = parseImages(readIdxFile(imagesPath), imagesPath);
  const lab = parseLabels(readIdxFile(labelsPath), labelsPath);
  if (img.count !== lab.count) {
    throw new ArgumentError(
      `${dir}: ${imagesPath} holds ${img.count} images but ${labelsPath} holds ${lab.count} labels; ` +
        `each image needs exactly one label`,
    );
  }
  return {
    images: img.data,
    labels: lab.data,
    count: img.count,
    rows: img.rows,
    cols: img.cols,
    maxLabel: lab.maxLabel,
    files: { images: imagesPath, labels: labelsPath },
  };
}

/** Read, validate and pair the train and test splits of an MNIST-format directory (`argument`: the caller's name for dir). */
export function loadMnistDir(dir: string, argument = DIR_ARGUMENT): MnistDataset {
  const train = loadSplit(dir, 'trainImages', 'trainLabels', argument);
  const test = loadSplit(dir, 'testImages', 'testLabels', argument);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new ArgumentError(
      `${dir}: train images (${train.files.images}) are ${train.rows}x${train.cols} but ` +
        `test images (${test.files.images}) are ${test.rows}x${test.cols}; a model needs one input size`,
    );
  }
  return { dir, train, test };
}

/** `findDataDir` then `loadMnistDir`: what `wasmgrad train` calls, naming its flag as `argument`. */
export function loadMnist(
  explicit?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  candidates: readonly string[] = DEBIAN_DATA_DIRS,
  argument = DIR_ARGUMENT,
): MnistDataset {
  return loadMnistDir(findDataDir(explicit, env, candidates, argument), argument);
}

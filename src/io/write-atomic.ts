// Writing a file so that a failure never loses what was there: the chunks
// stream to a temporary file beside the target, which is renamed over it only
// once complete. A symlink is followed, so its target is replaced and the link
// stays a link. (Node only.)

import { type Stats, closeSync, fchmodSync, fsyncSync, lstatSync, openSync, readlinkSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ArgumentError, clip } from '../errors.js';

/** Writes `chunks` (consumed one at a time, so a large file never exists whole in memory) to `path` atomically. */
export function writeFileAtomic(path: string, chunks: Iterable<Uint8Array | string>, what = 'file'): void {
  const fail = (why: string) => new ArgumentError(`${clip(path)}: cannot write the ${what} (${why})`);
  if (typeof path !== 'string' || path === '') throw new ArgumentError(`the ${what} needs a file name, got ${String(path)}`);
  if (/[\\/]$/.test(path)) throw fail('EISDIR: a name ending in a slash is a directory; give a file name');
  const target = followLinks(resolve(path), fail);
  const existing = statOrNull(target);
  if (existing?.isDirectory()) throw fail('EISDIR: it is a directory; give a file name');

  const temporary = `${target}.${process.pid}.tmp`;
  let fd: number | null = null;
  try {
    fd = openSync(temporary, 'w');
    if (existing) fchmodSync(fd, existing.mode & 0o7777);
    for (const chunk of chunks) writeAll(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temporary, target);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(temporary, { force: true });
    if (e instanceof ArgumentError) throw e;
    throw fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
}

function writeAll(fd: number, chunk: Uint8Array | string): void {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** The file a path finally names, through any chain of symlinks (a dangling link names the file it will create). */
function followLinks(path: string, fail: (why: string) => Error): string {
  for (let hops = 0; hops < 40; hops++) {
    let link: boolean;
    try {
      link = lstatSync(path).isSymbolicLink();
    } catch {
      return path;
    }
    if (!link) return path;
    path = resolve(dirname(path), readlinkSync(path));
  }
  throw fail('ELOOP: too many symbolic links');
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

// The KV cache of a generation (assembly/kernels/kv-cache.ts), forward only:
//   store    the keys and values of T new tokens per sequence, from the QKV
//            Linear's output (B x T x 3h), into positions start..start+T-1
//   attend   one query per sequence (B x 1 x 3h) against the first `keys`
//            cached positions, y = softmax(q Kᵀ / sqrt(d)) V per head (B x h)
// A layer's cache is K (B x capacity x h floats) followed by V (as many), so
// it is kvCacheBytes; attending needs `keys` floats of scratch (one head's
// scores at a time) and 2·B·h·keys multiply-accumulates (q·k and p·v).

import { ArgumentError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { checkBuffers, checkDim, opArguments } from './arguments.js';

export interface KvCacheShape {
  batch: number;
  /** Positions the cache holds per sequence. */
  capacity: number;
  heads: number;
  headDim: number;
}

export interface KvCacheStore extends KvCacheShape {
  /** New tokens per sequence, stored at positions start..start+tokens-1. */
  tokens: number;
  start: number;
  qkv: number;
  cache: number;
}

export interface CachedAttention extends KvCacheShape {
  /** Cached positions the query attends to (the new token's included, stored first). */
  keys: number;
  /** B x 1 x 3h: the new token's q | k | v per sequence. */
  qkv: number;
  cache: number;
  /** B x h. */
  y: number;
  /** cachedAttentionScratchBytes(keys). */
  scratch: number;
}

/** Bytes of one layer's cache: K and V of `capacity` positions of `batch` sequences. */
export const kvCacheBytes = (batch: number, capacity: number, hidden: number): number => 2 * batch * capacity * hidden * 4;
/** Scratch of one cached attention: the scores of one head. */
export const cachedAttentionScratchBytes = (keys: number): number => keys * 4;
/** Multiply-accumulates of one cached attention: q·k and p·v for every head and key. */
export const cachedAttentionMacs = (batch: number, keys: number, hidden: number): number => 2 * batch * keys * hidden;

function checkShape(where: string, a: KvCacheShape): boolean {
  checkDim(where, 'batch', a.batch);
  checkDim(where, 'capacity', a.capacity);
  checkDim(where, 'heads', a.heads, 1);
  checkDim(where, 'headDim', a.headDim, 1);
  return a.batch > 0 && a.capacity > 0;
}

export function kvCacheStore(rt: Runtime, args: KvCacheStore): void {
  const where = 'kvCacheStore';
  const a = opArguments(rt, where, args, ['batch', 'capacity', 'heads', 'headDim', 'tokens', 'start', 'qkv', 'cache']);
  checkDim(where, 'tokens', a.tokens);
  checkDim(where, 'start', a.start);
  if (!checkShape(where, a) || a.tokens === 0) return;
  if (a.start + a.tokens > a.capacity) throw new ArgumentError(`${where}: positions ${a.start} to ${a.start + a.tokens - 1} lie past the cache's ${a.capacity}`, { field: 'start' });
  const h = a.heads * a.headDim;
  checkBuffers(rt, where, [['qkv', a.qkv, a.batch * a.tokens * 3 * h * 4], ['cache', a.cache, kvCacheBytes(a.batch, a.capacity, h)]]);
  rt.core.kvCacheStore(a.qkv, a.cache, a.batch, a.tokens, a.start, a.capacity, h);
}

export function cachedAttention(rt: Runtime, args: CachedAttention): void {
  const where = 'cachedAttention';
  const a = opArguments(rt, where, args, ['batch', 'capacity', 'heads', 'headDim', 'keys', 'qkv', 'cache', 'y', 'scratch']);
  checkDim(where, 'keys', a.keys, 1);
  if (!checkShape(where, a)) return;
  if (a.keys > a.capacity) throw new ArgumentError(`${where}: keys ${a.keys} exceed the cache's ${a.capacity} positions`, { field: 'keys' });
  const h = a.heads * a.headDim;
  checkBuffers(rt, where, [
    ['qkv', a.qkv, a.batch * 3 * h * 4], ['cache', a.cache, kvCacheBytes(a.batch, a.capacity, h)], ['y', a.y, a.batch * h * 4],
    ['scratch', a.scratch, cachedAttentionScratchBytes(a.keys)],
  ]);
  rt.core.cachedAttention(a.qkv, a.cache, a.y, a.scratch, a.batch, a.keys, a.capacity, a.heads, a.headDim);
}

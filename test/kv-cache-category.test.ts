// The KV cache is a memory category of its own: every list of categories
// (the core's counters, zeroed byte records, the memory chart's stack and its
// colours) names it, so no report silently drops its bytes.
import { describe, expect, it } from 'vitest';
import { CATEGORIES, zeroCategoryBytes } from '../src/memory/categories.js';
import { STACK_ORDER } from '../src/report/memory-svg.js';
import { CATEGORY_COLOURS } from '../src/report/types.js';
import { init } from '../src/runtime.js';

describe('the kvCache memory category', () => {
  it('is one of CATEGORIES, counted by the core and tagged on its blocks', async () => {
    expect(CATEGORIES).toContain('kvCache');
    const rt = await init({ build: 'simd', fresh: true });
    expect(rt.core.arenaCategoryCount()).toBe(CATEGORIES.length);
    const before = rt.arena.liveByCategory();
    const p = rt.arena.alloc(96, 'kvCache', 'test cache');
    expect(rt.arena.live('kvCache')).toBe(before.kvCache + 96);
    expect(rt.arena.live('workspace')).toBe(before.workspace);
    rt.arena.free(p);
    expect(rt.arena.liveByCategory()).toEqual(before);
  });

  it('is in every list of categories: zeroed records, the chart stack, its colours', () => {
    expect(Object.keys(zeroCategoryBytes()).sort()).toEqual([...CATEGORIES].sort());
    expect([...STACK_ORDER].sort()).toEqual([...CATEGORIES].sort());
    for (const c of CATEGORIES) expect(CATEGORY_COLOURS[c], c).toMatch(/^#[0-9A-F]{6}$/);
    expect(new Set(Object.values(CATEGORY_COLOURS)).size).toBe(Object.keys(CATEGORY_COLOURS).length);
  });
});

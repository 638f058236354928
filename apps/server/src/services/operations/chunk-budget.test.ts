import { describe, expect, it } from 'vitest';
import { createChunkBudget } from './chunk-budget.js';

describe('chunk budget', () => {
  it('starts at the first size and shrinks chunks that take longer than the target', () => {
    const b = createChunkBudget(250, 25);
    expect(b.images).toBe(250);
    b.record(250, 100); // 0.4 ms an image: 62 images make 25 ms
    expect(b.images).toBe(62);
  });

  it('settles where a chunk with a fixed cost takes the target', () => {
    const b = createChunkBudget(250, 25);
    // 15 ms a chunk whatever its size, plus 0.1 ms an image: 100 images take 25 ms.
    for (let i = 0; i < 60; i++) b.record(b.images, 15 + 0.1 * b.images);
    expect(b.images).toBeGreaterThanOrEqual(95);
    expect(b.images).toBeLessThanOrEqual(105);
  });

  it('grows quick chunks up to four times the first, never past that nor below its floor', () => {
    const fast = createChunkBudget(250, 25);
    fast.record(250, 2.5); // 0.01 ms an image: 2,500 would make 25 ms
    expect(fast.images).toBe(1000);
    const quick = createChunkBudget(250, 25);
    quick.record(250, 12.5); // 0.05 ms an image: 500 make 25 ms
    expect(quick.images).toBe(500);
    const slow = createChunkBudget(250, 25);
    slow.record(250, 10_000);
    expect(slow.images).toBe(16);
    const tiny = createChunkBudget(4, 25);
    tiny.record(4, 10_000);
    expect(tiny.images).toBe(4);
  });

  it('keeps the first size when sizing is off, and ignores chunks that handled nothing', () => {
    const off = createChunkBudget(250, 0);
    off.record(250, 10_000);
    expect(off.images).toBe(250);
    const b = createChunkBudget(250, 25);
    b.record(0, 10_000);
    expect(b.images).toBe(250);
  });
});

import { describe, expect, it } from 'vitest';
import { NEAR_LIMIT, percentOf, quotaAdvice, quotaUse } from './quota-use';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe('quota use', () => {
  it('is absent without a quota', () => {
    expect(quotaUse({ sizeBytes: 5 * GiB, quotaBytes: null })).toBeNull();
  });

  it('counts the live size only and says so, in the words the registry uses for sizes', () => {
    const use = quotaUse({ sizeBytes: 2.1 * GiB, quotaBytes: 5 * GiB });
    expect(use).toMatchObject({ usedBytes: 2.1 * GiB, quotaBytes: 5 * GiB, level: 'ok' });
    expect(use?.words).toBe('2.1 GiB of 5.0 GiB used (42%), trash not included');
    expect(use && quotaAdvice(use)).toBeNull();
  });

  it('warns from 80% and is full at the quota, where every upload is refused', () => {
    const at = (sizeBytes: number) => quotaUse({ sizeBytes, quotaBytes: 100 * MiB });
    expect(at(79.9 * MiB)?.level).toBe('ok');
    expect(at(NEAR_LIMIT * 100 * MiB)?.level).toBe('near');
    expect(at(100 * MiB - 1)?.level).toBe('near');
    expect(at(100 * MiB)?.level).toBe('full');
    // A quota lowered below what is stored: still full, and the share says by how much.
    expect(at(150 * MiB)).toMatchObject({ level: 'full', fraction: 1.5, percent: '150%' });
  });

  it('tells what to do near and at the limit', () => {
    const near = quotaUse({ sizeBytes: 90 * MiB, quotaBytes: 100 * MiB });
    expect(near && quotaAdvice(near)).toBe(
      'Near the limit: 10.0 MiB left before pushes are refused.',
    );
    const full = quotaUse({ sizeBytes: 100 * MiB, quotaBytes: 100 * MiB });
    expect(full && quotaAdvice(full)).toMatch(/^Full: pushes are refused/);
  });
});

describe('percent of a quota', () => {
  it('rounds to whole percent', () => {
    expect(percentOf(0, 100)).toBe('0%');
    expect(percentOf(42.4, 100)).toBe('42%');
    expect(percentOf(42.5, 100)).toBe('43%');
    expect(percentOf(100, 100)).toBe('100%');
  });

  it('never says 100% before full, nor 0% when something is stored', () => {
    expect(percentOf(99.7, 100)).toBe('99%');
    expect(percentOf(0.2, 100)).toBe('<1%');
    expect(percentOf(1, 100)).toBe('1%');
  });
});

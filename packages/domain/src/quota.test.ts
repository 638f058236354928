import { describe, expect, it } from 'vitest';
import { formatBytes, quotaExceededMessage } from './quota.js';

describe('formatBytes', () => {
  it('uses binary units, one decimal below 100', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBytes(7 * 1024)).toBe('7.0 KiB');
    expect(formatBytes(12.5 * 1024 * 1024)).toBe('12.5 MiB');
    expect(formatBytes(512 * 1024 ** 3)).toBe('512 GiB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('quotaExceededMessage', () => {
  it('says what is used, what the quota is and what the push needs', () => {
    expect(
      quotaExceededMessage({
        namespace: 'acme',
        usedBytes: 7 * 1024,
        quotaBytes: 10 * 1024 * 1024,
        neededBytes: 12 * 1024 * 1024,
        what: 'upload',
      }),
    ).toBe(
      'namespace "acme" uses 7.0 KiB of its 10.0 MiB quota; this upload needs 12.0 MiB. Delete images or ask an administrator to raise the quota',
    );
    expect(
      quotaExceededMessage({
        namespace: 'acme',
        usedBytes: 9 * 1024,
        quotaBytes: 10 * 1024,
        neededBytes: 2048,
        what: 'image',
      }),
    ).toContain('uses 9.0 KiB of its 10.0 KiB quota; this image needs 2.0 KiB more.');
    expect(
      quotaExceededMessage({ namespace: 'acme', usedBytes: 10, quotaBytes: 10, what: 'upload' }),
    ).toContain('uses 10 B of its 10 B quota; it is full.');
  });
});

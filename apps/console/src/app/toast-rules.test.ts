import { describe, expect, it } from 'vitest';
import {
  MAX_SHOWN,
  MAX_SHOWN_NARROW,
  UNDO_MS,
  toastLifetime,
  trashedToastCovers,
  trashedToastKey,
  visibleToasts,
} from './toast-rules';

describe('toast rules', () => {
  it('lets Undo toasts expire, later than plain confirmations', () => {
    const undo = toastLifetime({ kind: 'success', action: { label: 'Undo' } });
    const plain = toastLifetime({ kind: 'success' });
    expect(undo).toBe(UNDO_MS);
    expect(undo).toBeGreaterThanOrEqual(10_000);
    expect(undo).toBeLessThanOrEqual(15_000);
    expect(plain).not.toBeNull();
    expect(plain!).toBeLessThan(undo!);
  });

  it('keeps errors and warnings until they are closed', () => {
    expect(toastLifetime({ kind: 'error' })).toBeNull();
    expect(toastLifetime({ kind: 'warning' })).toBeNull();
  });

  it('shows only the newest few and counts the rest', () => {
    const five = [5, 4, 3, 2, 1];
    expect(visibleToasts(five, false)).toEqual({ shown: [5, 4, 3], hidden: 2 });
    expect(visibleToasts(five, true)).toEqual({ shown: five, hidden: 0 });
    expect(visibleToasts([2, 1], false)).toEqual({ shown: [2, 1], hidden: 0 });
    expect(MAX_SHOWN).toBe(3);
    expect(visibleToasts(five, false, MAX_SHOWN_NARROW)).toEqual({ shown: [5], hidden: 4 });
  });
});

describe('trashed toasts and what restores them', () => {
  const images = trashedToastKey([
    { namespace: 'shop', repository: 'web/app', digest: 'sha256:a' },
    { namespace: 'shop', repository: 'web/app', digest: 'sha256:b' },
  ]);
  const repository = trashedToastKey([{ namespace: 'shop', repository: 'web/app' }]);

  it('an image restored elsewhere takes away the Undo of a toast that holds it', () => {
    expect(
      trashedToastCovers(images, { namespace: 'shop', repository: 'web/app', digest: 'sha256:b' }),
    ).toBe(true);
    expect(
      trashedToastCovers(images, { namespace: 'shop', repository: 'web/app', digest: 'sha256:c' }),
    ).toBe(false);
  });

  it('a restored repository covers its images and its own toast', () => {
    expect(trashedToastCovers(images, { namespace: 'shop', repository: 'web/app' })).toBe(true);
    expect(trashedToastCovers(repository, { namespace: 'shop', repository: 'web/app' })).toBe(true);
  });

  it('one image back leaves a repository’s Undo for the rest; other names never match', () => {
    expect(
      trashedToastCovers(repository, {
        namespace: 'shop',
        repository: 'web/app',
        digest: 'sha256:a',
      }),
    ).toBe(false);
    expect(trashedToastCovers(images, { namespace: 'shop', repository: 'web' })).toBe(false);
    expect(trashedToastCovers(images, { namespace: 'other', repository: 'web/app' })).toBe(false);
    expect(trashedToastCovers('project-deleted:1', { namespace: 'shop', repository: 'x' })).toBe(
      false,
    );
  });
});

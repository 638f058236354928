import { describe, expect, it } from 'vitest';
import { buildOperation } from '../../api/operation-builder';
import {
  failureText,
  operationCount,
  outcomeText,
  outcomeTitle,
  percentDone,
  progressLabel,
  waitingText,
} from './operation-words';

const op = buildOperation;

describe('progress words', () => {
  it('says what runs on what, and how far it is', () => {
    expect(progressLabel(op({}))).toBe('Deleting demo-shop/payments — 45,000 of 100,000 images');
    expect(
      progressLabel(
        op({ kind: 'retention.run.restore', target: 'retention run 12', done: 0, total: 1 }),
      ),
    ).toBe('Restoring retention run 12 — 0 of 1 image');
    expect(progressLabel(op({ kind: 'retention.confirm', target: 'retention run 3' }))).toMatch(
      /^Applying retention run 3 — /,
    );
  });

  it('names a namespace as one', () => {
    expect(progressLabel(op({ kind: 'namespace.delete', target: 'ml-lab', total: 0 }))).toBe(
      'Deleting namespace ml-lab — counting images…',
    );
    expect(
      outcomeTitle(
        op({ kind: 'namespace.delete', target: 'namespace ml-lab', state: 'succeeded' }),
      ),
    ).toBe('Deleted namespace ml-lab');
  });

  it('does not count against a total it does not know yet', () => {
    expect(operationCount(op({ done: 0, total: 0 }))).toBe('counting images…');
  });

  it('never shows 100 % before the operation has succeeded', () => {
    expect(percentDone(op({ done: 99_999 }))).toBe(99);
    expect(percentDone(op({ done: 100_000 }))).toBe(99);
    expect(percentDone(op({ done: 100_000, state: 'succeeded' }))).toBe(100);
    expect(percentDone(op({ total: 0, done: 0 }))).toBe(0);
  });

  it('names the outcome, and a failure in words', () => {
    expect(outcomeTitle(op({ state: 'succeeded' }))).toBe('Deleted demo-shop/payments');
    expect(outcomeTitle(op({ state: 'failed' }))).toBe('Deleting demo-shop/payments failed');
    const failed = op({
      state: 'failed',
      error: { code: 'STORAGE_FULL', message: 'SQLITE_FULL: database or disk is full' },
    });
    expect(failureText(failed)).toMatch(/^Nothing was saved: the disk where Berth keeps/);
    expect(failureText(failed)).not.toMatch(/SQLITE/);
    expect(
      failureText(op({ state: 'failed', done: 0, error: { code: 'X', message: 'it broke' } })),
    ).toBe('It broke. Nothing was changed.');
    // Chunks that committed before it stopped stay, and the words say where those images are.
    expect(
      failureText(op({ state: 'failed', done: 1500, error: { code: 'X', message: 'it broke' } })),
    ).toBe('It broke. What it had moved (1,500 images) is in the trash: restore it from there.');
  });

  it('says that a failed delete was undone, and while it is being undone', () => {
    const undone = op({
      state: 'failed',
      done: 1500,
      error: { code: 'X', message: 'it broke' },
      rolledBack: { images: 1480, skippedTags: 0 },
    });
    expect(failureText(undone)).toBe(
      'It broke. It was undone: what it had moved (1,480 images) is back where it was.',
    );
    expect(progressLabel(op({ rolledBack: { images: 300, skippedTags: 0 } }))).toBe(
      'Deleting demo-shop/payments — failed, undoing: 300 images put back',
    );
  });

  it('says why a running operation is paused, and that it goes on by itself', () => {
    expect(waitingText(op({}))).toBeNull();
    const full = op({ waiting: { code: 'STORAGE_FULL', message: 'the storage is full' } });
    expect(waitingText(full)).toMatch(/^The disk where Berth keeps its data is full\./);
    expect(waitingText(full)).not.toMatch(/storage is full/);
    expect(waitingText(op({ waiting: { code: 'X', message: 'busy' } }))).toBe(
      'Busy. It goes on by itself, from where it stopped.',
    );
  });

  it('says what a succeeded one did, for a page with no words of its own', () => {
    expect(outcomeText(op({ state: 'succeeded', total: 20_000 }))).toBe(
      'Moved 20,000 images to the trash, restorable for 30 days.',
    );
    expect(outcomeText(op({ kind: 'namespace.delete', total: 1 }))).toBe(
      "Removed 1 image with the namespace's trash and trust information.",
    );
    expect(outcomeText(op({ kind: 'retention.run.restore', total: 3 }))).toBe(
      'Restored 3 images from the trash.',
    );
  });
});

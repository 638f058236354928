import { describe, expect, it } from 'vitest';
import type { ImageTimelineEntry } from '@berth/contract';
import { describeTimelineEntry } from './timeline-words';

const entry = (over: Partial<ImageTimelineEntry>): ImageTimelineEntry => ({
  at: '2026-11-01T12:00:00.000Z',
  actor: 'user:admin',
  action: 'image.delete',
  outcome: 'success',
  tags: [],
  reason: 'deleted',
  requestId: null,
  ...over,
});

describe('describeTimelineEntry', () => {
  it('says what happened to the image and with which tags', () => {
    expect(describeTimelineEntry(entry({ tags: ['v1', 'latest'] }))).toBe(
      'Moved to the trash with tags v1, latest',
    );
    expect(describeTimelineEntry(entry({ reason: 'retention' }))).toBe(
      'Moved to the trash by retention',
    );
    expect(describeTimelineEntry(entry({ action: 'image.restore', tags: ['v1'] }))).toBe(
      'Restored from the trash with tag v1',
    );
    expect(describeTimelineEntry(entry({ action: 'tag.delete', tags: ['b'] }))).toBe(
      'Tag b removed',
    );
    expect(describeTimelineEntry(entry({ action: 'image.restore', outcome: 'failure' }))).toBe(
      'Restored from the trash (failed)',
    );
  });
});

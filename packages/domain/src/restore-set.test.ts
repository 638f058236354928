import { describe, expect, it } from 'vitest';
import { planSetRestore, type SetRestoreEntry } from './restore-set.js';
import { planTagRestore } from './trash.js';

const d = (c: string) => 'sha256:' + c.repeat(64);
const NEWER = d('a');
const OLDER = d('b');
const LIVE = d('c');
const SIG = d('e');

describe('restoring a set of trash entries', () => {
  it('gives a tag two entries remember to the one earlier in the set (deleted last)', () => {
    const entries: SetRestoreEntry[] = [
      { repository: 1, digest: NEWER, tags: ['latest', '2.0'], partTags: [] },
      { repository: 1, digest: OLDER, tags: ['latest', '1.0'], partTags: [] },
    ];
    const [newer, older] = planSetRestore(entries, new Map());
    expect(newer).toEqual({
      restore: ['2.0', 'latest'],
      put: [
        { tag: '2.0', manifestId: null },
        { tag: 'latest', manifestId: null },
      ],
      skipped: [],
    });
    expect(older?.restore).toEqual(['1.0']);
    expect(older?.skipped).toEqual([
      {
        tag: 'latest',
        heldBy: NEWER,
        reason: expect.stringContaining('restored at the same time, which held it last'),
      },
    ]);
  });

  it('leaves tags held now where they are, with the single-restore reason', () => {
    const held = new Map([[1, new Map([['latest', LIVE]])]]);
    const [only] = planSetRestore(
      [{ repository: 1, digest: OLDER, tags: ['latest', '1.0'], partTags: [] }],
      held,
    );
    expect(only).toEqual({
      ...planTagRestore(['latest', '1.0'], held.get(1)!, OLDER),
      put: [{ tag: '1.0', manifestId: null }],
    });
  });

  it('puts the tags of parts back on the part, and keeps repositories apart', () => {
    const sigTag = `sha256-${'a'.repeat(64)}.sig`;
    const [first, second, other] = planSetRestore(
      [
        {
          repository: 1,
          digest: NEWER,
          tags: ['x'],
          partTags: [{ tag: sigTag, digest: SIG, manifestId: 7 }],
        },
        {
          repository: 1,
          digest: OLDER,
          tags: [],
          partTags: [{ tag: 'x', digest: d('f'), manifestId: 9 }],
        },
        { repository: 2, digest: OLDER, tags: ['x'], partTags: [] },
      ],
      new Map(),
    );
    expect(first?.put).toEqual([
      { tag: 'x', manifestId: null },
      { tag: sigTag, manifestId: 7 },
    ]);
    expect(second?.put).toEqual([]);
    expect(second?.skipped.map((s) => [s.tag, s.heldBy])).toEqual([['x', NEWER]]);
    expect(other?.put).toEqual([{ tag: 'x', manifestId: null }]);
  });
});

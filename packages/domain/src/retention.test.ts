import { describe, expect, it } from 'vitest';
import {
  checkDailyAt,
  checkRetentionPattern,
  compareRecency,
  compilePattern,
  compileRules,
  describeProtection,
  describeReason,
  describeSkip,
  lastScanOf,
  needsScans,
  nextDailyRun,
  planConfirmation,
  withScannedPart,
  selectRetention,
  type ImagePointer,
  type RetentionCandidate,
  type RetentionReason,
  type RetentionRules,
  type RetentionVerdict,
} from './retention.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);

const dg = (c: string): string => 'sha256:' + c.repeat(64);

function img(
  key: string,
  opts: { tags?: string[]; created?: number | null; pushed?: number; digest?: string } = {},
): RetentionCandidate<string> {
  return {
    key,
    digest: opts.digest ?? dg(key.charAt(0)),
    tags: opts.tags ?? [key],
    createdAt: opts.created === undefined ? T0 : opts.created,
    pushedAt: opts.pushed ?? T0,
  };
}

/** When the tests' rules are applied: scan ages are measured against it. */
const EVALUATED_AT = T0 + 30 * DAY;

function rules(over: Partial<RetentionRules> = {}) {
  return compileRules(
    {
      keepCount: 2,
      retainUntagged: false,
      excludeTags: [],
      excludeRepositories: [],
      protectUnscannedDays: null,
      ...over,
    },
    EVALUATED_AT,
  );
}

const keys = (vs: RetentionVerdict<string>[]) => vs.map((v) => v.candidate.key);
const decisions = (vs: RetentionVerdict<string>[]) =>
  Object.fromEntries(vs.map((v) => [v.candidate.key, v.decision]));
const byKey = (vs: RetentionVerdict<string>[], key: string): RetentionVerdict<string> => {
  const v = vs.find((x) => x.candidate.key === key);
  if (!v) throw new Error(`no verdict for ${key}`);
  return v;
};

// Referrers (signatures, SBOMs) and index children are never retention candidates: the store
// filters them out before calling selectRetention, so these tests only pass top-level images.

describe('recency order', () => {
  it('ranks by created time, most recent first, whatever the input order', () => {
    const out = selectRetention(
      'app',
      [
        img('b', { created: T0 + 2 * DAY }),
        img('d', { created: T0 }),
        img('a', { created: T0 + 3 * DAY }),
        img('c', { created: T0 + DAY }),
      ],
      rules(),
    );
    expect(keys(out)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('created time beats pushed time', () => {
    const out = selectRetention(
      'app',
      [
        img('old', { created: T0, pushed: T0 + 10 * DAY }),
        img('new', { created: T0 + DAY, pushed: T0 }),
      ],
      rules({ keepCount: 1 }),
    );
    expect(keys(out)).toEqual(['new', 'old']);
    expect(decisions(out)).toEqual({ new: 'keep', old: 'delete' });
  });

  it('breaks ties on created time by pushed time, most recent push first', () => {
    const out = selectRetention(
      'app',
      [
        img('a', { created: T0, pushed: T0 + HOUR }),
        img('b', { created: T0, pushed: T0 + 2 * HOUR }),
      ],
      rules({ keepCount: 1 }),
    );
    expect(keys(out)).toEqual(['b', 'a']);
    expect(decisions(out)).toEqual({ b: 'keep', a: 'delete' });
  });

  it('breaks ties on created and pushed by digest, the lower digest ranking first', () => {
    const candidates = [
      img('z', { digest: dg('9') }),
      img('x', { digest: dg('1') }),
      img('y', { digest: dg('5') }),
    ];
    const out = selectRetention('app', candidates, rules({ keepCount: 1 }));
    expect(keys(out)).toEqual(['x', 'y', 'z']);
    expect(decisions(out)).toEqual({ x: 'keep', y: 'delete', z: 'delete' });
    // The order does not depend on the input order.
    expect(keys(selectRetention('app', [...candidates].reverse(), rules()))).toEqual([
      'x',
      'y',
      'z',
    ]);
  });

  it('sorts a missing created time as the epoch: below dated images, by pushed time among themselves', () => {
    const out = selectRetention(
      'app',
      [
        img('repro-old', { created: null, pushed: T0 + 5 * DAY }),
        img('dated', { created: T0, pushed: T0 }),
        img('repro-new', { created: null, pushed: T0 + 9 * DAY }),
      ],
      rules({ keepCount: 2 }),
    );
    expect(keys(out)).toEqual(['dated', 'repro-new', 'repro-old']);
    expect(decisions(out)).toEqual({ dated: 'keep', 'repro-new': 'keep', 'repro-old': 'delete' });
  });

  it('treats a missing created time exactly like created at the epoch', () => {
    const out = selectRetention(
      'app',
      [img('epoch', { created: 0, pushed: T0 }), img('missing', { created: null, pushed: T0 + 1 })],
      rules({ keepCount: 1 }),
    );
    expect(keys(out)).toEqual(['missing', 'epoch']);
  });

  it('compareRecency is negative when the first argument is more recent, zero only for equals', () => {
    const a = img('a', { created: T0 + DAY });
    const b = img('b', { created: T0 });
    expect(compareRecency(a, b)).toBeLessThan(0);
    expect(compareRecency(b, a)).toBeGreaterThan(0);
    expect(compareRecency(a, { ...a })).toBe(0);
    const p1 = img('p', { pushed: T0 + 1 });
    const p2 = img('q', { pushed: T0 });
    expect(compareRecency(p1, p2)).toBeLessThan(0);
    expect(compareRecency(img('l', { digest: dg('1') }), img('h', { digest: dg('2') }))).toBe(-1);
    expect(compareRecency(img('h', { digest: dg('2') }), img('l', { digest: dg('1') }))).toBe(1);
    expect(compareRecency(img('n', { created: null }), img('e', { created: 1 }))).toBeGreaterThan(
      0,
    );
  });

  it('does not reorder the caller’s array', () => {
    const input = [img('old', { created: T0 }), img('new', { created: T0 + DAY })];
    selectRetention('app', input, rules());
    expect(input.map((c) => c.key)).toEqual(['old', 'new']);
  });
});

describe('keep N most recent', () => {
  it('keeps ranks 1..N with reason rank and deletes the rest with beyond-keep', () => {
    const out = selectRetention(
      'app',
      [1, 2, 3, 4, 5].map((i) => img(`i${i}`, { created: T0 - i * DAY, digest: dg(String(i)) })),
      rules({ keepCount: 3 }),
    );
    expect(out.map((v) => [v.candidate.key, v.decision, v.reason])).toEqual([
      ['i1', 'keep', { code: 'rank', rank: 1, keepCount: 3 }],
      ['i2', 'keep', { code: 'rank', rank: 2, keepCount: 3 }],
      ['i3', 'keep', { code: 'rank', rank: 3, keepCount: 3 }],
      ['i4', 'delete', { code: 'beyond-keep', rank: 4, keepCount: 3 }],
      ['i5', 'delete', { code: 'beyond-keep', rank: 5, keepCount: 3 }],
    ]);
  });

  it('returns the very candidate objects it was given', () => {
    const c = img('a');
    const [v] = selectRetention('app', [c], rules());
    expect(v?.candidate).toBe(c);
  });

  it('N = 0 deletes everything counted', () => {
    const out = selectRetention(
      'app',
      [img('a', { created: T0 + DAY }), img('b'), img('u', { tags: [], created: T0 - DAY })],
      rules({ keepCount: 0 }),
    );
    expect(out.map((v) => v.reason)).toEqual([
      { code: 'beyond-keep', rank: 1, keepCount: 0 },
      { code: 'beyond-keep', rank: 2, keepCount: 0 },
      { code: 'beyond-keep', rank: 3, keepCount: 0 },
    ]);
  });

  it('N = 0 with retainUntagged deletes every tagged image and keeps the untagged ones', () => {
    const out = selectRetention(
      'app',
      [img('a', { created: T0 + DAY }), img('u', { tags: [] })],
      rules({ keepCount: 0, retainUntagged: true }),
    );
    expect(decisions(out)).toEqual({ a: 'delete', u: 'keep' });
  });

  it('N larger than the repository deletes nothing', () => {
    const out = selectRetention(
      'app',
      [img('a', { created: T0 + DAY }), img('b'), img('u', { tags: [], created: T0 - DAY })],
      rules({ keepCount: 10 }),
    );
    expect(out.every((v) => v.decision === 'keep')).toBe(true);
    expect(out.map((v) => v.reason)).toEqual([
      { code: 'rank', rank: 1, keepCount: 10 },
      { code: 'rank', rank: 2, keepCount: 10 },
      { code: 'rank', rank: 3, keepCount: 10 },
    ]);
  });

  it('N equal to the repository size deletes nothing', () => {
    const out = selectRetention('app', [img('a'), img('b')], rules({ keepCount: 2 }));
    expect(out.map((v) => v.decision)).toEqual(['keep', 'keep']);
  });

  it('an empty repository gives an empty result', () => {
    expect(selectRetention('app', [], rules())).toEqual([]);
    expect(selectRetention('app', [], rules({ keepCount: 0, excludeRepositories: ['*'] }))).toEqual(
      [],
    );
  });
});

describe('retain untagged', () => {
  const candidates = [
    img('t1', { created: T0 + 5 * DAY }),
    img('u1', { tags: [], created: T0 + 4 * DAY }),
    img('t2', { created: T0 + 3 * DAY }),
    img('u2', { tags: [], created: T0 + 2 * DAY }),
    img('t3', { created: T0 + DAY }),
  ];

  it('when set, untagged images are kept and not counted: ranks count tagged images only', () => {
    const out = selectRetention('app', candidates, rules({ keepCount: 2, retainUntagged: true }));
    expect(out.map((v) => [v.candidate.key, v.decision, v.reason])).toEqual([
      ['t1', 'keep', { code: 'rank', rank: 1, keepCount: 2 }],
      ['u1', 'keep', { code: 'untagged-retained' }],
      ['t2', 'keep', { code: 'rank', rank: 2, keepCount: 2 }],
      ['u2', 'keep', { code: 'untagged-retained' }],
      ['t3', 'delete', { code: 'beyond-keep', rank: 3, keepCount: 2 }],
    ]);
  });

  it('when set, an untagged image beyond N is still kept', () => {
    const out = selectRetention(
      'app',
      [img('t1', { created: T0 + DAY }), img('u', { tags: [] })],
      rules({ keepCount: 1, retainUntagged: true }),
    );
    expect(byKey(out, 'u')).toMatchObject({
      decision: 'keep',
      reason: { code: 'untagged-retained' },
    });
  });

  it('when unset, untagged images are counted and deleted like any other', () => {
    const out = selectRetention('app', candidates, rules({ keepCount: 2, retainUntagged: false }));
    expect(out.map((v) => [v.candidate.key, v.decision, v.reason])).toEqual([
      ['t1', 'keep', { code: 'rank', rank: 1, keepCount: 2 }],
      ['u1', 'keep', { code: 'rank', rank: 2, keepCount: 2 }],
      ['t2', 'delete', { code: 'beyond-keep', rank: 3, keepCount: 2 }],
      ['u2', 'delete', { code: 'beyond-keep', rank: 4, keepCount: 2 }],
      ['t3', 'delete', { code: 'beyond-keep', rank: 5, keepCount: 2 }],
    ]);
  });
});

describe('protection', () => {
  it('excludeTags protects an image holding a matching tag (exact, * and ?)', () => {
    const out = selectRetention(
      'app',
      [
        img('a', { created: T0 + 9 * DAY, tags: ['main'] }),
        img('latest', { created: T0 + 5 * DAY, tags: ['latest'] }),
        img('v', { created: T0 + 4 * DAY, tags: ['build-7', 'v1.2.3'] }),
        img('rel', { created: T0 + 3 * DAY, tags: ['release-7'] }),
        img('rel2', { created: T0 + 2 * DAY, tags: ['release-10'] }),
        img('x', { created: T0 + DAY, tags: ['my-latest', 'xv1'] }),
      ],
      rules({ keepCount: 1, excludeTags: ['latest', 'v*', 'release-?'] }),
    );
    expect(byKey(out, 'a').decision).toBe('keep');
    expect(byKey(out, 'latest').reason).toEqual({
      code: 'protected',
      rank: 2,
      protections: [{ kind: 'excluded-tag', tag: 'latest', pattern: 'latest' }],
    });
    expect(byKey(out, 'v').reason).toEqual({
      code: 'protected',
      rank: 3,
      protections: [{ kind: 'excluded-tag', tag: 'v1.2.3', pattern: 'v*' }],
    });
    expect(byKey(out, 'rel').reason).toEqual({
      code: 'protected',
      rank: 4,
      protections: [{ kind: 'excluded-tag', tag: 'release-7', pattern: 'release-?' }],
    });
    // `?` is exactly one character, and patterns are anchored at both ends.
    expect(byKey(out, 'rel2')).toMatchObject({ decision: 'delete', reason: { rank: 5 } });
    expect(byKey(out, 'x')).toMatchObject({ decision: 'delete', reason: { rank: 6 } });
    expect(decisions(out)).toEqual({
      a: 'keep',
      latest: 'protected',
      v: 'protected',
      rel: 'protected',
      rel2: 'delete',
      x: 'delete',
    });
  });

  it('excludeRepositories protects every image of a matching repository', () => {
    const compiled = rules({ keepCount: 0, excludeRepositories: ['base/*', 'tools'] });
    const candidates = [img('a', { created: T0 + DAY }), img('u', { tags: [] })];
    for (const repo of ['base/node', 'base/python/slim', 'tools']) {
      const out = selectRetention(repo, candidates, compiled);
      expect(out.map((v) => v.decision)).toEqual(['protected', 'protected']);
      expect(out.map((v) => v.reason)).toEqual([
        {
          code: 'protected',
          rank: 1,
          protections: [
            { kind: 'excluded-repository', pattern: repo === 'tools' ? 'tools' : 'base/*' },
          ],
        },
        {
          code: 'protected',
          rank: 2,
          protections: [
            { kind: 'excluded-repository', pattern: repo === 'tools' ? 'tools' : 'base/*' },
          ],
        },
      ]);
    }
    for (const repo of ['base', 'tools/x', 'mytools', 'app/base/node']) {
      const out = selectRetention(repo, candidates, compiled);
      expect(out.map((v) => v.decision)).toEqual(['delete', 'delete']);
    }
  });

  it('a repository pattern with "." matches it literally', () => {
    const compiled = rules({ keepCount: 0, excludeRepositories: ['web.shop'] });
    expect(selectRetention('web.shop', [img('a')], compiled)[0]?.decision).toBe('protected');
    expect(selectRetention('webxshop', [img('a')], compiled)[0]?.decision).toBe('delete');
  });

  it('a pointer by tag protects the image holding that tag, with in-use and usedBy', () => {
    const pointers: ImagePointer[] = [
      {
        repository: 'app',
        reference: { tag: 'stable' },
        usedBy: 'project web-shop, app storefront',
      },
    ];
    const out = selectRetention(
      'app',
      [img('new', { created: T0 + DAY }), img('old', { tags: ['1.0', 'stable'] })],
      rules({ keepCount: 1 }),
      pointers,
    );
    expect(byKey(out, 'old')).toEqual({
      candidate: expect.objectContaining({ key: 'old' }),
      decision: 'protected',
      reason: {
        code: 'protected',
        rank: 2,
        protections: [{ kind: 'in-use', usedBy: 'project web-shop, app storefront' }],
      },
    });
  });

  it('a pointer by digest protects the image with that digest, even untagged', () => {
    const pointers: ImagePointer[] = [
      { repository: 'app', reference: { digest: dg('7') }, usedBy: 'project p, job nightly' },
    ];
    const out = selectRetention(
      'app',
      [
        img('new', { created: T0 + DAY }),
        img('old', { digest: dg('7'), tags: [] }),
        img('other', { digest: dg('8'), tags: [], created: T0 - DAY }),
      ],
      rules({ keepCount: 1 }),
      pointers,
    );
    expect(byKey(out, 'old').reason).toEqual({
      code: 'protected',
      rank: 2,
      protections: [{ kind: 'in-use', usedBy: 'project p, job nightly' }],
    });
    expect(byKey(out, 'other').decision).toBe('delete');
  });

  it('pointers only protect images of their own repository', () => {
    const pointers: ImagePointer[] = [
      { repository: 'other', reference: { tag: 'old' }, usedBy: 'project x, app y' },
      { repository: 'other', reference: { digest: dg('o') }, usedBy: 'project x, app z' },
      { repository: 'app/sub', reference: { tag: 'old' }, usedBy: 'project x, app w' },
    ];
    const out = selectRetention(
      'app',
      [img('new', { created: T0 + DAY }), img('old')],
      rules({ keepCount: 1 }),
      pointers,
    );
    expect(decisions(out)).toEqual({ new: 'keep', old: 'delete' });
  });

  it('a pointer to a tag nobody holds protects nothing', () => {
    const out = selectRetention(
      'app',
      [img('new', { created: T0 + DAY }), img('old')],
      rules({ keepCount: 1 }),
      [{ repository: 'app', reference: { tag: 'gone' }, usedBy: 'project x, app y' }],
    );
    expect(decisions(out)).toEqual({ new: 'keep', old: 'delete' });
  });

  it('a protected image keeps its rank and counts among the N', () => {
    // `p` is the most recent and protected: it takes rank 1, so with N = 2 only one more is kept.
    const out = selectRetention(
      'app',
      [
        img('p', { created: T0 + 3 * DAY, tags: ['latest'] }),
        img('a', { created: T0 + 2 * DAY }),
        img('b', { created: T0 + DAY }),
      ],
      rules({ keepCount: 2, excludeTags: ['latest'] }),
    );
    expect(out.map((v) => [v.candidate.key, v.decision, v.reason])).toEqual([
      [
        'p',
        'protected',
        {
          code: 'protected',
          rank: 1,
          protections: [{ kind: 'excluded-tag', tag: 'latest', pattern: 'latest' }],
        },
      ],
      ['a', 'keep', { code: 'rank', rank: 2, keepCount: 2 }],
      ['b', 'delete', { code: 'beyond-keep', rank: 3, keepCount: 2 }],
    ]);
  });

  it('a protected image beyond N is kept and the ranks after it go on counting', () => {
    const out = selectRetention(
      'app',
      [
        img('a', { created: T0 + 3 * DAY }),
        img('p', { created: T0 + 2 * DAY, tags: ['v2'] }),
        img('b', { created: T0 + DAY }),
      ],
      rules({ keepCount: 1, excludeTags: ['v*'] }),
    );
    expect(out.map((v) => [v.candidate.key, v.decision])).toEqual([
      ['a', 'keep'],
      ['p', 'protected'],
      ['b', 'delete'],
    ]);
    expect(byKey(out, 'p').reason).toMatchObject({ code: 'protected', rank: 2 });
    expect(byKey(out, 'b').reason).toEqual({ code: 'beyond-keep', rank: 3, keepCount: 1 });
  });

  it('a protected untagged image under retainUntagged has rank null and is not counted', () => {
    const out = selectRetention(
      'app',
      [
        img('u', { tags: [], digest: dg('7'), created: T0 + 2 * DAY }),
        img('a', { created: T0 + DAY }),
        img('b'),
      ],
      rules({ keepCount: 1, retainUntagged: true }),
      [{ repository: 'app', reference: { digest: dg('7') }, usedBy: 'project p, app q' }],
    );
    expect(byKey(out, 'u')).toMatchObject({
      decision: 'protected',
      reason: { code: 'protected', rank: null },
    });
    expect(byKey(out, 'a').reason).toEqual({ code: 'rank', rank: 1, keepCount: 1 });
    expect(byKey(out, 'b').reason).toEqual({ code: 'beyond-keep', rank: 2, keepCount: 1 });
  });

  it('a protected untagged image without retainUntagged has its rank', () => {
    const out = selectRetention(
      'app',
      [img('a', { created: T0 + DAY }), img('u', { tags: [], digest: dg('7') })],
      rules({ keepCount: 0 }),
      [{ repository: 'app', reference: { digest: dg('7') }, usedBy: 'project p, app q' }],
    );
    expect(byKey(out, 'u').reason).toMatchObject({ code: 'protected', rank: 2 });
  });

  it('lists every protection: repository, then tags, then pointers', () => {
    const pointers: ImagePointer[] = [
      { repository: 'base/node', reference: { tag: 'latest' }, usedBy: 'project a, app one' },
      { repository: 'base/node', reference: { digest: dg('1') }, usedBy: 'project b, job two' },
    ];
    const out = selectRetention(
      'base/node',
      [img('x', { digest: dg('1'), tags: ['latest', 'v3', 'release-1'] })],
      rules({
        keepCount: 0,
        excludeTags: ['latest', 'v*', 'release-?'],
        excludeRepositories: ['base/*'],
      }),
      pointers,
    );
    expect(out).toHaveLength(1);
    expect(out[0]?.decision).toBe('protected');
    expect(out[0]?.reason).toEqual({
      code: 'protected',
      rank: 1,
      protections: [
        { kind: 'excluded-repository', pattern: 'base/*' },
        { kind: 'excluded-tag', tag: 'latest', pattern: 'latest' },
        { kind: 'excluded-tag', tag: 'v3', pattern: 'v*' },
        { kind: 'excluded-tag', tag: 'release-1', pattern: 'release-?' },
        { kind: 'in-use', usedBy: 'project a, app one' },
        { kind: 'in-use', usedBy: 'project b, job two' },
      ],
    });
  });

  it('an exclusion pattern is reported once per image even if several tags match', () => {
    const out = selectRetention(
      'app',
      [img('x', { tags: ['v1', 'v2'] })],
      rules({ keepCount: 0, excludeTags: ['v*'] }),
    );
    expect(out[0]?.reason).toEqual({
      code: 'protected',
      rank: 1,
      protections: [{ kind: 'excluded-tag', tag: 'v1', pattern: 'v*' }],
    });
  });
});

describe('scan protection', () => {
  const scanned = (key: string, lastScannedAt: number | null | undefined, tags = [key]) => ({
    ...img(key, { tags }),
    ...(lastScannedAt === undefined ? {} : { lastScannedAt }),
  });

  it('protects the never scanned and those scanned more than N days before the evaluation', () => {
    const out = selectRetention(
      'app',
      [
        scanned('a', null),
        scanned('b', EVALUATED_AT - 7 * DAY - 1),
        scanned('c', EVALUATED_AT - 12 * DAY - 5 * HOUR),
        scanned('d', EVALUATED_AT - 7 * DAY),
        scanned('e', EVALUATED_AT - HOUR),
      ],
      rules({ keepCount: 0, protectUnscannedDays: 7 }),
    );
    expect(decisions(out)).toEqual({
      a: 'protected',
      b: 'protected',
      c: 'protected',
      // Exactly N days old is still fresh; an hour old certainly is.
      d: 'delete',
      e: 'delete',
    });
    expect(byKey(out, 'a').reason).toMatchObject({ protections: [{ kind: 'scan-missing' }] });
    expect(byKey(out, 'b').reason).toMatchObject({
      protections: [{ kind: 'scan-stale', scannedAt: EVALUATED_AT - 7 * DAY - 1, days: 7 }],
    });
    expect(describeReason(byKey(out, 'c').reason)).toBe(
      'protected: last successful scan 12 days ago',
    );
  });

  it('is off without the option, whatever the scans: nothing is protected by them', () => {
    const candidates = [scanned('a', null), scanned('b', T0 - 300 * DAY)];
    const off = rules({ keepCount: 0, protectUnscannedDays: null });
    expect(decisions(selectRetention('app', candidates, off))).toEqual({
      a: 'delete',
      b: 'delete',
    });
    // ...and the store then reads no scans at all.
    expect(needsScans(off.rules)).toBe(false);
    expect(needsScans(rules({ protectUnscannedDays: 1 }).rules)).toBe(true);
  });

  it('leaves alone an image with nothing to scan (an artifact)', () => {
    const out = selectRetention(
      'app',
      [scanned('a', undefined)],
      rules({ keepCount: 0, protectUnscannedDays: 1 }),
    );
    expect(out[0]?.decision).toBe('delete');
  });

  it('keeps the rank of a protected image and adds to the other protections', () => {
    const out = selectRetention(
      'app',
      [scanned('a', null, ['latest']), scanned('b', EVALUATED_AT)],
      rules({ keepCount: 1, excludeTags: ['latest'], protectUnscannedDays: 30 }),
    );
    expect(byKey(out, 'a').reason).toEqual({
      code: 'protected',
      rank: 1,
      protections: [
        { kind: 'excluded-tag', tag: 'latest', pattern: 'latest' },
        { kind: 'scan-missing' },
      ],
    });
    expect(describeReason(byKey(out, 'a').reason)).toBe(
      'protected: tag "latest" matches the protected pattern "latest"; protected: no successful scan',
    );
    // The scanned image is second in recency and beyond the one kept.
    expect(byKey(out, 'b')).toMatchObject({ decision: 'delete', reason: { rank: 2 } });
  });

  it('lastScanOf: an index is as fresh as its least recently scanned platform', () => {
    expect(lastScanOf([T0])).toBe(T0);
    expect(lastScanOf([T0 + DAY, T0, T0 + 2 * DAY])).toBe(T0);
    // One platform without a successful scan (never scanned, or only failed): not scanned.
    expect(lastScanOf([T0, null])).toBeNull();
    expect(lastScanOf([null])).toBeNull();
    // Nothing Berth scans (an artifact, an index of attestations only): nothing to protect.
    expect(lastScanOf([])).toBeUndefined();
    // The same a part at a time, whatever the order the parts come in.
    expect(withScannedPart(withScannedPart(undefined, T0 + DAY), T0)).toBe(T0);
    expect(withScannedPart(withScannedPart(undefined, null), T0)).toBeNull();
    expect(withScannedPart(withScannedPart(undefined, T0), null)).toBeNull();
  });
});

describe('patterns', () => {
  it('* is any run (including none), ? exactly one character, whole name anchored', () => {
    const star = compilePattern('v*');
    expect(star.test('v')).toBe(true);
    expect(star.test('v1.2.3')).toBe(true);
    expect(star.test('xv1')).toBe(false);
    const q = compilePattern('release-?');
    expect(q.test('release-1')).toBe(true);
    expect(q.test('release-')).toBe(false);
    expect(q.test('release-10')).toBe(false);
    const exact = compilePattern('latest');
    expect(exact.test('latest')).toBe(true);
    expect(exact.test('my-latest')).toBe(false);
    expect(exact.test('latest2')).toBe(false);
    expect(compilePattern('*-rc').test('1.0-rc')).toBe(true);
    expect(compilePattern('*-rc').test('1.0-rc1')).toBe(false);
  });

  it('escapes regex characters: "." is literal', () => {
    expect(compilePattern('a.b').test('a.b')).toBe(true);
    expect(compilePattern('a.b').test('axb')).toBe(false);
    expect(compilePattern('v1.*').test('v1.2')).toBe(true);
    expect(compilePattern('v1.*').test('v12')).toBe(false);
    // Characters the check refuses are still escaped rather than interpreted.
    expect(compilePattern('a+').test('aa')).toBe(false);
    expect(compilePattern('a+').test('a+')).toBe(true);
    expect(compilePattern('(a|b)').test('a')).toBe(false);
    expect(compilePattern('[ab]').test('a')).toBe(false);
    expect(compilePattern('[ab]').test('[ab]')).toBe(true);
    expect(compilePattern('^a$').test('^a$')).toBe(true);
    expect(compilePattern('a\\b').test('a\\b')).toBe(true);
  });

  it('"/" and "-" are literal, and * spans "/"', () => {
    const p = compilePattern('team/*');
    expect(p.test('team/web')).toBe(true);
    expect(p.test('team/web/api')).toBe(true);
    expect(p.test('team')).toBe(false);
    expect(p.test('myteam/web')).toBe(false);
    expect(compilePattern('a-b').test('a-b')).toBe(true);
  });

  it('checkRetentionPattern accepts names with wildcards', () => {
    for (const ok of ['v1.*', 'team/*', 'latest', 'release-?', '*', 'a_b', 'x'.repeat(255)]) {
      expect(checkRetentionPattern(ok), ok).toBeNull();
    }
  });

  it('checkRetentionPattern rejects empty, spaces, brackets and over-long patterns', () => {
    for (const bad of ['', ' ', 'v 1', ' v1', 'v1 ', '[', 'v[0-9]', 'a+', 'x'.repeat(256), 'é']) {
      expect(checkRetentionPattern(bad), JSON.stringify(bad)).toMatch(/wildcards/);
    }
  });

  it('compileRules compiles every pattern once and keeps the rules', () => {
    const r: RetentionRules = {
      keepCount: 3,
      retainUntagged: true,
      excludeTags: ['latest', 'v*'],
      excludeRepositories: ['base/*'],
      protectUnscannedDays: 7,
    };
    const c = compileRules(r, EVALUATED_AT);
    expect(c.rules).toBe(r);
    expect(c.evaluatedAt).toBe(EVALUATED_AT);
    expect(c.tagPatterns.map((p) => p.pattern)).toEqual(['latest', 'v*']);
    expect(c.repositoryPatterns.map((p) => p.pattern)).toEqual(['base/*']);
    expect(c.tagPatterns[1]?.regex.test('v9')).toBe(true);
    expect(c.repositoryPatterns[0]?.regex.test('base/x')).toBe(true);
  });

  it('compiled patterns can be reused across repositories (no regex state)', () => {
    const compiled = rules({ keepCount: 0, excludeTags: ['v*'], excludeRepositories: ['base/*'] });
    for (let i = 0; i < 3; i++) {
      expect(selectRetention('base/x', [img('a')], compiled)[0]?.decision).toBe('protected');
      expect(selectRetention('app', [img('a', { tags: ['v1'] })], compiled)[0]?.decision).toBe(
        'protected',
      );
    }
  });
});

describe('sentences', () => {
  it('describeReason', () => {
    expect(describeReason({ code: 'rank', rank: 2, keepCount: 5 })).toBe('rank 2 of 5 kept');
    expect(describeReason({ code: 'untagged-retained' })).toBe('untagged, retained by the policy');
    expect(describeReason({ code: 'beyond-keep', rank: 6, keepCount: 5 })).toBe(
      'rank 6, beyond the 5 kept',
    );
    expect(
      describeReason({
        code: 'protected',
        rank: 1,
        protections: [
          { kind: 'excluded-repository', pattern: 'base/*' },
          { kind: 'excluded-tag', tag: 'v1', pattern: 'v*' },
          { kind: 'in-use', usedBy: 'project web-shop, app storefront' },
        ],
      }),
    ).toBe(
      'protected: repository matches the protected pattern "base/*"; ' +
        'protected: tag "v1" matches the protected pattern "v*"; ' +
        'protected: used by project web-shop, app storefront',
    );
  });

  it('describeProtection', () => {
    expect(describeProtection({ kind: 'excluded-tag', tag: 'latest', pattern: 'latest' })).toBe(
      'protected: tag "latest" matches the protected pattern "latest"',
    );
    expect(describeProtection({ kind: 'in-use', usedBy: 'project p, job j' })).toBe(
      'protected: used by project p, job j',
    );
    expect(describeProtection({ kind: 'scan-missing' })).toBe('protected: no successful scan');
    expect(describeProtection({ kind: 'scan-stale', scannedAt: T0, days: 12 })).toBe(
      'protected: last successful scan 12 days ago',
    );
    expect(describeProtection({ kind: 'scan-stale', scannedAt: T0, days: 1 })).toBe(
      'protected: last successful scan 1 day ago',
    );
  });

  it('describeSkip', () => {
    expect(describeSkip({ code: 'gone' })).toBe(
      'no longer live: deleted or moved to the trash after the preview',
    );
    expect(describeSkip({ code: 'changed' })).toBe(
      'pushed, retagged or restored after the preview',
    );
    expect(
      describeSkip({ code: 'now-kept', reason: { code: 'rank', rank: 1, keepCount: 3 } }),
    ).toBe('no longer eligible: rank 1 of 3 kept');
    expect(
      describeSkip({
        code: 'now-kept',
        reason: {
          code: 'protected',
          rank: 4,
          protections: [{ kind: 'in-use', usedBy: 'project p, app a' }],
        },
      }),
    ).toBe('no longer eligible: protected: used by project p, app a');
    // A reason read back from a preview's packed columns comes as its sentence.
    expect(describeSkip({ code: 'now-kept', reason: 'protected: used by project p, app a' })).toBe(
      'no longer eligible: protected: used by project p, app a',
    );
  });
});

describe('planConfirmation', () => {
  const cand = (key: string) => img(key);
  const verdict = (
    key: string,
    decision: RetentionVerdict<string>['decision'],
    reason: RetentionReason,
  ): RetentionVerdict<string> => ({ candidate: cand(key), decision, reason });
  const del = (key: string, rank = 3) =>
    verdict(key, 'delete', { code: 'beyond-keep', rank, keepCount: 2 });

  it('deletes previewed images whose revision is unchanged and that are still deleted', () => {
    const plan = planConfirmation(
      [
        { key: 'a', revision: 1 },
        { key: 'b', revision: 4 },
      ],
      new Map([
        ['a', { revision: 1, verdict: del('a') }],
        ['b', { revision: 4, verdict: del('b', 9) }],
      ]),
    );
    expect(plan).toEqual({ delete: ['a', 'b'], skipped: [] });
  });

  it('skips gone (missing or no verdict), changed and now-kept, with the current reason', () => {
    const keptReason: RetentionReason = { code: 'rank', rank: 2, keepCount: 2 };
    const protectedReason: RetentionReason = {
      code: 'protected',
      rank: 5,
      protections: [{ kind: 'in-use', usedBy: 'project p, app a' }],
    };
    const plan = planConfirmation(
      [
        { key: 'missing', revision: 1 },
        { key: 'null', revision: 1 },
        { key: 'changed', revision: 1 },
        { key: 'kept', revision: 1 },
        { key: 'prot', revision: 1 },
        { key: 'untagged', revision: 1 },
        { key: 'ok', revision: 7 },
      ],
      new Map<string, { revision: number; verdict: RetentionVerdict<string> | null }>([
        ['null', { revision: 1, verdict: null }],
        ['changed', { revision: 2, verdict: del('changed') }],
        ['kept', { revision: 1, verdict: verdict('kept', 'keep', keptReason) }],
        ['prot', { revision: 1, verdict: verdict('prot', 'protected', protectedReason) }],
        [
          'untagged',
          { revision: 1, verdict: verdict('untagged', 'keep', { code: 'untagged-retained' }) },
        ],
        ['ok', { revision: 7, verdict: del('ok') }],
        ['not-previewed', { revision: 1, verdict: del('not-previewed') }],
      ]),
    );
    expect(plan.delete).toEqual(['ok']);
    expect(plan.skipped).toEqual([
      { key: 'missing', skip: { code: 'gone' } },
      { key: 'null', skip: { code: 'gone' } },
      { key: 'changed', skip: { code: 'changed' } },
      { key: 'kept', skip: { code: 'now-kept', reason: keptReason } },
      { key: 'prot', skip: { code: 'now-kept', reason: protectedReason } },
      { key: 'untagged', skip: { code: 'now-kept', reason: { code: 'untagged-retained' } } },
    ]);
  });

  it('a changed revision wins over a now-kept verdict, and gone wins over both', () => {
    const plan = planConfirmation(
      [
        { key: 'a', revision: 1 },
        { key: 'b', revision: 1 },
      ],
      new Map<string, { revision: number; verdict: RetentionVerdict<string> | null }>([
        [
          'a',
          { revision: 2, verdict: verdict('a', 'keep', { code: 'rank', rank: 1, keepCount: 1 }) },
        ],
        ['b', { revision: 2, verdict: null }],
      ]),
    );
    expect(plan.skipped).toEqual([
      { key: 'a', skip: { code: 'changed' } },
      { key: 'b', skip: { code: 'gone' } },
    ]);
  });

  it('never returns a key that was not previewed', () => {
    const current = new Map([
      ['x', { revision: 1, verdict: del('x') }],
      ['y', { revision: 1, verdict: del('y') }],
    ]);
    expect(planConfirmation([], current)).toEqual({ delete: [], skipped: [] });
    const plan = planConfirmation([{ key: 'y', revision: 1 }], current);
    expect(plan).toEqual({ delete: ['y'], skipped: [] });
  });

  it('works with numeric keys (the store’s row ids)', () => {
    const v: RetentionVerdict<number> = {
      candidate: { key: 7, digest: dg('7'), tags: [], createdAt: null, pushedAt: T0 },
      decision: 'delete',
      reason: { code: 'beyond-keep', rank: 3, keepCount: 1 },
    };
    expect(
      planConfirmation([{ key: 7, revision: 3 }], new Map([[7, { revision: 3, verdict: v }]])),
    ).toEqual({ delete: [7], skipped: [] });
  });
});

describe('daily schedule', () => {
  it('checkDailyAt accepts HH:MM from 00:00 to 23:59', () => {
    for (const ok of ['00:00', '03:30', '12:00', '19:59', '23:59']) {
      expect(checkDailyAt(ok), ok).toBeNull();
    }
  });

  it('checkDailyAt rejects anything else', () => {
    for (const bad of [
      '24:00',
      '7:30',
      '07:60',
      '',
      '07:3',
      '07-30',
      '07:30:00',
      ' 07:30',
      '7:5',
      'ab:cd',
    ]) {
      expect(checkDailyAt(bad), JSON.stringify(bad)).toBe(
        'the daily time is HH:MM in UTC, for example 03:30',
      );
    }
  });

  it('runs the same day when the time is still ahead', () => {
    expect(nextDailyRun(Date.parse('2026-03-10T01:00:00Z'), '03:30')).toBe(
      Date.parse('2026-03-10T03:30:00Z'),
    );
    expect(nextDailyRun(Date.parse('2026-03-10T03:29:59.999Z'), '03:30')).toBe(
      Date.parse('2026-03-10T03:30:00Z'),
    );
  });

  it('runs the next day when the time has passed or is exactly now', () => {
    expect(nextDailyRun(Date.parse('2026-03-10T05:00:00Z'), '03:30')).toBe(
      Date.parse('2026-03-11T03:30:00Z'),
    );
    expect(nextDailyRun(Date.parse('2026-03-10T03:30:00Z'), '03:30')).toBe(
      Date.parse('2026-03-11T03:30:00Z'),
    );
    expect(nextDailyRun(Date.parse('2026-03-10T03:30:00.001Z'), '03:30')).toBe(
      Date.parse('2026-03-11T03:30:00Z'),
    );
  });

  it('crosses month and year ends', () => {
    expect(nextDailyRun(Date.parse('2026-12-31T23:59:30Z'), '00:00')).toBe(
      Date.parse('2027-01-01T00:00:00Z'),
    );
    expect(nextDailyRun(Date.parse('2026-01-31T12:00:00Z'), '03:00')).toBe(
      Date.parse('2026-02-01T03:00:00Z'),
    );
    expect(nextDailyRun(Date.parse('2026-02-28T23:00:00Z'), '22:00')).toBe(
      Date.parse('2026-03-01T22:00:00Z'),
    );
    expect(nextDailyRun(Date.parse('2028-02-28T23:00:00Z'), '22:00')).toBe(
      Date.parse('2028-02-29T22:00:00Z'),
    );
  });

  it('is always strictly after and within a day', () => {
    const start = Date.parse('2026-06-15T00:00:00Z');
    for (let t = start; t < start + 2 * DAY; t += 17 * MIN + 3_001) {
      const next = nextDailyRun(t, '23:59');
      expect(next).toBeGreaterThan(t);
      expect(next - t).toBeLessThanOrEqual(DAY);
      expect(new Date(next).toISOString().slice(11)).toBe('23:59:00.000Z');
    }
  });

  it('throws on an invalid time', () => {
    for (const bad of ['24:00', '7:30', '07:60', '']) {
      expect(() => nextDailyRun(T0, bad)).toThrow(`invalid daily time ${bad}`);
    }
  });
});

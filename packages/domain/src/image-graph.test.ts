import { describe, expect, it } from 'vitest';
import {
  MAX_INDEX_DEPTH,
  type ImageGraph,
  goingWith,
  platformImages,
  referrerTypeOf,
  requireIndexDepth,
  tagSignatureOf,
  tagSignatureTags,
} from './image-graph.js';

/** A graph from parent → children edges and subject → attached edges; `dead` are trashed. */
function graph(
  edges: Record<string, string[]>,
  attached: Record<string, string[]> = {},
  dead: string[] = [],
): ImageGraph<string> {
  const children = new Map(Object.entries(edges));
  const parents = new Map<string, string[]>();
  for (const [p, cs] of children)
    for (const c of cs) parents.set(c, [...(parents.get(c) ?? []), p]);
  return {
    children,
    parents,
    attached: new Map(Object.entries(attached)),
    live: (id) => !dead.includes(id),
  };
}

describe('goingWith', () => {
  it('takes every descendant of a nested index, and the referrers of each', () => {
    const g = graph({ top: ['inner', 'x'], inner: ['a', 'b'] }, { top: ['sig'], a: ['att'] });
    expect(goingWith(['top'], g).sort()).toEqual(['a', 'att', 'b', 'inner', 'sig', 'top', 'x']);
  });

  it('leaves a child that another live index holds, and everything below it', () => {
    const g = graph({ one: ['shared', 'own'], two: ['shared'], shared: ['leaf'] });
    expect(goingWith(['one'], g).sort()).toEqual(['one', 'own']);
    // Both indexes going: the shared child goes too.
    expect(goingWith(['one', 'two'], g).sort()).toEqual(['leaf', 'one', 'own', 'shared', 'two']);
  });

  it('ignores parents in the trash, and never takes trashed manifests', () => {
    const g = graph({ one: ['shared', 'gone'], two: ['shared'] }, { one: ['old-sig'] }, [
      'two',
      'gone',
      'old-sig',
    ]);
    expect(goingWith(['one'], g).sort()).toEqual(['one', 'shared']);
  });

  it('takes a grandchild whose second parent is reached later', () => {
    // g is held by b and c; c is reached through b's sibling: the order must not matter.
    const g = graph({ top: ['b', 'c'], b: ['g'], c: ['g'] });
    expect(goingWith(['top'], g).sort()).toEqual(['b', 'c', 'g', 'top']);
  });
});

describe('platformImages', () => {
  it('lists leaves in index order, depth first, each once', () => {
    const children = new Map([
      ['top', ['inner', 'c', 'a']],
      ['inner', ['b', 'a']],
    ]);
    expect(platformImages('top', children)).toEqual(['b', 'a', 'c']);
    expect(platformImages('c', children)).toEqual([]);
  });
});

describe('index depth', () => {
  it('accepts up to the limit and refuses beyond it with MANIFEST_INVALID', () => {
    expect(() => requireIndexDepth(MAX_INDEX_DEPTH)).not.toThrow();
    expect(() => requireIndexDepth(MAX_INDEX_DEPTH + 1)).toThrow(
      expect.objectContaining({
        code: 'MANIFEST_INVALID',
        message: expect.stringContaining('at most 8'),
      }),
    );
  });
});

describe('cosign tag signatures', () => {
  const hex = 'a'.repeat(64);
  it('reads the signed digest and the kind from the tag', () => {
    expect(tagSignatureOf(`sha256-${hex}.sig`)).toEqual({
      digest: `sha256:${hex}`,
      kind: 'signature',
    });
    expect(tagSignatureOf(`sha256-${hex}.att`)?.kind).toBe('attestation');
    expect(tagSignatureOf(`sha256-${hex}.sbom`)?.kind).toBe('sbom');
    for (const tag of [
      'latest',
      `sha256-${hex}.sig2`,
      `sha256-${hex.slice(1)}.sig`,
      `sha256-${hex}`,
    ]) {
      expect(tagSignatureOf(tag)).toBeNull();
    }
    expect(tagSignatureTags(`sha256:${hex}`)).toEqual([
      `sha256-${hex}.sig`,
      `sha256-${hex}.att`,
      `sha256-${hex}.sbom`,
    ]);
  });
});

describe('referrerTypeOf', () => {
  it('tells signatures, attestations and SBOMs by their artifact type', () => {
    expect(referrerTypeOf('application/vnd.dev.cosign.artifact.sig.v1+json')).toBe('signature');
    expect(referrerTypeOf('application/vnd.cncf.notary.signature')).toBe('signature');
    expect(referrerTypeOf('application/vnd.in-toto+json')).toBe('attestation');
    expect(referrerTypeOf('application/spdx+json')).toBe('sbom');
    expect(referrerTypeOf('application/vnd.cyclonedx+json')).toBe('sbom');
    expect(referrerTypeOf('application/vnd.example.thing')).toBeNull();
    expect(referrerTypeOf(null)).toBeNull();
  });
});

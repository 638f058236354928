import { InputError } from './errors.js';

/**
 * What an image is made of. An image is a top-level manifest: an image manifest, or an index
 * whose children (platform images, and child indexes with children of their own) are parts of
 * it, never images of their own. Referrers (OCI `subject`) and cosign tag signatures are
 * attached to the manifest they are about. These rules decide what moves with an image.
 */

/** How deep indexes may nest: an index of images is 1, an index holding one of those is 2. */
export const MAX_INDEX_DEPTH = 8;

export function requireIndexDepth(depth: number): void {
  if (depth > MAX_INDEX_DEPTH) {
    throw new InputError(
      'MANIFEST_INVALID',
      `indexes nest ${depth} levels deep here; Berth accepts at most ${MAX_INDEX_DEPTH} levels of indexes inside indexes`,
      { depth, maxDepth: MAX_INDEX_DEPTH },
    );
  }
}

/** The manifests around some images, as the store read them. */
export interface ImageGraph<K> {
  /** Children of each index, in the index's order. */
  children: ReadonlyMap<K, readonly K[]>;
  /** Every index holding each manifest. */
  parents: ReadonlyMap<K, readonly K[]>;
  /** Referrers and tag signatures attached to each manifest. */
  attached: ReadonlyMap<K, readonly K[]>;
  /** Whether a manifest is live (trashed ones never move again with another image). */
  live(id: K): boolean;
}

/**
 * The images and everything that goes with them: every live descendant that no live index
 * outside the set holds (so deleting an index never breaks another index sharing a child),
 * and every live referrer or tag signature of anything in the set. The given images come
 * first, then the rest in the order they were reached.
 */
export function goingWith<K>(images: Iterable<K>, graph: ImageGraph<K>): K[] {
  const going = new Set<K>(images);
  const queue = [...going];
  const consider = (id: K, ok: () => boolean) => {
    if (going.has(id) || !graph.live(id) || !ok()) return;
    going.add(id);
    queue.push(id);
  };
  while (queue.length > 0) {
    const id = queue.shift() as K;
    for (const a of graph.attached.get(id) ?? []) consider(a, () => true);
    for (const c of graph.children.get(id) ?? []) {
      consider(c, () => (graph.parents.get(c) ?? []).every((p) => going.has(p) || !graph.live(p)));
    }
  }
  return [...going];
}

/**
 * The platform images of an index, in its order, depth first through child indexes; each
 * once. An image manifest has none.
 */
export function platformImages<K>(top: K, children: ReadonlyMap<K, readonly K[]>): K[] {
  const out: K[] = [];
  const seen = new Set<K>();
  const walk = (id: K) => {
    for (const c of children.get(id) ?? []) {
      // Content addressing makes the graph acyclic; `seen` keeps a shared child to one entry.
      if (seen.has(c)) continue;
      seen.add(c);
      if ((children.get(c)?.length ?? 0) > 0) walk(c);
      else out.push(c);
    }
  };
  walk(top);
  return out;
}

export type TagSignatureKind = 'signature' | 'attestation' | 'sbom';

const TAG_SIGNATURE = /^sha256-([a-f0-9]{64})\.(sig|att|sbom)$/;
const KINDS = { sig: 'signature', att: 'attestation', sbom: 'sbom' } as const;

/**
 * cosign's tag scheme: `sha256-<hex>.sig` (and `.att`, `.sbom`) holds the signature of image
 * `sha256:<hex>` in the same repository. null for any other tag.
 */
export function tagSignatureOf(tag: string): { digest: string; kind: TagSignatureKind } | null {
  const match = TAG_SIGNATURE.exec(tag);
  if (!match?.[1] || !match[2]) return null;
  return { digest: `sha256:${match[1]}`, kind: KINDS[match[2] as keyof typeof KINDS] };
}

/** The tags cosign would use for the signatures of `digest`. */
export function tagSignatureTags(digest: string): string[] {
  if (!digest.startsWith('sha256:')) return [];
  const base = `sha256-${digest.slice('sha256:'.length)}`;
  return Object.keys(KINDS).map((suffix) => `${base}.${suffix}`);
}

/**
 * What a subject referrer is, from its artifact type (cosign, notation, in-toto, SPDX,
 * CycloneDX and the like); null when the type says nothing recognisable.
 */
export function referrerTypeOf(artifactType: string | null): TagSignatureKind | null {
  if (artifactType === null) return null;
  const t = artifactType.toLowerCase();
  if (/spdx|cyclonedx|sbom|syft/.test(t)) return 'sbom';
  if (/in-toto|intoto|attestation|provenance|slsa|vuln/.test(t)) return 'attestation';
  if (/signature|\.sig\b|cosign\.artifact\.sig|notary|notation/.test(t)) return 'signature';
  return null;
}

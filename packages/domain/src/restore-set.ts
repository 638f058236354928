import { planTagRestore, type TagRestorePlan } from './trash.js';

/** One trash entry of a set being restored together, as the tag rule sees it. */
export interface SetRestoreEntry {
  /** Tags are per repository; entries of several repositories can be restored together. */
  repository: number;
  digest: string;
  /** The tags the image itself held when it was deleted. */
  tags: readonly string[];
  /** The tags its parts (tag signatures, platform images, child indexes) held. */
  partTags: readonly { tag: string; digest: string; manifestId: number }[];
}

export interface SetRestoreDecision {
  /** The image's own tags it gets back (what a single restore reports as restored). */
  restore: string[];
  /** Tags to write: `manifestId` null for the image itself, else the part that held it. */
  put: { tag: string; manifestId: number | null }[];
  skipped: TagRestorePlan['skipped'];
}

/**
 * The single-restore tag rule applied to a set restored at once: `entries` come newest
 * deletion first, and each gets every remembered tag that neither an image in the repository
 * nor an entry earlier in the set holds. Restoring the entries one by one in that order gives
 * the same tags, so when two restored images remember a tag, the one that held it last gets it.
 * `heldNow` maps repository → tag → digest of the live holder.
 */
export function planSetRestore(
  entries: readonly SetRestoreEntry[],
  heldNow: ReadonlyMap<number, ReadonlyMap<string, string>>,
): SetRestoreDecision[] {
  const held = new Map<number, Map<string, string>>();
  const heldIn = (repository: number) => {
    let tags = held.get(repository);
    if (!tags) {
      tags = new Map(heldNow.get(repository));
      held.set(repository, tags);
    }
    return tags;
  };
  // Tags given to an earlier entry of this set, so a skip says why in words that are true.
  const claimed = new Set<string>();
  const claimKey = (repository: number, tag: string) => `${repository}\u0000${tag}`;
  const explain = (repository: number, skip: TagRestorePlan['skipped'][number]) =>
    claimed.has(claimKey(repository, skip.tag))
      ? {
          ...skip,
          reason: `tag "${skip.tag}" went to ${skip.heldBy.slice(0, 19)}…, restored at the same time, which held it last`,
        }
      : skip;

  return entries.map((entry) => {
    const tags = heldIn(entry.repository);
    const plan = planTagRestore(entry.tags, tags, entry.digest);
    const decision: SetRestoreDecision = {
      restore: plan.restore,
      put: [],
      skipped: plan.skipped.map((s) => explain(entry.repository, s)),
    };
    for (const tag of plan.restore) {
      if (tags.has(tag)) continue;
      decision.put.push({ tag, manifestId: null });
      tags.set(tag, entry.digest);
      claimed.add(claimKey(entry.repository, tag));
    }
    const parts = [...entry.partTags].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
    for (const part of parts) {
      const holder = tags.get(part.tag);
      if (holder === undefined) {
        decision.put.push({ tag: part.tag, manifestId: part.manifestId });
        tags.set(part.tag, part.digest);
        claimed.add(claimKey(entry.repository, part.tag));
      } else if (holder !== part.digest) {
        const skip = planTagRestore([part.tag], new Map([[part.tag, holder]]), part.digest)
          .skipped[0]!;
        decision.skipped.push(explain(entry.repository, skip));
      }
    }
    return decision;
  });
}

/** Product contract: a deleted image stays restorable for 30 days. */
export const TRASH_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export function trashExpiry(deletedAt: number, days = TRASH_RETENTION_DAYS): number {
  return deletedAt + days * DAY_MS;
}

export function isExpired(expiresAt: number, now: number): boolean {
  return expiresAt <= now;
}

/** Whole days left, rounded up, so "expires in 3 hours" reads as 1 day, never 0. */
export function daysLeft(expiresAt: number, now: number): number {
  return Math.max(0, Math.ceil((expiresAt - now) / DAY_MS));
}

export type TrashReason = 'deleted' | 'repository-deleted' | 'retention';

export interface TagRestorePlan {
  restore: string[];
  skipped: { tag: string; reason: string; heldBy: string }[];
}

/**
 * Restore-by-digest rule: every remembered tag comes back unless another image in the
 * repository holds it now; those are reported, never moved.
 */
export function planTagRestore(
  rememberedTags: readonly string[],
  currentHolders: ReadonlyMap<string, string>,
  digest: string,
): TagRestorePlan {
  const plan: TagRestorePlan = { restore: [], skipped: [] };
  for (const tag of [...new Set(rememberedTags)].sort()) {
    const holder = currentHolders.get(tag);
    if (holder === undefined || holder === digest) {
      plan.restore.push(tag);
    } else {
      plan.skipped.push({
        tag,
        heldBy: holder,
        reason: `tag "${tag}" now points to ${holder.slice(0, 19)}…; pushed after this image was deleted`,
      });
    }
  }
  return plan;
}

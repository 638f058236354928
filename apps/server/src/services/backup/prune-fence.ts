import { setTimeout as sleep } from 'node:timers/promises';
import { STAGING_OWNER, stagingOwnerEnded } from '@berth/store';

/**
 * A prune and a backup into the same target, in two processes, must not meet in the middle: a
 * backup that finds a blob kept and counts it while a prune deletes it would publish a backup
 * without that blob. Each marks the target before it looks at the other's mark (a backup its
 * `.partial-…`, a prune `.prune-running-<process>`), so at least one of them sees the other:
 * a prune that sees a backup leaves blobs alone (as before); a backup that sees a prune waits
 * until it has finished before it looks at what is kept.
 */
export const PRUNE_MARKER_PREFIX = '.prune-running-';

/** This process's prune marker's name. */
export const pruneMarkerName = () => `${PRUNE_MARKER_PREFIX}${STAGING_OWNER}`;

/**
 * A marker older than this, or whose process on this host has ended, is left over from a prune
 * that died: a prune of a large target deletes its blobs in minutes.
 */
export const PRUNE_STALE_MS = 60 * 60 * 1000;

/** Whether a target's entry is the marker of a prune that may be deleting blobs now. */
export function isLivePrune(name: string, modifiedMs: number, now = Date.now()): boolean {
  if (!name.startsWith(PRUNE_MARKER_PREFIX)) return false;
  if (now - modifiedMs > PRUNE_STALE_MS) return false;
  return !stagingOwnerEnded(name.slice(PRUNE_MARKER_PREFIX.length));
}

/** Whether a target's entry is a prune marker left by a prune that died. */
export const isDeadPrune = (name: string, modifiedMs: number, now = Date.now()) =>
  name.startsWith(PRUNE_MARKER_PREFIX) && !isLivePrune(name, modifiedMs, now);

const POLL_MS = 250;

/**
 * Returns once `livePrunes()` (the target's markers of prunes that may be running, not counting
 * this process's) finds none; says once that it waits.
 */
export async function waitForPrunes(
  livePrunes: () => Promise<number>,
  onWait?: (line: string) => void,
): Promise<void> {
  let said = false;
  while ((await livePrunes()) > 0) {
    if (!said) onWait?.('waiting for a prune of the target to finish deleting blobs');
    said = true;
    await sleep(POLL_MS);
  }
}

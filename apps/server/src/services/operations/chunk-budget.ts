/** The fewest images a sized chunk handles: below this a chunk's fixed cost (its commit, reading its graph) dominates. */
const MIN_IMAGES = 16;
/** Weight of the newest chunk in the per-image estimate: a few chunks smooth out one slow commit. */
const NEWEST_WEIGHT = 0.3;

/**
 * How many images the next chunk of an operation may handle, so that one chunk holds the
 * write lock for about `targetMs`: what a push waits at most between chunks. A chunk's cost
 * per image varies about tenfold with the dataset (a repository of small images on a warm
 * cache against index pages read from disk in a million-image store, a namespace delete's
 * cascades against a repository delete), so a fixed count that is quick on one makes pulls
 * and pushes wait hundreds of milliseconds on another. `maxImages` (BERTH_BULK_CHUNK_IMAGES)
 * bounds it; `targetMs` 0 keeps every chunk at `maxImages`.
 */
export function createChunkBudget(maxImages: number, targetMs: number) {
  const least = Math.min(maxImages, MIN_IMAGES);
  let next = maxImages;
  let msPerImage: number | null = null;
  return {
    /** Images the next chunk may handle. */
    get images(): number {
      return next;
    },
    /** What the chunk just committed cost; a chunk that handled nothing says nothing. */
    record(handled: number, ms: number): void {
      if (targetMs <= 0 || handled <= 0) return;
      const sample = ms / handled;
      msPerImage =
        msPerImage === null ? sample : msPerImage * (1 - NEWEST_WEIGHT) + sample * NEWEST_WEIGHT;
      next = Math.max(least, Math.min(maxImages, Math.floor(targetMs / msPerImage)));
    },
  };
}

/** The fewest images a sized chunk handles: below this a chunk's fixed cost (its commit, reading its graph) dominates. */
const MIN_IMAGES = 16;
/** Weight of the newest chunk in the per-image estimate: a few chunks smooth out one slow commit. */
const NEWEST_WEIGHT = 0.3;

/**
 * How far time-sized chunks may grow past the first: a chunk's fixed costs (its commit, the
 * operation row it rewrites, the statements it prepares) are shared by more images, which cut
 * the CPU of a 100,000-image repository delete by a sixth at 1,000 images a chunk against 250.
 */
const GROWTH = 4;

/**
 * How many images the next chunk of an operation may handle, so that one chunk holds the
 * write lock for about `targetMs`: what a push waits at most between chunks. A chunk's cost
 * per image varies about tenfold with the dataset (a repository of small images on a warm
 * cache against index pages read from disk in a million-image store, a namespace delete's
 * cascades against a repository delete), so a fixed count that is quick on one makes pulls
 * and pushes wait hundreds of milliseconds on another. The first chunk handles `firstImages`
 * (BERTH_BULK_CHUNK_IMAGES: what the cost is is not known yet), the next ones between 16 and
 * GROWTH times that; `targetMs` 0 keeps every chunk at `firstImages`.
 */
export function createChunkBudget(firstImages: number, targetMs: number) {
  const least = Math.min(firstImages, MIN_IMAGES);
  const most = firstImages * GROWTH;
  let next = firstImages;
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
      next = Math.max(least, Math.min(most, Math.floor(targetMs / msPerImage)));
    },
  };
}

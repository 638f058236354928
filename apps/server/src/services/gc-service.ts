import type { GcReport } from '@berth/contract';
import { STAGING_OWNER, type StagingSweep } from '@berth/store';
import type { ServiceDeps } from './deps.js';
import type { UploadSessions } from './registry/upload-sessions.js';
import { removeMarkedBlobs } from './blob-cleanup.js';
import { iso } from './iso.js';

const BATCH = 500;

/**
 * Online garbage collection. Blobs go when no manifest (live or in any trash) uses them and no
 * repository link younger than the grace period holds them; abandoned uploads go after their
 * time to live. It runs beside pushes: see blob-reclaim in the store for why that is safe.
 */
export function createGcService(deps: ServiceDeps, uploads: UploadSessions) {
  const { store, blobs: blobDriver, clock, logger, registry: settings } = deps;
  let running: Promise<GcReport> | null = null;

  /** Removes marked blobs; false when a file could not go (its row stays for the next run). */
  async function removeCounted(
    marked: { digest: string; size: number }[],
    tally: { blobs: number; bytes: number },
  ): Promise<boolean> {
    const gone = new Set(
      await removeMarkedBlobs(
        deps,
        marked.map((b) => b.digest),
      ),
    );
    for (const b of marked) {
      if (!gone.has(b.digest)) continue;
      tally.blobs += 1;
      tally.bytes += b.size;
    }
    return gone.size === marked.length;
  }

  /**
   * Phase 2 for rows a GC run or a namespace delete marked and did not finish (the process
   * died between the phases, or a file could not go). Until then a re-push of such a blob
   * waits and a manifest naming it is refused.
   */
  async function finishMarked(tally: { blobs: number; bytes: number }): Promise<void> {
    for (let left = await store.gc.marked(BATCH); left.length > 0;) {
      if (!(await removeCounted(left, tally))) return;
      left = await store.gc.marked(BATCH);
    }
  }

  /** Staging files of uploads and blob writes that nothing will finish (see sweepStaging). */
  async function sweepStray({ dryRun }: { dryRun: boolean }): Promise<StagingSweep> {
    const sessions = await uploads.sweepStray({ dryRun });
    const staging = await blobDriver.sweepStaging({ dryRun });
    return { files: sessions.files + staging.files, bytes: sessions.bytes + staging.bytes };
  }

  /** Abandoned upload sessions and stray staging files. */
  async function sweepUploads(dryRun: boolean, startedAt: number) {
    const staleUploads = await uploads.stale(startedAt - settings.uploadTtlMs);
    // Abandoned sessions first, so a stray one is not counted under both headings.
    if (!dryRun) for (const u of staleUploads) await uploads.remove(u.id);
    const stray = await sweepStray({ dryRun });
    return {
      uploads: staleUploads.length,
      uploadBytes: staleUploads.reduce((s, u) => s + u.bytes, 0),
      strayFiles: stray.files,
      strayBytes: stray.bytes,
    };
  }

  async function collect(dryRun: boolean): Promise<GcReport> {
    const startedAt = clock();
    const linkCutoff = startedAt - settings.gcGraceMs;
    const uploadsPart = await sweepUploads(dryRun, startedAt);
    if (dryRun) {
      const plan = await store.gc.plan(linkCutoff);
      return {
        dryRun,
        blobs: plan.blobs,
        bytes: plan.bytes,
        staleLinks: plan.staleLinks,
        ...uploadsPart,
        startedAt: iso(startedAt),
        finishedAt: iso(clock()),
      };
    }
    const tally = { blobs: 0, bytes: 0 };
    let staleLinks = 0;
    // Rows marked by a run that crashed or could not delete a file come first.
    await finishMarked(tally);
    // Chunk by chunk, each its own short transaction: a push waits for one chunk at most, and
    // the files of what a chunk marked go before the next chunk is marked.
    for await (const step of store.gc.mark(linkCutoff)) {
      staleLinks += step.links;
      if (step.blobs.length > 0) await removeCounted(step.blobs, tally);
    }
    const { blobs, bytes } = tally;
    const report = {
      dryRun,
      blobs,
      bytes,
      staleLinks,
      ...uploadsPart,
      startedAt: iso(startedAt),
      finishedAt: iso(clock()),
    };
    if (blobs > 0 || staleLinks > 0 || uploadsPart.uploads > 0 || uploadsPart.strayFiles > 0) {
      await store.audit.record(clock(), {
        actor: 'system:gc',
        action: 'gc.run',
        target: 'blobs',
        outcome: 'success',
        details: { blobs, bytes, staleLinks, ...uploadsPart },
      });
      logger.info(report, 'garbage collection');
    }
    return report;
  }

  return {
    /** Finishes interrupted deletions; start-up runs it before listening. */
    async finishInterrupted(): Promise<{ blobs: number; bytes: number }> {
      const tally = { blobs: 0, bytes: 0 };
      await finishMarked(tally);
      if (tally.blobs > 0) logger.info(tally, 'finished interrupted blob deletions');
      return tally;
    },

    /**
     * At start-up: removes what uploads interrupted by a crash (or a full disk) left behind,
     * before clients come back to retry them.
     */
    async sweepStray(): Promise<StagingSweep> {
      const swept = await sweepStray({ dryRun: false });
      if (swept.files > 0) logger.info(swept, 'removed stray upload files');
      return swept;
    },

    /**
     * The periodic run, once per `intervalMs` across every process on the database: the
     * process that claims the period's slot collects; the others only clear their own
     * upload staging (a data directory each process may have to itself).
     */
    async runScheduled(intervalMs: number): Promise<GcReport | null> {
      const now = clock();
      const slot = Math.floor(now / intervalMs);
      if (await store.jobSlots.claim('gc', slot, STAGING_OWNER, now)) {
        logger.info({ slot }, 'scheduled garbage collection');
        return this.run({ dryRun: false });
      }
      await sweepUploads(false, now);
      return null;
    },

    /** One run at a time per process; a second caller shares the run in progress. */
    run({ dryRun }: { dryRun: boolean }): Promise<GcReport> {
      if (dryRun) return collect(true);
      running ??= collect(false).finally(() => {
        running = null;
      });
      return running;
    },
  };
}

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { hasFilesystem, parseManifest } from '@berth/domain';
import {
  type ClaimedScan,
  type NewScanResult,
  NO_FINDINGS,
  type ScanFindingRow,
  type ScanResultRecord,
} from '@berth/store';
import { DEFAULT_SCAN_SETTINGS, type ServiceDeps } from '../deps.js';
import { imageDataOf } from '../encryption/image-data.js';
import { blobIntegrityError, IntegrityError } from '../encryption/integrity-error.js';
import { manifestSealingOf } from '../encryption/manifest-sealing.js';
import { defaultReaders, readInventory } from './inventory/inventory.js';
import { LayerRejectedError, type LayerSource } from './inventory/layer-walker.js';
import type { Distro, InventoryPackage } from './inventory/types.js';
import { type AdvisoryCache, matchInventory } from './match-inventory.js';
import { type PushActivity, createPushActivity } from './push-activity.js';

/** A claim lasts this long; a scan that takes longer renews nothing and may be run twice. */
const LEASE_MS = 30 * 60_000;
/** Claims of one image before a scan that keeps failing for the scanner's reasons is recorded. */
const MAX_ATTEMPTS = 3;
const RETRY_AFTER_MS = 60_000;
/** Packages whose advisories one sweep keeps parsed (see AdvisoryCache). */
const MAX_CACHED_PACKAGES = 20_000;
/** Re-matched before its time is up, so a live image always has a current result. */
const RENEW_BEFORE_MS = 86_400_000;
/** Manifests one backfill step looks at, and the most it queues (a push's scan waits behind them). */
const BACKFILL_WINDOW = 500;
const BACKFILL_WINDOWS_PER_STEP = 20;

export interface StoredInventory {
  distro: Distro | null;
  packages: InventoryPackage[];
}

/** Files a result names as not read, at most (a hostile layer could list millions). */
const MAX_NOTES = 20;

/**
 * Scans run in the background, never in a push's request: a push queues its image in the
 * push's own transaction (images-store ingest, `scan`), and each process takes images from the
 * shared queue, at most `concurrency` at once. A scan streams the image's layers once
 * (readInventory), stores the inventory, and matches it against the imported advisories.
 * While the process receives a push, scans stop reading (`pushes`): on two cores a scan beside
 * a 500 MiB push took its CPU from the push. `scanned` is told of each complete result stored
 * for a live image (attaching its SBOM, sbom-referrer.ts); it handles its own failures.
 */
export function createScanService(
  deps: ServiceDeps,
  pushes: PushActivity = createPushActivity(),
  scanned: (scan: ClaimedScan) => Promise<void> = async () => {},
) {
  const { store, clock, logger } = deps;
  const imageData = imageDataOf(deps);
  const sealing = manifestSealingOf(deps);
  const settings = deps.scanning ?? DEFAULT_SCAN_SETTINGS;
  const owner = `scanner-${randomUUID()}`;
  let running = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let draining: Promise<void> | null = null;
  const inFlight = new Set<Promise<void>>();
  /** Where the backfill goes on; null once it has looked at every image (until the next sweep). */
  let backfillFrom: number | null = settings.onPush ? 0 : null;

  async function inventoryOf(
    scan: ClaimedScan,
  ): Promise<(StoredInventory & { notes: string[] }) | null> {
    if (!scan.content) return null;
    const content = await sealing.open(scan.namespace, scan.digest, scan.content);
    const manifest = parseManifest(content, scan.mediaType);
    // An index is scanned per platform: its platform manifests are images of their own.
    // Artifacts (signatures, SBOMs, BuildKit's attestations) have no filesystem.
    if (!hasFilesystem(manifest)) return null;
    const layers: LayerSource[] = manifest.layers.map((layer) => ({
      digest: layer.digest,
      mediaType: layer.mediaType,
      async open() {
        // Decrypted with the key of the namespace the scanned image is in (issue 18).
        const namespaceId = await imageData.namespaceId(scan.namespace);
        const stream =
          namespaceId === null
            ? null
            : await imageData.open(namespaceId, layer.digest).catch((error: unknown) => {
                throw blobIntegrityError(layer.digest, error, 'open') ?? error;
              });
        if (!stream) throw new LayerRejectedError(layer.digest, 'its blob is missing from storage');
        return Readable.from(yieldingToPushes(stream, layer.digest));
      },
    }));
    const inventory = await readInventory(layers, defaultReaders);
    // What was wanted but not read: the result says so, so "no findings" is not taken for
    // "nothing there".
    const notes = inventory.skipped
      .slice(0, MAX_NOTES)
      .map((f) => `${f.path} in layer ${f.layer} was not read: ${f.reason}`);
    if (inventory.skipped.length > MAX_NOTES) {
      notes.push(`and ${inventory.skipped.length - MAX_NOTES} more files were not read`);
    }
    return { distro: inventory.distro, packages: inventory.packages, notes };
  }

  /**
   * The layer's bytes, held back while this process receives a push; bytes that fail their
   * integrity check end it with the IntegrityError that says so.
   */
  async function* yieldingToPushes(
    stream: NodeJS.ReadableStream,
    digest: string,
  ): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream) {
        await pushes.whenIdle();
        yield chunk as Buffer;
      }
    } catch (error) {
      throw blobIntegrityError(digest, error, 'read') ?? error;
    }
  }

  async function resultOf(
    inventory: StoredInventory,
    cache?: AdvisoryCache,
  ): Promise<NewScanResult> {
    const matched = await matchInventory(store, inventory.packages, inventory.distro, cache);
    return {
      status: 'complete',
      error: null,
      distro: inventory.distro ? `${inventory.distro.id} ${inventory.distro.versionId}` : null,
      inventory: { distro: inventory.distro, packages: inventory.packages },
      ...matched,
    };
  }

  async function scanOne(scan: ClaimedScan): Promise<void> {
    let result: NewScanResult | null;
    try {
      const inventory = await inventoryOf(scan);
      result = inventory ? { ...(await resultOf(inventory)), notes: inventory.notes } : null;
    } catch (err) {
      // Stored data that fails its integrity check will fail again: no retries, and the
      // result says what was found, in the words the registry and the console use.
      const damaged = err instanceof IntegrityError;
      if (damaged) {
        logger.error(
          { ...err.details, image: scan.digest },
          'an image failed its integrity check; it was not scanned',
        );
      }
      const rejected = err instanceof LayerRejectedError || damaged;
      if (!rejected) {
        logger.error({ err, digest: scan.digest, attempt: scan.attempts }, 'scan failed');
        // Storage or database trouble passes: the image goes back to the queue a few times
        // before its result says the scanner failed.
        if (scan.attempts < MAX_ATTEMPTS) {
          await store.scans.release(scan.manifestId, owner, clock() + RETRY_AFTER_MS);
          return;
        }
      }
      result = {
        status: 'failed',
        error: rejected ? err.message : 'the scanner failed on this image; the server log says why',
        distro: null,
        inventory: { distro: null, packages: [] },
        findings: [],
        ...NO_FINDINGS,
      };
    }
    const stored = await store.scans.finish(scan, owner, result, clock(), settings.keepMs);
    if (stored && result?.status === 'complete' && scan.live) await scanned(scan);
  }

  /** Takes what the queue holds while there are free slots. */
  async function drain(): Promise<void> {
    while (!stopped && running < settings.concurrency) {
      const claimed = await store.scans.claim(
        owner,
        clock(),
        LEASE_MS,
        settings.concurrency - running,
      );
      if (claimed.length === 0) {
        if (await backfill()) continue;
        return;
      }
      for (const scan of claimed) {
        running++;
        const task = scanOne(scan)
          .catch((err: unknown) => logger.error({ err, digest: scan.digest }, 'scan not stored'))
          .finally(() => {
            running--;
            inFlight.delete(task);
            if (!stopped) poke();
          });
        inFlight.add(task);
      }
    }
  }

  /**
   * With scan-on-push on, every live image should have a result: once the queue is empty,
   * images that have none are queued a few at a time, so a push's own scan never waits
   * behind a long backfill. True when it queued some.
   */
  async function backfill(): Promise<boolean> {
    for (let step = 0; backfillFrom !== null && step < BACKFILL_WINDOWS_PER_STEP; step++) {
      const { queued, next } = await store.scans.queueUnscanned(
        backfillFrom,
        BACKFILL_WINDOW,
        settings.concurrency,
        clock(),
      );
      backfillFrom = next;
      if (queued > 0) return true;
      await nextTurn();
    }
    return false;
  }

  function poke(): void {
    if (stopped) return;
    draining ??= drain()
      .catch((err: unknown) => logger.error({ err }, 'reading the scan queue failed'))
      .finally(() => {
        draining = null;
      });
  }

  return {
    /** Starts taking scans from the queue (server start-up). */
    start(): void {
      stopped = false;
      timer = setInterval(poke, settings.pollMs);
      timer.unref();
      poke();
    },

    /** A push queued an image: look now rather than at the next poll. */
    poke,

    /** Stops taking scans and waits for those running (their results are stored). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      await draining;
      await Promise.all([...inFlight]);
    },

    /** Waits until the queue is empty and no scan of this process runs (tests, benchmarks). */
    async idle(): Promise<void> {
      for (;;) {
        poke();
        await draining;
        await Promise.all([...inFlight]);
        if (!(await store.scans.anyQueued())) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },

    /** Queues scans at a person's request (`target`: the image as they named it), audited. */
    async request(manifestIds: readonly number[], target: string, actor: string): Promise<void> {
      await store.scans.request(manifestIds, 'request', clock());
      await store.audit.record(clock(), {
        actor,
        action: 'image.scan',
        target,
        outcome: 'success',
        details: { manifests: manifestIds.length },
      });
      poke();
    },

    /**
     * The periodic sweep, once per `intervalMs` across every process on the database (the
     * process that claims the period's slot sweeps).
     */
    async runScheduled(intervalMs: number): Promise<void> {
      const now = clock();
      if (await store.jobSlots.claim('scan-sweep', Math.floor(now / intervalMs), owner, now)) {
        await this.sweep();
      }
    },

    /**
     * Deletes results whose time is up, and re-matches each live image's newest result (from
     * its stored inventory) when its time is nearly up or the advisory data changed after it
     * was generated, so a live image always has a current result.
     */
    async sweep(): Promise<{ deleted: number; rematched: number }> {
      const now = clock();
      let rematched = 0;
      // Images restored from the trash after their result expired have none again.
      if (settings.onPush) backfillFrom ??= 0;
      // Results due for renewal, and every result older than the advisory data.
      const changed = (await store.advisories.changedAt()) ?? 0;
      const before = Math.max(now - settings.keepMs + RENEW_BEFORE_MS, Math.min(changed, now));
      const cache: AdvisoryCache = new Map();
      for (let after = 0; ;) {
        const due = await store.scans.liveResultsGeneratedBefore(before, after, 100);
        if (due.length === 0) break;
        for (const result of due) {
          // Bounded: a sweep over more distinct packages than this reads some of them twice.
          if (cache.size > MAX_CACHED_PACKAGES) cache.clear();
          await rematch(result, now, cache);
          rematched++;
          // better-sqlite3 answers synchronously: without a turn per image, a sweep of
          // 10,000 held every request for two minutes.
          await nextTurn();
        }
        after = due.at(-1)!.id;
      }
      const deleted = await store.scans.deleteExpired(now);
      if (deleted > 0 || rematched > 0) logger.info({ deleted, rematched }, 'scan results swept');
      return { deleted, rematched };
    },
  };

  async function rematch(
    result: ScanResultRecord,
    now: number,
    cache: AdvisoryCache,
  ): Promise<void> {
    const stored = await store.scans.inventory(result.id);
    if (!stored) return;
    const renewed = await resultOf(stored as StoredInventory, cache);
    // Most re-matches find what the last one found: that result is renewed in place rather
    // than stored again with its whole inventory (43 KB an image, every import).
    const { items } = await store.scans.findings(result.id, {
      offset: 0,
      limit: Number.MAX_SAFE_INTEGER,
    });
    if (sameFindings(items, renewed.findings)) {
      await store.scans.renew(result.id, now, now + settings.keepMs);
    } else {
      await store.scans.addResult(
        result,
        { ...renewed, notes: result.notes },
        now,
        settings.keepMs,
      );
    }
  }
}

export type ScanService = ReturnType<typeof createScanService>;

function sameFindings(a: readonly ScanFindingRow[], b: readonly ScanFindingRow[]): boolean {
  const key = (f: ScanFindingRow) =>
    JSON.stringify([f.package, f.advisoryId, f.severity, f.score, f.fixed, f.summary]);
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

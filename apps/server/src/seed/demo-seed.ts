import type { BlobDriver, Store } from '@berth/store';
import { buildDemoPlan, type DemoImage } from './demo-plan.js';
import { createImageIngester } from './ingest-image.js';

const ACTOR = 'system:demo-seed';

/**
 * Loads the demo plan through the same store operations a push and a delete use, with
 * real bytes in the blob store, so the demo behaves exactly like pushed data.
 */
export async function seedDemo({
  store,
  blobs,
  now,
  region,
  stored,
  sealManifest,
}: {
  store: Store;
  blobs: BlobDriver;
  now: number;
  region: string;
  /** Told once a namespace holds a blob (encryption at rest, see createImageIngester). */
  stored?: (namespace: string, digest: string) => Promise<void>;
  /** What to store for a manifest's bytes (sealed at rest, see createImageIngester). */
  sealManifest?: (namespace: string, digest: string, bytes: Buffer) => Promise<Uint8Array>;
}) {
  const plan = buildDemoPlan(now);
  const ingester = createImageIngester(store, blobs, stored, sealManifest);
  let images = 0;
  for (const ns of plan.namespaces) {
    await store.namespaces.create(
      { name: ns.name, region, quotaBytes: ns.quotaBytes },
      { actor: ACTOR, now },
    );
    // Pushes and deletions replayed in time order, so a tag that moved after a deletion
    // is held by the newer image and the trashed one still remembers it.
    const events: { at: number; repository: string; image: DemoImage; kind: 'push' | 'trash' }[] =
      [];
    for (const repo of ns.repositories) {
      for (const image of repo.images) {
        events.push({ at: image.pushedAt, repository: repo.name, image, kind: 'push' });
        if (image.trashed)
          events.push({ at: image.trashed.deletedAt, repository: repo.name, image, kind: 'trash' });
      }
    }
    events.sort((a, b) => a.at - b.at || (a.kind === b.kind ? 0 : a.kind === 'push' ? -1 : 1));
    for (const e of events) {
      if (e.kind === 'push') {
        await ingester.ingest(ns.name, e.repository, e.image, { actor: ACTOR, now: e.at });
        images += 1;
      } else {
        await store.images.trash(
          ns.name,
          [{ repository: e.repository, digest: e.image.manifest.digest }],
          e.image.trashed?.reason ?? 'deleted',
          {
            actor: 'demo-admin',
            now: e.at,
          },
        );
      }
    }
  }
  return { namespaces: plan.namespaces.length, images, blobs: ingester.blobsWritten };
}

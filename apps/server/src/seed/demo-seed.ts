import type { BlobDriver, IngestManifest, Store } from '@berth/store';
import { buildDemoPlan, type DemoImage } from './demo-plan.js';
import type { BuiltManifest } from './oci-content.js';

const ACTOR = 'system:demo-seed';

function ingestInput(m: BuiltManifest): IngestManifest {
  return {
    digest: m.digest,
    mediaType: m.mediaType,
    artifactType: m.artifactType,
    manifestSize: m.bytes.length,
    blobs: [...(m.config ? [m.config] : []), ...m.layers].map((b) => ({
      digest: b.digest,
      size: b.bytes.length,
      mediaType: b.mediaType,
    })),
    children: m.children.map((c) => ({ digest: c.digest, platform: c.platform })),
    subject: m.subject,
    createdAt: m.createdAt,
  };
}

/**
 * Loads the demo plan through the same store operations a push and a delete use, with
 * real bytes in the blob store, so the demo behaves exactly like pushed data.
 */
export async function seedDemo({
  store,
  blobs,
  now,
  region,
}: {
  store: Store;
  blobs: BlobDriver;
  now: number;
  region: string;
}) {
  const plan = buildDemoPlan(now);
  const written = new Set<string>();
  const putBytes = async (digest: string, bytes: Buffer) => {
    if (written.has(digest)) return;
    await blobs.put(digest, bytes);
    written.add(digest);
  };
  const putManifest = async (m: BuiltManifest): Promise<void> => {
    for (const child of m.children) await putManifest(child);
    for (const b of [...(m.config ? [m.config] : []), ...m.layers])
      await putBytes(b.digest, b.bytes);
    await putBytes(m.digest, m.bytes);
  };

  let images = 0;
  for (const ns of plan.namespaces) {
    await store.namespaces.create(
      { name: ns.name, region, quotaBytes: ns.quotaBytes },
      { actor: ACTOR, now },
    );
    const trashed: { repository: string; image: DemoImage }[] = [];
    for (const repo of ns.repositories) {
      // Pushed in time order, so a tag that moved ends on the newest image that holds it.
      const ordered = [...repo.images].sort((a, b) => a.pushedAt - b.pushedAt);
      for (const image of ordered) {
        const m = image.manifest;
        await putManifest(m);
        const ctx = { actor: ACTOR, now: image.pushedAt };
        for (const child of m.children)
          await store.images.ingest(ns.name, repo.name, ingestInput(child), [], ctx);
        await store.images.ingest(ns.name, repo.name, ingestInput(m), image.tags, ctx);
        for (const ref of image.referrers) {
          await putManifest(ref);
          await store.images.ingest(ns.name, repo.name, ingestInput(ref), [], ctx);
        }
        if (image.trashed) trashed.push({ repository: repo.name, image });
        images += 1;
      }
    }
    trashed.sort((a, b) => (a.image.trashed?.deletedAt ?? 0) - (b.image.trashed?.deletedAt ?? 0));
    for (const { repository, image } of trashed) {
      const t = image.trashed;
      if (!t) continue;
      await store.images.trash(ns.name, [{ repository, digest: image.manifest.digest }], t.reason, {
        actor: 'demo-admin',
        now: t.deletedAt,
      });
    }
  }
  return { namespaces: plan.namespaces.length, images, blobs: written.size };
}

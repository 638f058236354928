import type { ActionContext, BlobDriver, IngestManifest, Store } from '@berth/store';
import type { BuiltManifest } from './oci-content.js';

export function ingestInput(m: BuiltManifest): IngestManifest {
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
    content: m.bytes,
  };
}

/**
 * Uploads an image's blobs into a repository and records it (children first, then the
 * image with its tags, then its referrers), the order a registry client pushes in.
 */
export function createImageIngester(store: Store, blobs: BlobDriver) {
  const written = new Set<string>();
  let repo = { namespace: '', repository: '', now: 0 };
  const putBytes = async (b: BuiltManifest['layers'][number]) => {
    if (!written.has(b.digest)) {
      await blobs.put(b.digest, b.bytes);
      written.add(b.digest);
    }
    await store.registry.linkBlob(
      repo.namespace,
      repo.repository,
      { digest: b.digest, size: b.bytes.length, mediaType: b.mediaType },
      repo.now,
    );
  };
  const putManifest = async (m: BuiltManifest): Promise<void> => {
    for (const child of m.children) await putManifest(child);
    for (const b of [...(m.config ? [m.config] : []), ...m.layers]) await putBytes(b);
  };
  return {
    get blobsWritten() {
      return written.size;
    },
    async ingest(
      namespace: string,
      repository: string,
      image: {
        manifest: BuiltManifest;
        tags: readonly string[];
        referrers?: readonly BuiltManifest[];
      },
      ctx: ActionContext,
    ): Promise<void> {
      const m = image.manifest;
      repo = { namespace, repository, now: ctx.now };
      await putManifest(m);
      for (const child of m.children)
        await store.images.ingest(namespace, repository, ingestInput(child), [], ctx);
      await store.images.ingest(namespace, repository, ingestInput(m), image.tags, ctx);
      for (const ref of image.referrers ?? []) {
        await putManifest(ref);
        await store.images.ingest(namespace, repository, ingestInput(ref), [], ctx);
      }
    },
  };
}

import type { ActionContext, BlobDriver, IngestManifest, Store } from '@berth/store';
import type { BuiltManifest } from './oci-content.js';

/** Config and layers: the blobs a client uploads before the manifest. */
function uploadedBlobs(m: BuiltManifest) {
  return [...(m.config ? [m.config] : []), ...m.layers];
}

/** `content`: what the store keeps, the manifest's bytes unless they were sealed. */
export function ingestInput(m: BuiltManifest, content: Uint8Array = m.bytes): IngestManifest {
  return {
    digest: m.digest,
    mediaType: m.mediaType,
    artifactType: m.artifactType,
    manifestSize: m.bytes.length,
    blobs: uploadedBlobs(m).map((b) => ({
      digest: b.digest,
      size: b.bytes.length,
      mediaType: b.mediaType,
    })),
    children: m.children.map((c) => ({ digest: c.digest, platform: c.platform })),
    subject: m.subject,
    createdAt: m.createdAt,
    content,
  };
}

/**
 * Uploads an image's blobs into a repository and records it (children first, then the
 * image with its tags, then its referrers), the order a registry client pushes in.
 */
/**
 * `stored`: told once a namespace holds a blob written here (the server encrypts it at rest
 * then, issue 18); absent, blobs stay as written. `sealManifest`: what to store for a
 * manifest's bytes (the server seals them then); absent, the bytes as they are.
 */
export function createImageIngester(
  store: Store,
  blobs: BlobDriver,
  stored?: (namespace: string, digest: string) => Promise<void>,
  sealManifest?: (namespace: string, digest: string, bytes: Buffer) => Promise<Uint8Array>,
) {
  const written = new Set<string>();
  type Target = { namespace: string; repository: string; now: number };
  const upload = async (m: BuiltManifest, to: Target): Promise<void> => {
    for (const child of m.children) await upload(child, to);
    for (const b of uploadedBlobs(m)) {
      if (!written.has(b.digest)) {
        await blobs.put(b.digest, b.bytes);
        written.add(b.digest);
      }
      await store.registry.linkBlob(
        to.namespace,
        to.repository,
        { digest: b.digest, size: b.bytes.length, mediaType: b.mediaType },
        to.now,
      );
      await stored?.(to.namespace, b.digest);
    }
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
        /** Signatures stored the way cosign does without the referrers API. */
        tagSignatures?: readonly BuiltManifest[];
      },
      ctx: ActionContext,
    ): Promise<void> {
      const m = image.manifest;
      const to = { namespace, repository, now: ctx.now };
      const input = async (built: BuiltManifest) =>
        ingestInput(
          built,
          sealManifest ? await sealManifest(namespace, built.digest, built.bytes) : built.bytes,
        );
      await upload(m, to);
      // Children before their index, at every level of a nested index.
      const ingestChildren = async (parent: BuiltManifest): Promise<void> => {
        for (const child of parent.children) {
          await ingestChildren(child);
          await store.images.ingest(namespace, repository, await input(child), [], ctx);
        }
      };
      await ingestChildren(m);
      await store.images.ingest(namespace, repository, await input(m), image.tags, ctx);
      for (const ref of image.referrers ?? []) {
        await upload(ref, to);
        await store.images.ingest(namespace, repository, await input(ref), [], ctx);
      }
      // cosign's tag scheme: the signature is tagged sha256-<hex>.sig beside the image.
      for (const sig of image.tagSignatures ?? []) {
        await upload(sig, to);
        const tag = `${m.digest.replace(':', '-')}.sig`;
        await store.images.ingest(namespace, repository, await input(sig), [tag], ctx);
      }
    },
  };
}

import { createHash } from 'node:crypto';
import type { IngestManifest } from '../images-store.js';

/** When every synthetic image was created. */
export const SYNTHETIC_CREATED = Date.UTC(2026, 0, 1);

/** A digest named after a string, so a test can speak of images and layers by name. */
export const digestOf = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/**
 * A synthetic image manifest named `name`, using the named layers and a config of its own
 * (`<name>-config`), for store tests that ingest without blob bytes.
 */
export function syntheticImage(
  name: string,
  layers: string[],
  opts: Partial<IngestManifest> = {},
): IngestManifest {
  return {
    digest: digestOf(name),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: null,
    manifestSize: 300,
    blobs: [...new Set([...layers, `${name}-config`])].map((l) => ({
      digest: digestOf(l),
      size: 1000 + (l.length % 7) * 100,
      mediaType: 'layer',
    })),
    children: [],
    subject: null,
    createdAt: SYNTHETIC_CREATED,
    content: Buffer.from(`{"name":"${name}"}`),
    ...opts,
  };
}

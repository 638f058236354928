import type { BerthClient } from './auth';
import { MEDIA, descriptor, digestOf, pushBlob, pushManifest } from './oci-push';

/**
 * Test data for retention journeys: a namespace of its own and small real images pushed
 * through the registry API, each with a known created time so the preview's decisions are
 * known in advance.
 */
const DAY = 24 * 60 * 60 * 1000;

export async function createNamespace(admin: BerthClient, name: string): Promise<void> {
  const regions = await admin.call<{ defaultRegion: string }>('/api/v1/regions');
  await admin.call('/api/v1/namespaces', {
    method: 'POST',
    json: { name, region: regions.defaultRegion },
  });
}

export interface PushedImage {
  digest: string;
  tag: string;
}

/** One single-layer OCI image, created `daysAgo` days ago according to its config. */
export async function pushImage(
  admin: BerthClient,
  name: string,
  tag: string,
  daysAgo: number,
): Promise<PushedImage> {
  const layer = Buffer.from(`berth retention e2e layer ${name}:${tag}\n`.repeat(64));
  await pushBlob(admin, name, layer);
  const config = Buffer.from(
    JSON.stringify({
      created: new Date(Date.now() - daysAgo * DAY).toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: { Env: [`E2E_IMAGE=${name}:${tag}`] },
      rootfs: { type: 'layers', diff_ids: [digestOf(layer)] },
    }),
  );
  await pushBlob(admin, name, config);
  const { digest } = await pushManifest(admin, name, tag, MEDIA.manifest, {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: descriptor(MEDIA.config, config),
    layers: [descriptor('application/vnd.oci.image.layer.v1.tar', layer)],
  });
  return { digest, tag };
}

export const RETENTION_NAMESPACE = 'e2e-retention';

/**
 * `app`: v1…v5 created 5…1 days ago and `stable`, the oldest (10 days). `tools`: two images.
 * Keeping 2 per repository with tag `stable` protected deletes exactly v1, v2 and v3.
 */
export async function seedRetentionNamespace(admin: BerthClient) {
  const ns = RETENTION_NAMESPACE;
  await createNamespace(admin, ns);
  const app: Record<string, PushedImage> = {};
  app.stable = await pushImage(admin, `${ns}/app`, 'stable', 10);
  for (const [index, tag] of ['v1', 'v2', 'v3', 'v4', 'v5'].entries()) {
    app[tag] = await pushImage(admin, `${ns}/app`, tag, 5 - index);
  }
  await pushImage(admin, `${ns}/tools`, '1.0', 3);
  await pushImage(admin, `${ns}/tools`, '1.1', 2);
  return { namespace: ns, app, deleted: ['v1', 'v2', 'v3'], kept: ['v4', 'v5'] };
}

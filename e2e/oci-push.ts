import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildTar } from '../apps/server/src/seed/oci-content';
import type { BerthClient } from './auth';

/**
 * Content pushed through the real registry API the way a client pushes it (blobs, then
 * manifests), for journeys that need a particular shape: a multi-arch index with a signature.
 */

export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
  cosignSignature: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  cosignPayload: 'application/vnd.dev.cosign.simplesigning.v1+json',
} as const;

export interface Pushed {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export const digestOf = (bytes: Buffer) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
export const descriptor = (mediaType: string, bytes: Buffer) => ({
  mediaType,
  digest: digestOf(bytes),
  size: bytes.length,
});

export async function pushBlob(client: BerthClient, name: string, bytes: Buffer): Promise<void> {
  const response = await client.registry(
    `/v2/${name}/blobs/uploads/?digest=${encodeURIComponent(digestOf(bytes))}`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array(bytes),
    },
  );
  if (response.status !== 201) {
    throw new Error(`push blob to ${name}: ${response.status} ${await response.text()}`);
  }
}

export async function pushManifest(
  client: BerthClient,
  name: string,
  reference: string,
  mediaType: string,
  value: unknown,
): Promise<Pushed> {
  const bytes = Buffer.from(JSON.stringify(value));
  const response = await client.registry(`/v2/${name}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType },
    body: new Uint8Array(bytes),
  });
  if (response.status !== 201) {
    throw new Error(`push manifest to ${name}: ${response.status} ${await response.text()}`);
  }
  return { digest: digestOf(bytes), mediaType, bytes };
}

export interface PlatformSpec {
  architecture: string;
  variant?: string;
}

/** An image for one linux platform: a config that says how it runs, and one layer. */
async function pushPlatformImage(client: BerthClient, name: string, platform: PlatformSpec) {
  const config = Buffer.from(
    JSON.stringify({
      created: '2026-11-01T09:30:00Z',
      os: 'linux',
      ...platform,
      config: {
        User: 'app',
        WorkingDir: '/srv',
        Entrypoint: ['/srv/server'],
        Cmd: ['--port', '8080'],
        Env: ['PATH=/usr/bin:/bin', `BUILD_PLATFORM=${platform.architecture}`],
        ExposedPorts: { '8080/tcp': {} },
        Labels: { 'org.opencontainers.image.source': 'https://example.com/e2e/multiarch' },
      },
      rootfs: { type: 'layers', diff_ids: [] },
      history: [
        { created: '2026-11-01T09:29:00Z', created_by: 'COPY server /srv/server # buildkit' },
        {
          created: '2026-11-01T09:30:00Z',
          created_by: 'ENV PATH=/usr/bin:/bin',
          empty_layer: true,
        },
      ],
    }),
  );
  const layer = randomBytes(3000);
  await pushBlob(client, name, config);
  await pushBlob(client, name, layer);
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: descriptor(MEDIA.config, config),
    layers: [descriptor(MEDIA.layer, layer)],
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return pushManifest(client, name, digestOf(bytes), MEDIA.manifest, manifest);
}

/**
 * A multi-arch index (one image per platform) tagged `tag`, and a cosign-style signature that
 * names the index as its OCI 1.1 subject.
 */
export async function pushSignedIndex(
  client: BerthClient,
  name: string,
  tag: string,
  platforms: PlatformSpec[],
): Promise<{ index: Pushed; children: Pushed[]; signature: Pushed }> {
  const children: Pushed[] = [];
  for (const platform of platforms) children.push(await pushPlatformImage(client, name, platform));
  const index = await pushManifest(client, name, tag, MEDIA.index, {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: children.map((child, i) => ({
      mediaType: child.mediaType,
      digest: child.digest,
      size: child.bytes.length,
      platform: { os: 'linux', ...platforms[i] },
    })),
  });
  const empty = Buffer.from('{}');
  const payload = Buffer.from(
    JSON.stringify({ critical: { image: { 'docker-manifest-digest': index.digest } } }),
  );
  await pushBlob(client, name, empty);
  await pushBlob(client, name, payload);
  const signatureManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    artifactType: MEDIA.cosignSignature,
    config: descriptor(MEDIA.empty, empty),
    layers: [descriptor(MEDIA.cosignPayload, payload)],
    subject: { mediaType: MEDIA.index, digest: index.digest, size: index.bytes.length },
  };
  const signature = await pushManifest(
    client,
    name,
    digestOf(Buffer.from(JSON.stringify(signatureManifest))),
    MEDIA.manifest,
    signatureManifest,
  );
  return { index, children, signature };
}

/**
 * A one-layer image of a chosen size tagged `tag`: for quota journeys, where what counts is
 * how many bytes arrive. Its size as the registry counts it (manifest + config + layer).
 */
export async function pushSizedImage(
  client: BerthClient,
  name: string,
  tag: string,
  layerBytes: number,
): Promise<Pushed & { sizeBytes: number }> {
  const config = Buffer.from(
    JSON.stringify({ created: '2026-11-01T09:30:00Z', os: 'linux', architecture: 'amd64' }),
  );
  const layer = randomBytes(layerBytes);
  await pushBlob(client, name, config);
  await pushBlob(client, name, layer);
  const pushed = await pushManifest(client, name, tag, MEDIA.manifest, {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: descriptor(MEDIA.config, config),
    layers: [descriptor(MEDIA.layer, layer)],
  });
  return { ...pushed, sizeBytes: pushed.bytes.length + config.length + layer.length };
}

/** An image of one gzip layer holding these files, tagged `tag`: what a scan reads. */
export async function pushImageWithFiles(
  client: BerthClient,
  name: string,
  tag: string,
  files: Record<string, string | Buffer>,
): Promise<Pushed> {
  const tar = buildTar(
    Object.entries(files).map(([name, content]) => ({
      name,
      content: typeof content === 'string' ? Buffer.from(content) : content,
    })),
  );
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      created: '2026-11-01T09:30:00Z',
      os: 'linux',
      architecture: 'amd64',
      config: {},
      rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
    }),
  );
  await pushBlob(client, name, config);
  await pushBlob(client, name, layer);
  return pushManifest(client, name, tag, MEDIA.manifest, {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: descriptor(MEDIA.config, config),
    layers: [descriptor(MEDIA.layer, layer)],
  });
}

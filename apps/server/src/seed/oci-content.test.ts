import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  buildImage,
  buildIndex,
  buildLayer,
  buildSignature,
  type BuiltBlob,
  type BuiltManifest,
  MEDIA_TYPES,
} from './oci-content.js';

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface TarEntry {
  name: string;
  size: number;
  typeflag: string;
  content: Buffer;
}

/** A strict reader for what buildLayer writes: ustar headers with valid checksums. */
function parseTar(tar: Buffer): TarEntry[] {
  expect(tar.length % 512).toBe(0);
  const entries: TarEntry[] = [];
  let offset = 0;
  for (;;) {
    const header = tar.subarray(offset, offset + 512);
    expect(header.length).toBe(512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    expect(parseInt(field(148, 8).trim(), 8)).toBe(sum);
    expect(header.toString('latin1', 257, 263)).toBe('ustar\0');
    expect(header.toString('latin1', 263, 265)).toBe('00');
    const size = parseInt(field(124, 12), 8);
    const content = tar.subarray(offset + 512, offset + 512 + size);
    expect(content.length).toBe(size);
    entries.push({ name: field(0, 100), size, typeflag: field(156, 1), content });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  // The archive ends with two zero blocks.
  expect(tar.subarray(offset).length).toBeGreaterThanOrEqual(1024);
  expect(tar.subarray(offset).every((b) => b === 0)).toBe(true);
  return entries;
}

function json(item: { bytes: Buffer }): Record<string, unknown> {
  return JSON.parse(item.bytes.toString('utf8')) as Record<string, unknown>;
}

function expectDigestsMatch(manifest: BuiltManifest): void {
  expect(manifest.digest).toBe(sha256(manifest.bytes));
  const blobs: BuiltBlob[] = [...(manifest.config ? [manifest.config] : []), ...manifest.layers];
  for (const blob of blobs) expect(blob.digest).toBe(sha256(blob.bytes));
  for (const child of manifest.children) expectDigestsMatch(child);
}

const created = new Date('2026-07-01T12:34:56.000Z');

describe('buildLayer', () => {
  it('produces a gzip-compressed tar of regular files near the requested size', () => {
    for (const [seed, size] of [
      ['small', 1000],
      ['medium', 40 * 1024],
      ['base', 512 * 1024],
    ] as const) {
      const layer = buildLayer(seed, size);
      expect(layer.mediaType).toBe(MEDIA_TYPES.layer);
      expect(layer.digest).toBe(sha256(layer.bytes));
      const entries = parseTar(gunzipSync(layer.bytes));
      expect(entries.length).toBeGreaterThanOrEqual(1);
      expect(entries.length).toBeLessThanOrEqual(2);
      for (const entry of entries) expect(entry.typeflag).toBe('0');
      const total = entries.reduce((n, e) => n + e.size, 0);
      expect(total).toBe(size);
      // Random content does not compress, so the blob is about as big as asked.
      expect(layer.bytes.length).toBeGreaterThan(size * 0.9);
    }
  });

  it('is deterministic and seed-sensitive', () => {
    expect(buildLayer('a', 5000).bytes.equals(buildLayer('a', 5000).bytes)).toBe(true);
    expect(buildLayer('a', 5000).digest).not.toBe(buildLayer('b', 5000).digest);
  });
});

describe('buildImage', () => {
  const base = buildLayer('base', 64 * 1024);
  const app = buildLayer('app', 4 * 1024);
  const image = buildImage({
    seed: 'image-1',
    created,
    layers: [base, app],
    labels: { 'org.opencontainers.image.version': '1.4.2' },
  });

  it('writes a valid OCI image manifest whose digests are the sha256 of the bytes', () => {
    expectDigestsMatch(image);
    expect(image.mediaType).toBe(MEDIA_TYPES.manifest);
    expect(image.artifactType).toBeNull();
    expect(image.subject).toBeNull();
    expect(image.createdAt).toBe(created.getTime());
    expect(json(image)).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: {
        mediaType: MEDIA_TYPES.config,
        digest: image.config!.digest,
        size: image.config!.bytes.length,
      },
      layers: [base, app].map((l) => ({
        mediaType: MEDIA_TYPES.layer,
        digest: l.digest,
        size: l.bytes.length,
      })),
      annotations: { 'org.opencontainers.image.created': created.toISOString() },
    });
  });

  it('writes a config with created, platform, Env/Cmd and diff_ids of the uncompressed tars', () => {
    const config = json(image.config!) as {
      created: string;
      architecture: string;
      os: string;
      config: { Env: string[]; Cmd: string[]; Labels: Record<string, string> };
      rootfs: { type: string; diff_ids: string[] };
      history: unknown[];
    };
    expect(image.config!.mediaType).toBe(MEDIA_TYPES.config);
    expect(config.created).toBe(created.toISOString());
    expect(config.architecture).toBe('amd64');
    expect(config.os).toBe('linux');
    expect(config.config.Env.some((e) => e.startsWith('PATH='))).toBe(true);
    expect(config.config.Cmd.length).toBeGreaterThan(0);
    expect(config.config.Labels).toEqual({ 'org.opencontainers.image.version': '1.4.2' });
    expect(config.rootfs).toEqual({
      type: 'layers',
      diff_ids: [base, app].map((l) => sha256(gunzipSync(l.bytes))),
    });
    expect(config.history).toHaveLength(2);
  });

  it('computes diff_ids for layers it did not build', () => {
    const foreign = { ...app, bytes: Buffer.from(app.bytes) };
    const other = buildImage({ seed: 'image-2', created, layers: [foreign] });
    const config = json(other.config!) as { rootfs: { diff_ids: string[] } };
    expect(config.rootfs.diff_ids).toEqual([sha256(gunzipSync(app.bytes))]);
  });

  it('is deterministic, and distinct per seed even with identical layers and time', () => {
    const again = buildImage({
      seed: 'image-1',
      created,
      layers: [base, app],
      labels: { 'org.opencontainers.image.version': '1.4.2' },
    });
    expect(again.bytes.equals(image.bytes)).toBe(true);
    expect(again.config!.bytes.equals(image.config!.bytes)).toBe(true);
    const sibling = buildImage({ seed: 'image-3', created, layers: [base, app] });
    expect(sibling.digest).not.toBe(image.digest);
  });

  it('leaves platform null unless asked for one', () => {
    expect(image.platform).toBeNull();
    const arm = buildImage({
      seed: 'arm',
      created,
      layers: [app],
      platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
    });
    expect(arm.platform).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(json(arm.config!)).toMatchObject({ os: 'linux', architecture: 'arm', variant: 'v7' });
  });
});

describe('buildIndex', () => {
  const platforms = [
    { os: 'linux', architecture: 'amd64', variant: null },
    { os: 'linux', architecture: 'arm64', variant: null },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
  ];
  const children = platforms.map((platform, i) =>
    buildImage({
      seed: `child-${i}`,
      created: new Date(created.getTime() + i * 1000),
      layers: [buildLayer(`child-layer-${i}`, 2048)],
      platform,
    }),
  );
  const index = buildIndex(children);

  it('lists every child with its platform', () => {
    expectDigestsMatch(index);
    expect(index.mediaType).toBe(MEDIA_TYPES.index);
    expect(index.config).toBeNull();
    expect(index.layers).toEqual([]);
    expect(index.children.map((c) => c.digest)).toEqual(children.map((c) => c.digest));
    expect(index.children.map((c) => c.platform)).toEqual(platforms);
    const body = json(index) as {
      schemaVersion: number;
      mediaType: string;
      manifests: { mediaType: string; digest: string; size: number; platform: unknown }[];
    };
    expect(body.schemaVersion).toBe(2);
    expect(body.mediaType).toBe(MEDIA_TYPES.index);
    expect(body.manifests).toEqual([
      {
        mediaType: MEDIA_TYPES.manifest,
        digest: children[0]!.digest,
        size: children[0]!.bytes.length,
        platform: { architecture: 'amd64', os: 'linux' },
      },
      {
        mediaType: MEDIA_TYPES.manifest,
        digest: children[1]!.digest,
        size: children[1]!.bytes.length,
        platform: { architecture: 'arm64', os: 'linux' },
      },
      {
        mediaType: MEDIA_TYPES.manifest,
        digest: children[2]!.digest,
        size: children[2]!.bytes.length,
        platform: { architecture: 'arm', os: 'linux', variant: 'v7' },
      },
    ]);
  });

  it('takes its created time from the newest child', () => {
    expect(index.createdAt).toBe(created.getTime() + 2000);
  });

  it('reads the platform from the config of a child built without one', () => {
    const plain = buildImage({ seed: 'plain', created, layers: [] });
    expect(buildIndex([plain]).children[0]!.platform).toEqual({
      os: 'linux',
      architecture: 'amd64',
      variant: null,
    });
  });

  it('is deterministic', () => {
    expect(buildIndex(children).bytes.equals(index.bytes)).toBe(true);
  });
});

describe('buildSignature', () => {
  const image = buildImage({ seed: 'signed', created, layers: [buildLayer('s', 1024)] });
  const signature = buildSignature(image, 'sig-1');

  it('is an OCI 1.1 artifact manifest whose subject is the image', () => {
    expectDigestsMatch(signature);
    expect(signature.subject).toBe(image.digest);
    expect(signature.artifactType).toBe(MEDIA_TYPES.cosignSignature);
    expect(signature.mediaType).toBe(MEDIA_TYPES.manifest);
    expect(signature.config).toMatchObject({ mediaType: MEDIA_TYPES.empty });
    expect(signature.config!.bytes.toString()).toBe('{}');
    expect(signature.layers).toHaveLength(1);
    const body = json(signature) as {
      artifactType: string;
      config: { mediaType: string; digest: string; size: number };
      layers: { digest: string; annotations: Record<string, string> }[];
      subject: { mediaType: string; digest: string; size: number };
    };
    expect(body.artifactType).toBe(MEDIA_TYPES.cosignSignature);
    expect(body.config).toEqual({
      mediaType: MEDIA_TYPES.empty,
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
    });
    expect(body.subject).toEqual({
      mediaType: MEDIA_TYPES.manifest,
      digest: image.digest,
      size: image.bytes.length,
    });
    expect(body.layers[0]!.digest).toBe(signature.layers[0]!.digest);
    expect(body.layers[0]!.annotations['dev.cosignproject.cosign/signature']).toMatch(
      /^[A-Za-z0-9+/]+=*$/,
    );
    expect(json(signature.layers[0]!)).toMatchObject({
      critical: { image: { 'docker-manifest-digest': image.digest } },
    });
  });

  it('is deterministic and differs per seed', () => {
    expect(buildSignature(image, 'sig-1').bytes.equals(signature.bytes)).toBe(true);
    expect(buildSignature(image, 'sig-2').digest).not.toBe(signature.digest);
  });
});

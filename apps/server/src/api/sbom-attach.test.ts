import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SBOM_ARTIFACT_TYPE, apiPaths } from '@berth/contract';
import {
  MEDIA_TYPES,
  buildImage,
  buildIndex,
  sha256Digest,
  type BuiltBlob,
  type BuiltManifest,
} from '../seed/oci-content.js';
import { writeLayout } from '../testing/oci-layout.js';
import { DEBIAN_12_OS_RELEASE, dpkgStatus, layerOf } from '../testing/scan-fixtures.js';
import { hasSkopeo, inspectRaw, pushLayout } from '../testing/skopeo.js';
import { addAccount, signIn } from '../testing/accounts.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import { binary } from '../testing/registry-client.js';

/*
 * The inventory of a scan attached to its image as an OCI 1.1 referrer: skopeo pushes images,
 * the scanner reads them, and the attached SBOM is then read back the way clients read it, over
 * /v2 (the referrers API, the manifest, the blob) and with skopeo.
 */
const CREATED = new Date('2024-05-01T00:00:00Z');
const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

const debian = (packages: [string, string][]) =>
  layerOf([
    { name: 'etc/os-release', content: DEBIAN_12_OS_RELEASE },
    { name: 'var/lib/dpkg/status', content: dpkgStatus(packages) },
  ]);
/** Compressed, but not a tar: the scan of an image with this layer fails. */
const garbage = (() => {
  const bytes = gzipSync(Buffer.from('not a tar archive. '.repeat(100)));
  return { mediaType: MEDIA_TYPES.layer, digest: sha256Digest(bytes), bytes } as BuiltBlob;
})();

interface ReferrerIndex {
  manifests: {
    digest: string;
    mediaType: string;
    artifactType?: string;
    annotations?: Record<string, string>;
  }[];
}

function harness() {
  const h = {
    server: undefined as unknown as TestServer,
    work: '',
    host: '',
    creds: () => ({ creds: `${ADMIN.username}:${h.server.adminKey}` }),
    async start(env: Record<string, string> = {}) {
      h.server = await startTestServer({ env: { BERTH_SCAN_POLL_MS: '100', ...env } });
      h.host = h.server.url.replace('http://', '');
      h.work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-sbom-'));
      await h.server
        .api()
        .post(apiPaths.namespaces())
        .send({ name: 'demo-shop', region: 'local' })
        .expect(201);
    },
    async stop() {
      await h.server?.stop();
      if (h.work) fs.rmSync(h.work, { recursive: true, force: true });
    },
    async push(manifest: BuiltManifest, repository: string, tag: string) {
      const layout = path.join(h.work, `${repository}-${tag}-${manifest.digest.slice(7, 19)}`);
      writeLayout(layout, [{ manifest, ref: tag }]);
      await pushLayout(layout, tag, `${h.host}/demo-shop/${repository}:${tag}`, {
        ...h.creds(),
        all: manifest.children.length > 0,
      });
      await h.server.services.scanner.idle();
    },
    attach: (repository: string, digest: string) =>
      h.server.api().post(apiPaths.imageSbomAttach('demo-shop', repository, digest)),
    async scan(repository: string, digest: string) {
      return (
        await h.server
          .api()
          .get(apiPaths.imageScan('demo-shop', repository, digest))
          .expect(200)
      ).body;
    },
    async referrers(repository: string, digest: string, artifactType = SBOM_ARTIFACT_TYPE) {
      const res = await h.server
        .api()
        .get(`/v2/demo-shop/${repository}/referrers/${digest}`)
        .query({ artifactType })
        .expect(200);
      return res.body as ReferrerIndex;
    },
    /** A /v2 body as the bytes sent: superagent would parse a JSON media type. */
    async bytes(url: string, accept?: string): Promise<Buffer> {
      const req = h.server.api().get(url);
      if (accept) req.set('Accept', accept);
      const res = await req.buffer(true).parse(binary).expect(200);
      return Buffer.from(res.body as Buffer);
    },
    async rescan(repository: string, digest: string) {
      h.server.clock.advance(60_000);
      await h.server
        .api()
        .post(apiPaths.imageScan('demo-shop', repository, digest))
        .expect(202);
      await h.server.services.scanner.idle();
    },
    /** The rows a push or a delete changes: manifests, tags, blobs and their links. */
    async registryRows() {
      const db = h.server.store.db;
      return JSON.stringify([
        await db
          .selectFrom('manifests')
          .select(['digest', 'state', 'subject_digest'])
          .orderBy('digest')
          .execute(),
        await db.selectFrom('blobs').select('digest').orderBy('digest').execute(),
        await db
          .selectFrom('repository_blobs')
          .select(['repository_id', 'digest'])
          .orderBy('repository_id')
          .orderBy('digest')
          .execute(),
        h.server.blobFiles().sort(),
      ]);
    },
  };
  return h;
}

describe.skipIf(!hasSkopeo())('attaching the inventory as an OCI referrer', () => {
  const h = harness();
  let image: BuiltManifest;
  let firstSbom = '';

  beforeAll(async () => {
    await h.start();
    image = buildImage({
      seed: 'sbom-web',
      created: CREATED,
      layers: [
        debian([
          ['libssl3', '3.0.13-1~deb12u1'],
          ['zlib1g', '1:1.2.13.dfsg-1'],
        ]),
      ],
    });
    await h.push(image, 'web', 'v1');
  });
  afterAll(() => h.stop());

  it('pushes the newest result as a referrer that the registry lists and serves byte for byte', async () => {
    const res = await h.attach('web', image.digest).expect(200);
    const scan = await h.scan('web', image.digest);
    expect(res.body).toEqual({
      artifactType: SBOM_ARTIFACT_TYPE,
      attached: [
        {
          subject: image.digest,
          platform: null,
          digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
          generatedAt: scan.result.generatedAt,
          unchanged: false,
          replaced: [],
        },
      ],
      skipped: [],
    });
    firstSbom = res.body.attached[0].digest;
    expect(scan.attachedSbom).toEqual({
      digest: firstSbom,
      generatedAt: scan.result.generatedAt,
    });

    // The referrers API lists it under its artifact type, with Berth's annotations.
    const listed = await h.referrers('web', image.digest);
    expect(listed.manifests).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: firstSbom,
        size: expect.any(Number),
        artifactType: SBOM_ARTIFACT_TYPE,
        annotations: {
          'org.opencontainers.image.created': scan.result.generatedAt,
          'dev.berth.scan.generated': scan.result.generatedAt,
        },
      },
    ]);
    expect((await h.referrers('web', image.digest, 'application/spdx+json')).manifests).toEqual([]);

    // The manifest: an OCI 1.1 artifact with the empty config, one CycloneDX layer, the image
    // as its subject. skopeo reads the same bytes.
    const manifestBytes = await h.bytes(
      `/v2/demo-shop/web/manifests/${firstSbom}`,
      'application/vnd.oci.image.manifest.v1+json',
    );
    expect(sha256Digest(manifestBytes)).toBe(firstSbom);
    const manifest = JSON.parse(manifestBytes.toString('utf8'));
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: SBOM_ARTIFACT_TYPE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_DIGEST, size: 2 },
      subject: { mediaType: image.mediaType, digest: image.digest, size: image.bytes.length },
    });
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0].mediaType).toBe(SBOM_ARTIFACT_TYPE);
    const raw = await inspectRaw(`${h.host}/demo-shop/web@${firstSbom}`, h.creds());
    expect(raw.equals(manifestBytes)).toBe(true);

    // The layer blob is the document GET …/scan/sbom gives, byte for byte.
    const blob = await h.bytes(`/v2/demo-shop/web/blobs/${manifest.layers[0].digest}`);
    const document = await h.server
      .api()
      .get(apiPaths.imageSbom('demo-shop', 'web', image.digest))
      .expect(200);
    expect(blob.toString('utf8')).toBe(document.text);
    expect(manifest.layers[0].size).toBe(Buffer.byteLength(document.text));
    const bom = JSON.parse(document.text);
    expect(bom.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(bom.metadata.timestamp).toBe(scan.result.generatedAt);
    await h.server.api().get(`/v2/demo-shop/web/blobs/${EMPTY_DIGEST}`).expect(200);

    // The images list and the image page show it as the image's SBOM.
    const list = (await h.server.api().get(apiPaths.images('demo-shop', 'web')).expect(200)).body;
    expect(list.items).toHaveLength(1);
    expect(list.items[0].referrers).toEqual([
      expect.objectContaining({
        digest: firstSbom,
        artifactType: SBOM_ARTIFACT_TYPE,
        kind: 'referrer',
        type: 'sbom',
      }),
    ]);
    const details = (
      await h.server
        .api()
        .get(apiPaths.image('demo-shop', 'web', image.digest))
        .expect(200)
    ).body;
    expect(details.referrers).toEqual([
      expect.objectContaining({ digest: firstSbom, type: 'sbom' }),
    ]);

    const audit = await h.server.store.db
      .selectFrom('audit_events')
      .select(['actor', 'action', 'target', 'outcome'])
      .where('action', '=', 'image.sbom.attach')
      .execute();
    expect(audit).toEqual([
      {
        // The admin's API key, as for any other change it makes.
        actor: expect.stringMatching(new RegExp(`^key:${ADMIN.username}/`)),
        action: 'image.sbom.attach',
        target: `demo-shop/web@${image.digest}`,
        outcome: 'success',
      },
    ]);
  });

  it('changes nothing when attached again from the same result, and replaces it after a rescan', async () => {
    const before = await h.registryRows();
    // Later, but from the same result: the bytes come from the result, not the clock.
    h.server.clock.advance(60_000);
    const again = await h.attach('web', image.digest).expect(200);
    expect(again.body.attached[0]).toMatchObject({
      digest: firstSbom,
      unchanged: true,
      replaced: [],
    });
    expect(await h.registryRows()).toBe(before);

    await h.rescan('web', image.digest);
    const replaced = await h.attach('web', image.digest).expect(200);
    const second = replaced.body.attached[0];
    expect(second.digest).not.toBe(firstSbom);
    expect(second).toMatchObject({ unchanged: false, replaced: [firstSbom] });
    expect((await h.referrers('web', image.digest)).manifests.map((m) => m.digest)).toEqual([
      second.digest,
    ]);
    // The older one went to the trash, where it can be restored from for 30 days.
    await h.server.api().get(`/v2/demo-shop/web/manifests/${firstSbom}`).expect(404);
    const trash = (await h.server.api().get(apiPaths.trash('demo-shop')).expect(200)).body;
    expect(trash.items.map((t: { digest: string }) => t.digest)).toContain(firstSbom);
    firstSbom = second.digest;
  });

  it('refuses an image without a usable result (409), readers (403) and bad names, changing nothing', async () => {
    const broken = buildImage({ seed: 'sbom-broken', created: CREATED, layers: [garbage] });
    await h.push(broken, 'broken', 'v1');
    const viewer = await addAccount(h.server, 'rita', { namespaces: { 'demo-shop': 'viewer' } });
    const rita = await signIn(h.server.url, viewer.username, viewer.password);

    const unchanged = await h.server.dump();
    const failed = await h.attach('broken', broken.digest).expect(409);
    expect(failed.body.error.code).toBe('NO_SCAN_RESULT');
    expect(failed.body.error.message).toContain(`the newest scan of ${broken.digest} failed`);
    // The SBOM artifact itself is a manifest no scan reads.
    const never = await h.attach('web', firstSbom).expect(409);
    expect(never.body.error.message).toContain(`${firstSbom} has no scan result yet`);
    const missing = await h.attach('web', `sha256:${'0'.repeat(64)}`).expect(404);
    expect(missing.body.error.code).toBe('IMAGE_NOT_FOUND');
    const bad = await h.attach('web', 'sha256:nope').expect(400);
    expect(bad.body.error.code).toBe('INVALID_DIGEST');
    await h.server
      .api()
      .post(apiPaths.imageSbomAttach('demo-shop', 'nowhere', image.digest))
      .expect(404);
    const reader = await rita.agent
      .post(apiPaths.imageSbomAttach('demo-shop', 'web', image.digest))
      .expect(403);
    expect(reader.body.error.code).toBe('FORBIDDEN');
    // Nothing was pushed, deleted or recorded as done.
    const attempts = await h.server.store.db
      .selectFrom('audit_events')
      .select('outcome')
      .where('action', '=', 'image.sbom.attach')
      .where('outcome', '=', 'success')
      .execute();
    expect(attempts).toHaveLength(2 + 1);
    expect(await h.server.dump()).toBe(unchanged);
  });

  it('refuses to attach past the namespace quota, storing nothing', async () => {
    await h.rescan('web', image.digest);
    const ns = (await h.server.api().get(apiPaths.namespace('demo-shop')).expect(200)).body;
    await h.server
      .api()
      .patch(apiPaths.namespace('demo-shop'))
      .send({ quotaBytes: ns.sizeBytes })
      .expect(200);
    const before = await h.registryRows();
    const full = await h.attach('web', image.digest).expect(409);
    expect(full.body.error.code).toBe('QUOTA_EXCEEDED');
    expect(await h.registryRows()).toBe(before);
    const failure = await h.server.store.db
      .selectFrom('audit_events')
      .select(['outcome', 'details'])
      .where('action', '=', 'image.sbom.attach')
      .where('outcome', '=', 'failure')
      .execute();
    expect(failure).toHaveLength(1);
    await h.server
      .api()
      .patch(apiPaths.namespace('demo-shop'))
      .send({ quotaBytes: null })
      .expect(200);
    const attached = await h.attach('web', image.digest).expect(200);
    expect(attached.body.attached[0].replaced).toEqual([firstSbom]);
    firstSbom = attached.body.attached[0].digest;
  });

  it('goes to the trash with its image and comes back when the image is restored', async () => {
    await h.server
      .api()
      .post(apiPaths.imagesDelete('demo-shop'))
      .send({ images: [{ repository: 'web', digest: image.digest }] })
      .expect((res) => expect([200, 202]).toContain(res.status));
    await h.server.api().get(`/v2/demo-shop/web/manifests/${firstSbom}`).expect(404);
    expect((await h.referrers('web', image.digest)).manifests).toEqual([]);
    const trashed = await h.attach('web', image.digest).expect(404);
    expect(trashed.body.error.message).toContain('is in the trash');

    await h.server
      .api()
      .post(apiPaths.trashRestore('demo-shop'))
      .send({ repository: 'web', digest: image.digest })
      .expect(200);
    await h.server.api().get(`/v2/demo-shop/web/manifests/${firstSbom}`).expect(200);
    expect((await h.referrers('web', image.digest)).manifests.map((m) => m.digest)).toEqual([
      firstSbom,
    ]);
  });

  it('attaches one SBOM per platform of an index, each about its platform image', async () => {
    const amd64 = buildImage({
      seed: 'sbom-amd64',
      created: CREATED,
      layers: [debian([['libssl3', '3.0.13-1~deb12u1']])],
      platform: { os: 'linux', architecture: 'amd64' },
    });
    const arm64 = buildImage({
      seed: 'sbom-arm64',
      created: CREATED,
      layers: [garbage],
      platform: { os: 'linux', architecture: 'arm64' },
    });
    const index = buildIndex([amd64, arm64]);
    await h.push(index, 'multi', 'v1');

    const res = await h.attach('multi', index.digest).expect(200);
    expect(res.body.attached).toEqual([
      expect.objectContaining({ subject: amd64.digest, platform: 'linux/amd64', replaced: [] }),
    ]);
    // The arm64 image's layer cannot be read: it is skipped, and said so.
    expect(res.body.skipped).toEqual([
      {
        subject: arm64.digest,
        platform: 'linux/arm64',
        reason: expect.stringContaining(`the newest scan of ${arm64.digest} failed`),
      },
    ]);
    const sbom = res.body.attached[0].digest;
    expect((await h.referrers('multi', amd64.digest)).manifests.map((m) => m.digest)).toEqual([
      sbom,
    ]);
    expect((await h.referrers('multi', index.digest)).manifests).toEqual([]);
    const manifest = JSON.parse(
      (await inspectRaw(`${h.host}/demo-shop/multi@${sbom}`, h.creds())).toString('utf8'),
    );
    expect(manifest.subject.digest).toBe(amd64.digest);
    const scan = await h.scan('multi', index.digest);
    expect(
      scan.platforms.map((p: { attachedSbom: { digest: string } | null }) => p.attachedSbom),
    ).toEqual([expect.objectContaining({ digest: sbom }), null]);
  });
});

describe.skipIf(!hasSkopeo())('BERTH_SCAN_ATTACH_SBOM', () => {
  const h = harness();
  afterAll(() => h.stop());

  it('attaches the inventory after each successful scan of a live image', async () => {
    await h.start({ BERTH_SCAN_ATTACH_SBOM: 'true' });
    const image = buildImage({
      seed: 'sbom-auto',
      created: CREATED,
      layers: [debian([['bash', '5.2.15-2+b2']])],
    });
    await h.push(image, 'auto', 'v1');
    const first = await h.referrers('auto', image.digest);
    expect(first.manifests).toHaveLength(1);
    const scan = await h.scan('auto', image.digest);
    expect(scan.attachedSbom).toEqual({
      digest: first.manifests[0]!.digest,
      generatedAt: scan.result.generatedAt,
    });

    await h.rescan('auto', image.digest);
    const second = await h.referrers('auto', image.digest);
    expect(second.manifests).toHaveLength(1);
    expect(second.manifests[0]!.digest).not.toBe(first.manifests[0]!.digest);
    const audit = await h.server.store.db
      .selectFrom('audit_events')
      .select(['actor', 'outcome'])
      .where('action', '=', 'image.sbom.attach')
      .execute();
    expect(audit).toEqual([
      { actor: 'system:scanner', outcome: 'success' },
      { actor: 'system:scanner', outcome: 'success' },
    ]);

    // A failed scan attaches nothing.
    const broken = buildImage({ seed: 'sbom-auto-broken', created: CREATED, layers: [garbage] });
    await h.push(broken, 'auto', 'broken');
    expect((await h.referrers('auto', broken.digest)).manifests).toEqual([]);
  });

  it('is off by default', async () => {
    const off = harness();
    await off.start();
    try {
      const image = buildImage({
        seed: 'sbom-off',
        created: CREATED,
        layers: [debian([['bash', '5.2.15-2+b2']])],
      });
      await off.push(image, 'off', 'v1');
      expect((await off.referrers('off', image.digest)).manifests).toEqual([]);
    } finally {
      await off.stop();
    }
  });
});

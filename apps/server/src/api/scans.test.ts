import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import {
  MEDIA_TYPES,
  buildImage,
  buildIndex,
  sha256Digest,
  type BuiltBlob,
  type BuiltManifest,
} from '../seed/oci-content.js';
import { writeLayout } from '../testing/oci-layout.js';
import {
  DEBIAN_ADVISORIES,
  DEBIAN_LAYERS,
  dpkgStatus,
  imageWithDiffIds,
  importRecords,
  layerOf,
  osvRecord,
} from '../testing/scan-fixtures.js';
import { hasSkopeo, pushLayout } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * Vulnerability scans end to end: skopeo pushes an image whose layers hold a Debian package
 * database, the push queues a scan, the scanner reads the layers from storage and matches the
 * packages against imported OSV advisories; results are kept their 30 days, re-matched while
 * the image lives, and outlive it in the trash until they expire.
 */
const DAY = 86_400_000;

const { base, upgrade } = DEBIAN_LAYERS;

let server: TestServer;
let work: string;
let host: string;
let image: BuiltManifest;
const creds = () => ({ creds: `${ADMIN.username}:${server.adminKey}` });

async function push(manifest: BuiltManifest, repository: string, tag: string) {
  const layout = path.join(work, `${repository}-${tag}`);
  writeLayout(layout, [{ manifest, ref: tag }]);
  await pushLayout(layout, tag, `${host}/demo-shop/${repository}:${tag}`, {
    ...creds(),
    all: manifest.children.length > 0,
  });
}

const scanOf = async (repository: string, digest: string) =>
  (
    await server
      .api()
      .get(apiPaths.imageScan('demo-shop', repository, digest))
      .expect(200)
  ).body;
const findingsOf = async (repository: string, digest: string, query = '') =>
  (
    await server
      .api()
      .get(`${apiPaths.imageFindings('demo-shop', repository, digest)}${query}`)
      .expect(200)
  ).body;

describe.skipIf(!hasSkopeo())('vulnerability scans', () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { BERTH_SCAN_POLL_MS: '100' } });
    host = server.url.replace('http://', '');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scans-'));
    await server
      .api()
      .post(apiPaths.namespaces())
      .send({ name: 'demo-shop', region: 'local' })
      .expect(201);
    await importRecords(server, ...DEBIAN_ADVISORIES);
    image = buildImage({
      seed: 'scan-me',
      created: new Date('2024-05-01T00:00:00Z'),
      layers: [base, upgrade],
    });
    await push(image, 'web', 'v1');
    await server.services.scanner.idle();
  });
  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('scans a pushed image in the background and lists what it found, by layer', async () => {
    const scan = await scanOf('web', image.digest);
    expect(scan).toEqual({
      digest: image.digest,
      queued: false,
      platforms: [],
      attachedSbom: null,
      result: {
        digest: image.digest,
        generatedAt: new Date(server.clock.now).toISOString(),
        expiresAt: new Date(server.clock.now + 30 * DAY).toISOString(),
        status: 'complete',
        error: null,
        distro: 'debian 12',
        packages: 2,
        critical: 1,
        high: 0,
        medium: 1,
        low: 0,
        unknown: 0,
        fixable: 1,
        notes: [],
      },
    });
    const findings = await findingsOf('web', image.digest);
    expect(findings.total).toBe(2);
    expect(findings.items).toEqual([
      {
        advisoryId: 'DSA-9001-1',
        severity: 'critical',
        score: 9.8,
        summary: 'openssl: DSA-9001-1',
        fixed: '3.0.14-1~deb12u1',
        package: expect.objectContaining({
          type: 'deb',
          name: 'libssl3',
          version: '3.0.13-1~deb12u1',
          layer: upgrade.digest,
          path: 'var/lib/dpkg/status',
        }),
      },
      {
        advisoryId: 'DLA-9002-1',
        severity: 'medium',
        score: 5.5,
        summary: 'zlib: DLA-9002-1',
        fixed: null,
        package: expect.objectContaining({
          name: 'zlib1g',
          version: '1:1.2.13.dfsg-1',
          layer: base.digest,
        }),
      },
    ]);
    const critical = await findingsOf('web', image.digest, '?severity=critical');
    expect(critical.items.map((f: { advisoryId: string }) => f.advisoryId)).toEqual(['DSA-9001-1']);
    const searched = await findingsOf('web', image.digest, '?q=ZLIB1G');
    expect(searched.items.map((f: { advisoryId: string }) => f.advisoryId)).toEqual(['DLA-9002-1']);
  });

  it('exports the findings as CSV and the inventory as CycloneDX JSON', async () => {
    const csv = await server.api().get(apiPaths.imageFindingsCsv('demo-shop', 'web', image.digest));
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.text.split('\r\n')).toEqual([
      'advisory,severity,score,package,type,installed,fixed,purl,layer,path,summary',
      `DSA-9001-1,critical,9.8,libssl3,deb,3.0.13-1~deb12u1,3.0.14-1~deb12u1,pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64&distro=debian-12,${upgrade.digest},var/lib/dpkg/status,openssl: DSA-9001-1`,
      `DLA-9002-1,medium,5.5,zlib1g,deb,1:1.2.13.dfsg-1,,pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12,${base.digest},var/lib/dpkg/status,zlib: DLA-9002-1`,
      '',
    ]);

    const sbom = await server.api().get(apiPaths.imageSbom('demo-shop', 'web', image.digest));
    expect(sbom.status).toBe(200);
    expect(sbom.headers['content-type']).toBe('application/vnd.cyclonedx+json; charset=utf-8');
    const bom = JSON.parse(sbom.text);
    expect(bom).toMatchObject({
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      metadata: {
        component: { type: 'container', name: 'demo-shop/web', version: image.digest },
      },
    });
    const libssl = bom.components.find((c: { name: string }) => c.name === 'libssl3');
    expect(libssl).toMatchObject({
      type: 'library',
      version: '3.0.13-1~deb12u1',
      purl: 'pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64&distro=debian-12',
    });
    expect(libssl.properties).toEqual(
      expect.arrayContaining([
        { name: 'berth:layer', value: upgrade.digest },
        { name: 'berth:path', value: 'var/lib/dpkg/status' },
        { name: 'berth:source', value: 'openssl@3.0.13-1~deb12u1' },
      ]),
    );
    expect(
      bom.components.find((c: { type: string }) => c.type === 'operating-system'),
    ).toMatchObject({
      name: 'debian',
      version: '12',
    });

    const unscanned = await server
      .api()
      .get(apiPaths.imageSbom('demo-shop', 'web', `sha256:${'1'.repeat(64)}`));
    expect(unscanned.status).toBe(404);
    const bad = await server
      .api()
      .get(`${apiPaths.imageFindingsCsv('demo-shop', 'web', image.digest)}?colour=red`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_REQUEST');
  });

  it('rescans on request, audited; refuses bad input with clear errors, changing nothing', async () => {
    const before = await server.store.db.selectFrom('scan_results').select('id').execute();
    server.clock.advance(60_000);
    const queued = await server
      .api()
      .post(apiPaths.imageScan('demo-shop', 'web', image.digest))
      .expect(202);
    expect(queued.body).toEqual({ queued: 1 });
    await server.services.scanner.idle();
    expect((await scanOf('web', image.digest)).result.generatedAt).toBe(
      new Date(server.clock.now).toISOString(),
    );
    const after = await server.store.db.selectFrom('scan_results').select('id').execute();
    expect(after.length).toBe(before.length + 1);
    const audit = await server.store.db
      .selectFrom('audit_events')
      .select(['action', 'target', 'outcome'])
      .where('action', '=', 'image.scan')
      .execute();
    expect(audit).toEqual([
      { action: 'image.scan', target: `demo-shop/web@${image.digest}`, outcome: 'success' },
    ]);

    const unchanged = await server.dump();
    const missing = await server
      .api()
      .post(apiPaths.imageScan('demo-shop', 'web', `sha256:${'0'.repeat(64)}`))
      .expect(404);
    expect(missing.body.error.code).toBe('IMAGE_NOT_FOUND');
    const badDigest = await server.api().get(apiPaths.imageScan('demo-shop', 'web', 'sha256:nope'));
    expect(badDigest.status).toBe(400);
    for (const query of ['?severity=dire', '?limit=0', '?limit=201', '?offset=-1', '?colour=red']) {
      const bad = await server
        .api()
        .get(`${apiPaths.imageFindings('demo-shop', 'web', image.digest)}${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.error.code, query).toBe('INVALID_REQUEST');
    }
    expect(await server.dump()).toBe(unchanged);
  });

  it('holds a scan back while the process receives a push, and finishes it after', async () => {
    const endPush = server.services.pushActivity.begin();
    server.clock.advance(60_000);
    await server
      .api()
      .post(apiPaths.imageScan('demo-shop', 'web', image.digest))
      .expect(202);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const held = await scanOf('web', image.digest);
    expect(held.queued).toBe(true);
    expect(held.result.generatedAt).not.toBe(new Date(server.clock.now).toISOString());
    endPush();
    await server.services.scanner.idle();
    const done = await scanOf('web', image.digest);
    expect(done.queued).toBe(false);
    expect(done.result.generatedAt).toBe(new Date(server.clock.now).toISOString());
  });

  it('fails the scan of an image whose layer is not a readable tar, saying which and why', async () => {
    const garbage = Buffer.from('this is not gzip at all');
    const broken: BuiltBlob = {
      mediaType: MEDIA_TYPES.layer,
      digest: sha256Digest(garbage),
      bytes: garbage,
    };
    // buildImage reads each layer's uncompressed digest; this one has none to read.
    const manifest = imageWithDiffIds(
      'broken',
      [base, broken].map((blob) => ({ blob, diffId: blob.digest })),
    );
    await push(manifest, 'broken', 'v1');
    await server.services.scanner.idle();
    const { result } = await scanOf('broken', manifest.digest);
    expect(result).toMatchObject({ status: 'failed', packages: 0, critical: 0 });
    expect(result.error).toContain(`layer ${broken.digest} rejected`);
    // The server goes on scanning and serving.
    expect((await scanOf('web', image.digest)).result.status).toBe('complete');
  });

  it('fails the scan of an image whose stored layer fails its integrity check at once, saying so', async () => {
    const layer = layerOf([
      { name: 'var/lib/dpkg/status', content: dpkgStatus([['zlib1g', '1:1.2.13.dfsg-1']]) },
      // Larger than one 64 KiB segment, so the altered byte is not in the one a header read.
      { name: 'srv/filler.bin', content: crypto.randomBytes(200 * 1024) },
    ]);
    const damaged = buildImage({
      seed: 'damaged',
      created: new Date('2024-06-01T00:00:00Z'),
      layers: [layer],
    });
    await push(damaged, 'damaged', 'v1');
    await server.services.scanner.idle();
    expect((await scanOf('damaged', damaged.digest)).result.status).toBe('complete');
    const [algorithm, hex] = layer.digest.split(':') as [string, string];
    const file = path.join(server.dataDir, 'blobs', algorithm, hex.slice(0, 2), hex);
    const stored = fs.readFileSync(file);
    stored[stored.length - 100]! ^= 0x01;
    fs.writeFileSync(file, stored);

    server.clock.advance(60_000);
    await server
      .api()
      .post(apiPaths.imageScan('demo-shop', 'damaged', damaged.digest))
      .expect(202);
    await server.services.scanner.idle();
    // One attempt, not the retries storage trouble gets: the bytes will not heal.
    const { result } = await scanOf('damaged', damaged.digest);
    expect(result).toMatchObject({ status: 'failed', packages: 0 });
    expect(result.generatedAt).toBe(new Date(server.clock.now).toISOString());
    expect(result.error).toContain(
      `the stored blob ${layer.digest} failed its integrity check: its encrypted bytes do not authenticate`,
    );
  });

  it("shows each image's counts in the images list; an index per platform, its worst in the list", async () => {
    const amd64 = buildImage({
      seed: 'multi-amd64',
      created: new Date('2024-05-01T00:00:00Z'),
      layers: [base, upgrade],
      platform: { os: 'linux', architecture: 'amd64' },
    });
    // The arm64 image lacks the upgrade: its older OpenSSL has both OpenSSL advisories.
    const arm64 = buildImage({
      seed: 'multi-arm64',
      created: new Date('2024-05-01T00:00:00Z'),
      layers: [base],
      platform: { os: 'linux', architecture: 'arm64' },
    });
    // BuildKit's provenance: an image config of platform unknown/unknown, an in-toto layer.
    const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}');
    const attestation = buildImage({
      seed: 'multi-attestation',
      created: new Date('2024-05-01T00:00:00Z'),
      layers: [
        {
          mediaType: 'application/vnd.in-toto+json',
          digest: sha256Digest(statement),
          bytes: statement,
        },
      ],
      platform: { os: 'unknown', architecture: 'unknown' },
    });
    const index = buildIndex([amd64, arm64, attestation]);
    await push(index, 'multi', 'v1');
    await server.services.scanner.idle();

    const scan = await scanOf('multi', index.digest);
    expect(scan.result).toBeNull();
    expect(
      scan.platforms.map((p: { platform: string; result: { critical: number } }) => [
        p.platform,
        p.result.critical,
      ]),
    ).toEqual([
      ['linux/amd64', 1],
      ['linux/arm64', 2],
    ]);
    const arm = await findingsOf('multi', index.digest, '?platform=linux/arm64');
    expect(arm.items.map((f: { advisoryId: string }) => f.advisoryId)).toEqual([
      'DSA-9000-1',
      'DSA-9001-1',
      'DLA-9002-1',
    ]);
    const noPlatform = await server
      .api()
      .get(apiPaths.imageFindings('demo-shop', 'multi', index.digest));
    expect(noPlatform.status).toBe(404);
    expect(noPlatform.body.error.message).toContain('name one of its platforms with ?platform=');
    const armSbom = await server
      .api()
      .get(`${apiPaths.imageSbom('demo-shop', 'multi', index.digest)}?platform=linux/arm64`)
      .expect(200);
    expect(JSON.parse(armSbom.text).metadata.component.version).toBe(arm64.digest);

    const list = (await server.api().get(apiPaths.images('demo-shop', 'multi')).expect(200)).body;
    expect(list.items).toHaveLength(1);
    expect(list.items[0].vulnerabilities).toEqual({
      critical: 2,
      high: 0,
      medium: 1,
      low: 0,
      unknown: 0,
      fixable: 2,
      scannedAt: new Date(server.clock.now).toISOString(),
      failed: false,
    });
    const web = (await server.api().get(apiPaths.images('demo-shop', 'web')).expect(200)).body;
    expect(web.items[0].vulnerabilities).toMatchObject({ critical: 1, medium: 1, failed: false });
    const broken = (await server.api().get(apiPaths.images('demo-shop', 'broken')).expect(200))
      .body;
    expect(broken.items[0].vulnerabilities).toMatchObject({ critical: 0, failed: true });
  });

  it('re-matches stored inventories once the advisory data changes, without a new scan', async () => {
    server.clock.advance(60_000);
    // Nothing changed since the last scan: the sweep leaves the results alone.
    expect((await server.services.scanner.sweep()).rematched).toBe(0);
    await importRecords(
      server,
      osvRecord('DSA-9003-1', 'openssl', [{ introduced: '3.0.0' }, { fixed: '3.0.15-1~deb12u1' }]),
    );
    await server.store.advisories.recordImport(
      { source: 'test', added: 1, updated: 0, unchanged: 0, skipped: 0 },
      'test',
      server.clock.now,
    );
    server.clock.advance(60_000);
    const swept = await server.services.scanner.sweep();
    // The web image and the index's two platform images: a failed scan has no inventory.
    expect(swept.rematched).toBe(3);
    expect(await server.store.scans.anyQueued()).toBe(false);
    const renewed = (await scanOf('web', image.digest)).result;
    expect(renewed.generatedAt).toBe(new Date(server.clock.now).toISOString());
    expect(renewed).toMatchObject({ critical: 1, medium: 1, unknown: 1, fixable: 2 });
    expect((await server.services.scanner.sweep()).rematched).toBe(0);
  });

  it('keeps results 30 days: re-matched while the image lives, deleted once it has gone', async () => {
    // A day before its time is up, the live image's result is renewed from its inventory:
    // in place, as it finds what it found before.
    const rows = async () =>
      (await server.store.db.selectFrom('scan_results').select('id').execute()).length;
    const before = await rows();
    server.clock.advance(29 * DAY + 60_000);
    const swept = await server.services.scanner.sweep();
    expect(swept.rematched).toBe(3);
    expect(await rows()).toBe(before);
    const renewed = (await scanOf('web', image.digest)).result;
    expect(renewed.generatedAt).toBe(new Date(server.clock.now).toISOString());
    expect(renewed).toMatchObject({ critical: 1, medium: 1, unknown: 1, fixable: 2 });

    // In the trash the image keeps its result until the result's own time is up.
    await server
      .api()
      .post(apiPaths.imagesDelete('demo-shop'))
      .send({ images: [{ repository: 'web', digest: image.digest }] })
      .expect((res) => expect([200, 202]).toContain(res.status));
    server.clock.advance(29 * DAY);
    await server.services.scanner.sweep();
    expect((await scanOf('web', image.digest)).result?.generatedAt).toBe(renewed.generatedAt);
    server.clock.advance(2 * DAY);
    const gone = await server.services.scanner.sweep();
    expect(gone.deleted).toBeGreaterThanOrEqual(1);
    expect((await scanOf('web', image.digest)).result).toBeNull();
  });
});

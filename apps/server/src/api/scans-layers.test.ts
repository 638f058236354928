import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { MEDIA_TYPES, sha256Digest, type BuiltManifest } from '../seed/oci-content.js';
import {
  OCI_ZSTD,
  goFixture,
  gzip,
  tarHeader,
  tarOf,
  zstdZerosBomb,
} from '../testing/layer-fixtures.js';
import { writeLayout } from '../testing/oci-layout.js';
import { imageWithDiffIds, importRecords, type LayerWithDiffId } from '../testing/scan-fixtures.js';
import { hasSkopeo, pushLayout } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * Layers that are not the usual Debian package database, pushed by skopeo and scanned by the
 * running server: a real Go binary, listed module by module; and hostile layers, whose scans
 * fail with the layer named while the registry goes on serving.
 */

async function gzipTarLayer(entries: Parameters<typeof tarOf>[0]): Promise<LayerWithDiffId> {
  const tar = await tarOf(entries);
  const bytes = gzip(tar);
  return {
    blob: { mediaType: MEDIA_TYPES.layer, digest: sha256Digest(bytes), bytes },
    diffId: sha256Digest(tar),
  };
}

/** zstdZerosBomb's tar, hashed as it would be decompressed, a MiB at a time. */
function zstdBombLayer(size: number): LayerWithDiffId {
  const bytes = zstdZerosBomb('opt/zeros', size);
  const hash = createHash('sha256').update(tarHeader('opt/zeros', size));
  const zeros = Buffer.alloc(1024 * 1024);
  const total = size + ((512 - (size % 512)) % 512) + 1024;
  for (let left = total; left > 0; left -= zeros.length) {
    hash.update(zeros.subarray(0, Math.min(left, zeros.length)));
  }
  return {
    blob: { mediaType: OCI_ZSTD, digest: sha256Digest(bytes), bytes },
    diffId: `sha256:${hash.digest('hex')}`,
  };
}

const NAMESPACE = 'layer-lab';
let server: TestServer;
let work: string;

async function push(manifest: BuiltManifest, repository: string): Promise<void> {
  const layout = path.join(work, repository);
  writeLayout(layout, [{ manifest, ref: 'v1' }]);
  await pushLayout(
    layout,
    'v1',
    `${server.url.replace('http://', '')}/${NAMESPACE}/${repository}:v1`,
    {
      creds: `${ADMIN.username}:${server.adminKey}`,
    },
  );
  await server.services.scanner.idle();
}

async function scanOf(repository: string, digest: string) {
  return (
    await server
      .api()
      .get(apiPaths.imageScan(NAMESPACE, repository, digest))
      .expect(200)
  ).body.result;
}

/** The registry still answers a client after a scan failed. */
async function expectServing(repository: string, manifest: BuiltManifest): Promise<void> {
  await server.api().get('/v2/').expect(200);
  const pulled = await server
    .api()
    .get(`/v2/${NAMESPACE}/${repository}/manifests/v1`)
    .set('Accept', MEDIA_TYPES.manifest)
    .expect(200);
  expect(pulled.headers['docker-content-digest']).toBe(manifest.digest);
}

describe.skipIf(!hasSkopeo())('scans of Go binaries and hostile layers', () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { BERTH_SCAN_POLL_MS: '100' } });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scan-layers-'));
    await server
      .api()
      .post(apiPaths.namespaces())
      .send({ name: NAMESPACE, region: 'local' })
      .expect(201);
  });
  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("lists a Go binary's modules and standard library, and matches Go advisories", async () => {
    await importRecords(
      server,
      JSON.stringify({
        id: 'GO-2024-9001',
        modified: '2024-06-01T00:00:00Z',
        summary: 'greeting: too friendly',
        affected: [
          {
            package: { ecosystem: 'Go', name: 'example.com/greeting' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.4.3' }] }],
          },
        ],
      }),
    );
    const { binary, goVersion } = goFixture();
    const stdlib = /^go(\d+(?:\.\d+)*)/.exec(goVersion)?.[1];
    const app = await gzipTarLayer([
      { path: 'usr/local/bin/berth-fixture', content: binary, mode: 0o755 },
    ]);
    const image = imageWithDiffIds('go', [app]);

    await push(image, 'go-app');

    expect(await scanOf('go-app', image.digest)).toMatchObject({
      status: 'complete',
      error: null,
      distro: null,
      packages: 3,
      unknown: 1,
      fixable: 1,
    });
    const sbom = await server
      .api()
      .get(apiPaths.imageSbom(NAMESPACE, 'go-app', image.digest))
      .expect(200);
    const components = JSON.parse(sbom.text).components as {
      name: string;
      version: string;
      purl: string;
      properties: { name: string; value: string }[];
    }[];
    expect(components.map(({ name, version, purl }) => ({ name, version, purl }))).toEqual([
      {
        name: 'example.com/berth-fixture',
        version: '(devel)',
        purl: 'pkg:golang/example.com/berth-fixture@%28devel%29',
      },
      {
        name: 'example.com/greeting',
        version: 'v1.4.2',
        purl: 'pkg:golang/example.com/greeting@v1.4.2',
      },
      { name: 'stdlib', version: stdlib, purl: `pkg:golang/stdlib@${stdlib}` },
    ]);
    for (const component of components) {
      expect(component.properties).toEqual(
        expect.arrayContaining([
          { name: 'berth:layer', value: app.blob.digest },
          { name: 'berth:path', value: 'usr/local/bin/berth-fixture' },
        ]),
      );
    }
    const findings = (
      await server
        .api()
        .get(apiPaths.imageFindings(NAMESPACE, 'go-app', image.digest))
        .expect(200)
    ).body;
    expect(findings.items).toMatchObject([
      {
        advisoryId: 'GO-2024-9001',
        fixed: '1.4.3',
        package: { name: 'example.com/greeting', version: 'v1.4.2' },
      },
    ]);
  });

  it('fails the scan of an image with a path-traversal layer, naming the layer', async () => {
    const marker = `traversal-probe-${process.pid}-${Date.now()}`;
    const base = await gzipTarLayer([
      { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
    ]);
    const hostile = await gzipTarLayer([
      { path: '../../../../../../../../tmp/berth-traversal', content: marker },
      { path: '../../var/lib/dpkg/status', content: `Package: ${marker}\nVersion: 1\n` },
    ]);
    const image = imageWithDiffIds('traversal', [base, hostile]);

    await push(image, 'traversal');

    const result = await scanOf('traversal', image.digest);
    expect(result).toMatchObject({ status: 'failed', packages: 0 });
    expect(result.error).toBe(
      `layer ${hostile.blob.digest} rejected: a tar entry names ` +
        `"../../../../../../../../tmp/berth-traversal", outside the image's root (a path traversal)`,
    );
    // Nothing was written where the entries point, from the server's working directory or its
    // data directory.
    for (const from of [process.cwd(), server.dataDir, path.join(server.dataDir, 'blobs')]) {
      for (const name of [
        '../../../../../../../../tmp/berth-traversal',
        '../../var/lib/dpkg/status',
      ]) {
        const written = path.resolve(from, name);
        expect(fs.existsSync(written) && fs.readFileSync(written, 'utf8').includes(marker)).toBe(
          false,
        );
      }
    }
    await expectServing('traversal', image);
  });

  it('fails the scan of an image with a zstd bomb, naming the layer', async () => {
    const base = await gzipTarLayer([{ path: 'etc/hostname', content: 'bomb\n' }]);
    // 256 MiB of zeros in 8 KiB: the ratio limit is checked from 64 MiB on.
    const bomb = zstdBombLayer(256 * 1024 * 1024);
    expect(bomb.blob.bytes.length).toBeLessThan(10_000);
    const image = imageWithDiffIds('zstd-bomb', [base, bomb]);

    await push(image, 'zstd-bomb');

    const result = await scanOf('zstd-bomb', image.digest);
    expect(result).toMatchObject({ status: 'failed', packages: 0 });
    expect(result.error).toMatch(
      new RegExp(
        `^layer ${bomb.blob.digest} rejected: decompresses to more than 200 times its size .*: a decompression bomb$`,
      ),
    );
    await expectServing('zstd-bomb', image);
    // And scans on: the Go image scanned before is scanned again, whole.
    const go = (await server.api().get(apiPaths.images(NAMESPACE, 'go-app')).expect(200)).body
      .items[0];
    await server
      .api()
      .post(apiPaths.imageScan(NAMESPACE, 'go-app', go.digest))
      .expect(202);
    await server.services.scanner.idle();
    expect(await scanOf('go-app', go.digest)).toMatchObject({ status: 'complete', packages: 3 });
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { MEDIA_TYPES, buildTar, sha256Digest } from '../seed/oci-content.js';
import { zstd } from '../testing/layer-fixtures.js';
import { writeLayout } from '../testing/oci-layout.js';
import { CRITICAL, MEDIUM, imageWithDiffIds, importRecords } from '../testing/scan-fixtures.js';
import { hasSkopeo, pushLayout } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * An Alpine image with a Node.js app and a Python library, pushed with skopeo: an apk
 * database in a gzip layer, node_modules and a Python site-packages in a zstd layer. The
 * inventory lists exactly those packages with their purls and layers, and each ecosystem's
 * advisories match by its own version order.
 */
const tar = (files: Record<string, string>) =>
  buildTar(Object.entries(files).map(([name, text]) => ({ name, content: Buffer.from(text) })));

const baseTar = tar({
  'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n',
  'lib/apk/db/installed':
    'P:libcrypto3\nV:3.1.4-r1\nA:x86_64\no:openssl\n\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\n\n',
});
const appTar = tar({
  'app/node_modules/express/package.json': '{"name":"express","version":"4.17.1"}',
  'app/node_modules/@babel/core/package.json': '{"name":"@babel/core","version":"7.22.0"}',
  'usr/lib/python3.11/site-packages/Requests-2.30.0.dist-info/METADATA':
    'Metadata-Version: 2.1\nName: Requests\nVersion: 2.30.0\n',
});
const baseGz = gzipSync(baseTar);
const appZst = zstd(appTar);
const base = {
  blob: { mediaType: MEDIA_TYPES.layer, digest: sha256Digest(baseGz), bytes: baseGz },
  diffId: sha256Digest(baseTar),
};
const app = {
  blob: {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
    digest: sha256Digest(appZst),
    bytes: appZst,
  },
  diffId: sha256Digest(appTar),
};
const image = imageWithDiffIds('languages', [base, app]);

const record = (id: string, ecosystem: string, name: string, fixed: string, vector: string) =>
  JSON.stringify({
    id,
    modified: '2024-06-01T00:00:00Z',
    summary: `${name}: ${id}`,
    severity: [{ type: 'CVSS_V3', score: vector }],
    affected: [
      {
        package: { ecosystem, name },
        ranges: [
          {
            type: ecosystem === 'npm' ? 'SEMVER' : 'ECOSYSTEM',
            events: [{ introduced: '0' }, { fixed }],
          },
        ],
      },
    ],
  });

let server: TestServer;
let work: string;

describe.skipIf(!hasSkopeo())('scanning an Alpine image with npm and Python packages', () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { BERTH_SCAN_POLL_MS: '100' } });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scan-languages-'));
    await server
      .api()
      .post(apiPaths.namespaces())
      .send({ name: 'polyglot', region: 'local' })
      .expect(201);
    await importRecords(
      server,
      // Affects OpenSSL 3.1.4-r1 (by its origin): fixed in -r3.
      record('ALPINE-1', 'Alpine:v3.19', 'openssl', '3.1.4-r3', CRITICAL),
      // Fixed before the installed musl: no finding.
      record('ALPINE-2', 'Alpine:v3.19', 'musl', '1.2.4-r0', CRITICAL),
      record('GHSA-npm-1', 'npm', 'express', '4.19.2', MEDIUM),
      // Not affected: 7.22.0 is past the fix.
      record('GHSA-npm-2', 'npm', '@babel/core', '7.21.0', CRITICAL),
      // PyPI names are compared as PEP 503 normalises them: "Requests" is "requests".
      record('PYSEC-1', 'PyPI', 'requests', '2.31.0', MEDIUM),
    );
    writeLayout(work, [{ manifest: image, ref: 'v1' }]);
    await pushLayout(work, 'v1', `${server.url.replace('http://', '')}/polyglot/app:v1`, {
      creds: `${ADMIN.username}:${server.adminKey}`,
    });
    await server.services.scanner.idle();
  });
  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('lists every package with its purl and the layer that added it', async () => {
    const sbom = JSON.parse(
      (
        await server
          .api()
          .get(apiPaths.imageSbom('polyglot', 'app', image.digest))
          .expect(200)
      ).text,
    );
    const layerOf = (c: { properties?: { name: string; value: string }[] }) =>
      c.properties?.find((p) => p.name === 'berth:layer')?.value;
    const components = (
      sbom.components as { purl: string; properties?: { name: string; value: string }[] }[]
    )
      // The operating system is a component too, without a package URL.
      .filter((c) => c.purl !== undefined)
      .map((c) => [c.purl, layerOf(c)])
      .sort();
    expect(components).toEqual(
      [
        ['pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&distro=alpine-3.19.1', base.blob.digest],
        [
          'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1',
          base.blob.digest,
        ],
        ['pkg:npm/%40babel/core@7.22.0', app.blob.digest],
        ['pkg:npm/express@4.17.1', app.blob.digest],
        ['pkg:pypi/requests@2.30.0', app.blob.digest],
      ].sort(),
    );
  });

  it('matches each ecosystem by its own versions', async () => {
    const findings = (
      await server
        .api()
        .get(apiPaths.imageFindings('polyglot', 'app', image.digest))
        .expect(200)
    ).body;
    expect(
      findings.items.map((f: { advisoryId: string; package: { name: string }; fixed: string }) => [
        f.advisoryId,
        f.package.name,
        f.fixed,
      ]),
    ).toEqual([
      ['ALPINE-1', 'libcrypto3', '3.1.4-r3'],
      ['GHSA-npm-1', 'express', '4.19.2'],
      ['PYSEC-1', 'Requests', '2.31.0'],
    ]);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { buildImage, type BuiltManifest } from '../seed/oci-content.js';
import { importAdvisories } from '../services/advisories/advisory-import.js';
import { writeLayout } from '../testing/oci-layout.js';
import { rpmdbSqlite } from '../testing/rpmdb.js';
import { dpkgStatus, layerOf } from '../testing/scan-fixtures.js';
import { hasSkopeo, pushLayout } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * Scans of the distributions matched beyond Debian and Alpine, end to end: skopeo pushes an
 * Ubuntu image (dpkg status) and a Rocky Linux one (rpmdb.sqlite), the advisories are imported
 * from OSV files as `berth advisories import` reads them, and the findings come back through
 * the API. The records are written for the test in the shape Ubuntu's and Rocky Linux's OSV
 * data take.
 */
const ubuntu = layerOf([
  {
    name: 'usr/lib/os-release',
    content:
      'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n',
  },
  {
    name: 'var/lib/dpkg/status',
    content: dpkgStatus([
      ['libssl3', '3.0.2-0ubuntu1.15', 'openssl'],
      ['libmagickcore-6.q16-6', '8:6.9.11.60+dfsg-1.3ubuntu0.22.04.3', 'imagemagick'],
      ['zlib1g', '1:1.2.11.dfsg-2ubuntu9.2', 'zlib'],
    ]),
  },
]);

const rocky = layerOf([
  {
    name: 'etc/os-release',
    content:
      'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n',
  },
  {
    name: 'var/lib/rpm/rpmdb.sqlite',
    content: rpmdbSqlite([
      {
        name: 'openssl-libs',
        version: '3.0.7',
        release: '24.el9',
        epoch: 1,
        arch: 'x86_64',
        sourceRpm: 'openssl-3.0.7-24.el9.src.rpm',
      },
      {
        name: 'glibc-common',
        version: '2.34',
        release: '83.el9.7',
        arch: 'x86_64',
        sourceRpm: 'glibc-2.34-83.el9.7.src.rpm',
      },
      {
        name: 'bash',
        version: '5.1.8',
        release: '6.el9_1',
        arch: 'x86_64',
        sourceRpm: 'bash-5.1.8-6.el9_1.src.rpm',
      },
    ]),
  },
]);

const HIGH = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N';

const osv = (id: string, ecosystem: string, names: string[], fixed: string) => ({
  id,
  modified: '2024-06-01T00:00:00Z',
  summary: `${names[0]}: ${id}`,
  severity: [{ type: 'CVSS_V3', score: HIGH }],
  affected: names.map((name) => ({
    package: { ecosystem, name },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
  })),
});

const RECORDS = [
  osv('UBUNTU-CVE-2024-9001', 'Ubuntu:22.04:LTS', ['openssl'], '3.0.2-0ubuntu1.16'),
  // Fixed by Ubuntu Pro only: still a fix the image lacks.
  osv(
    'UBUNTU-CVE-2024-9002',
    'Ubuntu:Pro:22.04:LTS',
    ['imagemagick'],
    '8:6.9.11.60+dfsg-1.3ubuntu0.22.04.5+esm1',
  ),
  // Already fixed in the image.
  osv('UBUNTU-CVE-2024-9003', 'Ubuntu:22.04:LTS', ['zlib'], '1:1.2.11.dfsg-2ubuntu9.2'),
  // The same package in Debian: nothing to do with an Ubuntu image.
  osv('DSA-9004-1', 'Debian:12', ['openssl'], '3.0.14-1~deb12u1'),
  // Every binary RPM of the erratum, as Rocky Linux lists them.
  osv('RLSA-2024:9005', 'Rocky Linux:9', ['openssl', 'openssl-libs'], '1:3.0.7-25.el9_3'),
  // By source package only: found through glibc-common's source RPM.
  osv('RLSA-2024:9006', 'Rocky Linux:9', ['glibc'], '2.34-100.el9_4.2'),
  // Another release and another rebuild: neither is about this image.
  osv('RLSA-2024:9007', 'Rocky Linux:8', ['bash'], '4.4.20-5.el8'),
  osv('ALSA-2024:9008', 'AlmaLinux:9', ['bash'], '5.1.8-9.el9'),
];

let server: TestServer;
let work: string;
let host: string;
const images: Record<'ubuntu' | 'rocky', BuiltManifest> = {
  ubuntu: buildImage({
    seed: 'jammy',
    created: new Date('2024-05-01T00:00:00Z'),
    layers: [ubuntu],
  }),
  rocky: buildImage({ seed: 'rocky9', created: new Date('2024-05-01T00:00:00Z'), layers: [rocky] }),
};

async function push(manifest: BuiltManifest, repository: string) {
  const layout = path.join(work, repository);
  writeLayout(layout, [{ manifest, ref: 'v1' }]);
  await pushLayout(layout, 'v1', `${host}/distros/${repository}:v1`, {
    creds: `${ADMIN.username}:${server.adminKey}`,
  });
}

const get = async (url: string) => (await server.api().get(url).expect(200)).body;

describe.skipIf(!hasSkopeo())('scans of Ubuntu and RPM-based images', () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { BERTH_SCAN_POLL_MS: '100' } });
    host = server.url.replace('http://', '');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scan-distros-'));
    const advisories = path.join(work, 'advisories');
    fs.mkdirSync(advisories);
    for (const record of RECORDS) {
      fs.writeFileSync(
        path.join(advisories, `${record.id.replace(':', '-')}.json`),
        JSON.stringify(record),
      );
    }
    const report = await importAdvisories(server.store, [advisories], {
      actor: 'cli:advisories',
      now: () => server.clock.now,
    });
    expect(report).toMatchObject({ added: RECORDS.length, skipped: 0 });
    await server
      .api()
      .post(apiPaths.namespaces())
      .send({ name: 'distros', region: 'local' })
      .expect(201);
    await push(images.ubuntu, 'jammy');
    await push(images.rocky, 'rocky');
    await server.services.scanner.idle();
  });
  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('matches an Ubuntu LTS image by source package, Ubuntu Pro fixes included', async () => {
    const digest = images.ubuntu.digest;
    const scan = await get(apiPaths.imageScan('distros', 'jammy', digest));
    expect(scan.result).toMatchObject({
      status: 'complete',
      distro: 'ubuntu 22.04',
      packages: 3,
      high: 2,
      fixable: 2,
    });
    const findings = await get(apiPaths.imageFindings('distros', 'jammy', digest));
    expect(
      findings.items.map((f: { advisoryId: string; package: { name: string }; fixed: string }) => [
        f.advisoryId,
        f.package.name,
        f.fixed,
      ]),
    ).toEqual([
      ['UBUNTU-CVE-2024-9001', 'libssl3', '3.0.2-0ubuntu1.16'],
      ['UBUNTU-CVE-2024-9002', 'libmagickcore-6.q16-6', '8:6.9.11.60+dfsg-1.3ubuntu0.22.04.5+esm1'],
    ]);
  });

  it('matches a Rocky Linux image by binary RPM and by source RPM, in its major release', async () => {
    const digest = images.rocky.digest;
    const scan = await get(apiPaths.imageScan('distros', 'rocky', digest));
    expect(scan.result).toMatchObject({
      status: 'complete',
      distro: 'rocky 9.3',
      packages: 3,
      high: 2,
      fixable: 2,
    });
    const findings = await get(apiPaths.imageFindings('distros', 'rocky', digest));
    expect(
      findings.items.map(
        (f: { advisoryId: string; package: { name: string; version: string }; fixed: string }) => [
          f.advisoryId,
          f.package.name,
          f.package.version,
          f.fixed,
        ],
      ),
    ).toEqual([
      ['RLSA-2024:9005', 'openssl-libs', '1:3.0.7-24.el9', '1:3.0.7-25.el9_3'],
      ['RLSA-2024:9006', 'glibc-common', '2.34-83.el9.7', '2.34-100.el9_4.2'],
    ]);
  });

  it('lists the imported ecosystems as they are named, for the Advisory data page', async () => {
    const status = await get(apiPaths.advisories());
    expect(status.ecosystems.map((e: { ecosystem: string }) => e.ecosystem)).toEqual([
      'AlmaLinux:9',
      'Debian:12',
      'Rocky Linux:8',
      'Rocky Linux:9',
      'Ubuntu:22.04:LTS',
      'Ubuntu:Pro:22.04:LTS',
    ]);
  });
});

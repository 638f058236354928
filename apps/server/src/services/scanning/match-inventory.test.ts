import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Store, type StoredAdvisory, createStore } from '@berth/store';
import { type TestDatabase, openTestDatabase } from '@berth/store/testing/engines';
import { parseOsvRecord } from '../advisories/osv-record.js';
import type { InventoryPackage } from './inventory/types.js';
import { type AdvisoryCache, matchInventory, osvQueriesOf } from './match-inventory.js';

const debian = { id: 'debian', versionId: '12' };

const deb = (name: string, version: string, source = name): InventoryPackage => ({
  type: 'deb',
  name,
  version,
  source: { name: source, version },
  purl: `pkg:deb/debian/${name}@${version}`,
  layer: 'sha256:layer',
  path: 'var/lib/dpkg/status',
});

const advisory = (id: string, name: string, fixed: string): StoredAdvisory => ({
  id,
  modified: 1,
  published: null,
  withdrawn: null,
  summary: `${name} bug`,
  details: '',
  aliases: [],
  severity: 'high',
  score: 7.5,
  affected: [
    {
      package: { ecosystem: 'Debian:12', name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
    },
  ],
  packages: [{ ecosystem: 'Debian:12', name }],
});

/** The advisories store's lookup, over a fixed list, counting the names it is asked for. */
function advisories(list: StoredAdvisory[]) {
  const asked: string[] = [];
  const store: Pick<Store, 'advisories'> = {
    advisories: {
      forPackages: async (ecosystem: string, names: readonly string[]) => {
        asked.push(...names);
        return list
          .filter((a) =>
            a.packages.some((p) => p.ecosystem === ecosystem && names.includes(p.name)),
          )
          .map((a) => ({ ...a, packages: a.packages.filter((p) => names.includes(p.name)) }));
      },
    } as unknown as Store['advisories'],
  };
  return { store, asked };
}

describe('matchInventory', () => {
  it('looks Debian packages up by source package in the image release', () => {
    expect(osvQueriesOf(deb('libssl3', '3.0.13-1', 'openssl'), debian)).toEqual([
      { ecosystem: 'Debian:12', name: 'openssl', version: '3.0.13-1' },
    ]);
    expect(osvQueriesOf(deb('libssl3', '3.0.13-1', 'openssl'), null)).toEqual([]);
  });

  it('reads each package’s advisories once per cache, with the same findings', async () => {
    const list = [advisory('DSA-1', 'openssl', '3.0.14-1'), advisory('DSA-2', 'zlib', '1.3-1')];
    const first = [deb('libssl3', '3.0.13-1', 'openssl'), deb('zlib1g', '1.2-1', 'zlib')];
    const second = [deb('libssl3', '3.0.15-1', 'openssl'), deb('bash', '5.2-1')];
    const uncached = advisories(list);
    const expected = [
      await matchInventory(uncached.store, first, debian),
      await matchInventory(uncached.store, second, debian),
    ];
    const cached = advisories(list);
    const cache: AdvisoryCache = new Map();
    const got = [
      await matchInventory(cached.store, first, debian, cache),
      await matchInventory(cached.store, second, debian, cache),
    ];
    expect(got).toEqual(expected);
    expect(got[0]?.findings.map((f) => f.advisoryId)).toEqual(['DSA-1', 'DSA-2']);
    expect(got[1]?.findings).toEqual([]);
    // openssl was read for the first image only; bash, with no advisory, once too.
    expect(cached.asked.sort()).toEqual(['bash', 'openssl', 'zlib']);
    expect(uncached.asked.sort()).toEqual(['bash', 'openssl', 'openssl', 'zlib']);
  });
});

/*
 * The distributions added for Ubuntu and the RPM family, against the real advisories store (on
 * SQLite) and the real OSV import: the records below are written for the test in the shape each
 * database publishes (Ubuntu: source packages, a release and an Ubuntu Pro lineage per
 * ecosystem string; Rocky, AlmaLinux, Red Hat: every binary RPM of an erratum, EVRs with epochs).
 */
describe('matchInventory, Ubuntu and RPM distributions', () => {
  let database: TestDatabase;
  let store: Pick<Store, 'advisories'>;

  const record = (
    id: string,
    affected: { ecosystem: string; names: string[]; fixed?: string }[],
  ): string =>
    JSON.stringify({
      id,
      modified: '2024-06-01T00:00:00Z',
      summary: `${id} summary`,
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
      affected: affected.flatMap(({ ecosystem, names, fixed }) =>
        names.map((name) => ({
          package: { ecosystem, name },
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: [{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])],
            },
          ],
        })),
      ),
    });

  const ubuntuPackage = (name: string, version: string, source: string): InventoryPackage => ({
    ...deb(name, version, source),
    purl: `pkg:deb/ubuntu/${name}@${version}`,
  });
  const rpm = (name: string, version: string, sourceRpm?: string): InventoryPackage => {
    const source = sourceRpm ? /^(.+)-([^-]+-[^-]+)\.src\.rpm$/.exec(sourceRpm) : null;
    const epoch = /^\d+:/.exec(version)?.[0] ?? '';
    return {
      type: 'rpm',
      name,
      version,
      ...(source ? { source: { name: source[1]!, version: `${epoch}${source[2]!}` } } : {}),
      purl: `pkg:rpm/rocky/${name}@${version.replace(/^\d+:/, '')}`,
      layer: 'sha256:layer',
      path: 'var/lib/rpm/rpmdb.sqlite',
    };
  };

  beforeAll(async () => {
    database = await openTestDatabase('sqlite');
    store = createStore(database.handle.db);
    const parsed = [
      record('UBUNTU-CVE-2024-0001', [
        { ecosystem: 'Ubuntu:22.04:LTS', names: ['openssl'], fixed: '3.0.2-0ubuntu1.16' },
        { ecosystem: 'Ubuntu:20.04:LTS', names: ['openssl'], fixed: '1.1.1f-1ubuntu2.23' },
      ]),
      // A universe package only Ubuntu Pro fixes.
      record('UBUNTU-CVE-2024-0002', [
        {
          ecosystem: 'Ubuntu:Pro:22.04:LTS',
          names: ['imagemagick'],
          fixed: '8:6.9.11.60+dfsg-1.3ubuntu0.22.04.5+esm1',
        },
      ]),
      record('UBUNTU-CVE-2024-0003', [
        { ecosystem: 'Ubuntu:22.04:LTS', names: ['zlib'], fixed: '1:1.2.11.dfsg-2ubuntu9.2' },
      ]),
      // Same source package, other distributions and releases.
      record('DSA-2024-0004', [{ ecosystem: 'Debian:12', names: ['openssl'] }]),
      record('UBUNTU-CVE-2024-0005', [{ ecosystem: 'Ubuntu:24.04:LTS', names: ['openssl'] }]),
      // Every binary of the erratum: found under the binary's name and its source's, one finding.
      record('RLSA-2024:0006', [
        {
          ecosystem: 'Rocky Linux:9',
          names: ['openssl', 'openssl-libs', 'openssl-devel'],
          fixed: '1:3.0.7-25.el9_3',
        },
      ]),
      record('ALSA-2024:0006', [
        { ecosystem: 'AlmaLinux:9', names: ['openssl-libs'], fixed: '1:3.0.7-25.el9_3' },
      ]),
      // Named by source package only (as the OSV schema describes these ecosystems).
      record('RLSA-2024:0007', [
        { ecosystem: 'Rocky Linux:9', names: ['glibc'], fixed: '2.34-100.el9_4.2' },
      ]),
      record('RLSA-2024:0008', [
        { ecosystem: 'Rocky Linux:8', names: ['glibc'], fixed: '2.28-251.el8_10.2' },
      ]),
      record('RHSA-2024:0009', [
        {
          ecosystem: 'Red Hat:enterprise_linux:9::baseos',
          names: ['libxml2'],
          fixed: '0:2.9.13-6.el9_4',
        },
        // An extended-support stream no image is matched against: not even imported.
        {
          ecosystem: 'Red Hat:rhel_eus:9.2::baseos',
          names: ['libxml2'],
          fixed: '0:2.9.13-3.el9_2.3',
        },
      ]),
    ].map((text) => parseOsvRecord(text));
    await store.advisories.importBatch(
      parsed.flatMap((p) => ('advisory' in p ? [p.advisory] : [])),
      Date.parse('2024-06-02T00:00:00Z'),
    );
    expect(parsed.every((p) => 'advisory' in p)).toBe(true);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('looks Ubuntu packages up by source package, in the LTS release and then in Ubuntu Pro', async () => {
    const jammy = { id: 'ubuntu', versionId: '22.04', codename: 'jammy' };
    const libssl = ubuntuPackage('libssl3', '3.0.2-0ubuntu1.15', 'openssl');
    expect(osvQueriesOf(libssl, jammy)).toEqual([
      { ecosystem: 'Ubuntu:22.04:LTS', name: 'openssl', version: '3.0.2-0ubuntu1.15' },
      { ecosystem: 'Ubuntu:Pro:22.04:LTS', name: 'openssl', version: '3.0.2-0ubuntu1.15' },
    ]);
    expect(osvQueriesOf(libssl, { id: 'ubuntu', versionId: '24.10' })).toEqual([
      { ecosystem: 'Ubuntu:24.10', name: 'openssl', version: '3.0.2-0ubuntu1.15' },
    ]);
    // A deb on an RPM-based image belongs to no release OSV knows.
    expect(osvQueriesOf(libssl, { id: 'rocky', versionId: '9.3' })).toEqual([]);

    const matched = await matchInventory(
      store,
      [
        libssl,
        ubuntuPackage(
          'libmagickcore-6.q16-6',
          '8:6.9.11.60+dfsg-1.3ubuntu0.22.04.3',
          'imagemagick',
        ),
        ubuntuPackage('zlib1g', '1:1.2.11.dfsg-2ubuntu9.2', 'zlib'),
      ],
      jammy,
    );
    expect(matched.findings.map((f) => [f.package, f.advisoryId, f.fixed])).toEqual([
      [0, 'UBUNTU-CVE-2024-0001', '3.0.2-0ubuntu1.16'],
      [1, 'UBUNTU-CVE-2024-0002', '8:6.9.11.60+dfsg-1.3ubuntu0.22.04.5+esm1'],
    ]);
    expect(matched).toMatchObject({ high: 2, fixable: 2 });
  });

  it('looks RPMs up by their own name, then their source package, in the major release', async () => {
    const rocky = { id: 'rocky', versionId: '9.3' };
    const libs = rpm('openssl-libs', '1:3.0.7-24.el9', 'openssl-3.0.7-24.el9.src.rpm');
    expect(osvQueriesOf(libs, rocky)).toEqual([
      { ecosystem: 'Rocky Linux:9', name: 'openssl-libs', version: '1:3.0.7-24.el9' },
      { ecosystem: 'Rocky Linux:9', name: 'openssl', version: '1:3.0.7-24.el9' },
    ]);
    expect(osvQueriesOf(libs, { id: 'almalinux', versionId: '9.4' })).toEqual([
      { ecosystem: 'AlmaLinux:9', name: 'openssl-libs', version: '1:3.0.7-24.el9' },
      { ecosystem: 'AlmaLinux:9', name: 'openssl', version: '1:3.0.7-24.el9' },
    ]);
    const bash = rpm('bash', '5.1.8-6.el9', 'bash-5.1.8-6.el9.src.rpm');
    expect(osvQueriesOf(bash, rocky)).toEqual([
      { ecosystem: 'Rocky Linux:9', name: 'bash', version: '5.1.8-6.el9' },
    ]);
    // Fedora and CentOS Stream have no OSV ecosystem.
    expect(osvQueriesOf(bash, { id: 'fedora', versionId: '40' })).toEqual([]);
    expect(osvQueriesOf(bash, { id: 'centos', versionId: '9' })).toEqual([]);

    const packages = [
      libs,
      rpm('openssl', '1:3.0.7-24.el9', 'openssl-3.0.7-24.el9.src.rpm'),
      rpm('glibc-common', '2.34-100.el9_4.1', 'glibc-2.34-100.el9_4.1.src.rpm'),
      bash,
      // Already fixed.
      rpm('openssl-devel', '1:3.0.7-25.el9_3', 'openssl-3.0.7-25.el9_3.src.rpm'),
    ];
    const matched = await matchInventory(store, packages, rocky);
    expect(matched.findings.map((f) => [f.package, f.advisoryId, f.fixed])).toEqual([
      [0, 'RLSA-2024:0006', '1:3.0.7-25.el9_3'],
      [1, 'RLSA-2024:0006', '1:3.0.7-25.el9_3'],
      [2, 'RLSA-2024:0007', '2.34-100.el9_4.2'],
    ]);

    const alma = await matchInventory(store, packages, { id: 'almalinux', versionId: '9.4' });
    expect(alma.findings.map((f) => [f.package, f.advisoryId])).toEqual([[0, 'ALSA-2024:0006']]);
  });

  it("looks RHEL packages up in each repository of the image's major release", async () => {
    const ubi = { id: 'rhel', versionId: '9.4' };
    const libxml2 = rpm('libxml2', '2.9.13-5.el9_3', 'libxml2-2.9.13-5.el9_3.src.rpm');
    expect(osvQueriesOf(libxml2, ubi).map((q) => q.ecosystem)).toEqual([
      'Red Hat:enterprise_linux:9::baseos',
      'Red Hat:enterprise_linux:9::appstream',
      'Red Hat:enterprise_linux:9::crb',
    ]);
    const matched = await matchInventory(store, [libxml2], ubi);
    expect(matched.findings.map((f) => [f.advisoryId, f.fixed])).toEqual([
      ['RHSA-2024:0009', '0:2.9.13-6.el9_4'],
    ]);
    const held = await store.advisories.forPackages('Red Hat:rhel_eus:9.2::baseos', ['libxml2']);
    expect(held).toEqual([]);
  });
});

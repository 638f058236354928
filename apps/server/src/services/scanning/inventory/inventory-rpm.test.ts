import { describe, expect, it } from 'vitest';
import { gzipLayer } from '../../../testing/layer-fixtures.js';
import {
  EL8_PACKAGES,
  rpmHeader,
  rpmdbSqlite,
  type RpmFixturePackage,
} from '../../../testing/rpmdb.js';
import { rpmdbBerkeley } from '../../../testing/rpmdb-berkeley.js';
import { rpmdbNdb } from '../../../testing/rpmdb-ndb.js';
import { defaultReaders, readInventory } from './inventory.js';

const ROCKY_8 =
  'NAME="Rocky Linux"\nVERSION="8.9 (Green Obsidian)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n' +
  'VERSION_ID="8.9"\nPLATFORM_ID="platform:el8"\n';

const { bash: BASH, opensslLibs: OPENSSL, gpgKey: GPG_KEY } = EL8_PACKAGES;
const TZDATA_OLD: RpmFixturePackage = {
  name: 'tzdata',
  version: '2023c',
  release: '1.el8',
  arch: 'noarch',
  sourceRpm: 'tzdata-2023c-1.el8.src.rpm',
};
const TZDATA_NEW: RpmFixturePackage = {
  ...TZDATA_OLD,
  version: '2024a',
  sourceRpm: 'tzdata-2024a-1.el8.src.rpm',
};

describe('readInventory of rpm images with older database formats', () => {
  it('reads a Rocky Linux 8 image whose rpm database is Berkeley DB', async () => {
    const base = await gzipLayer([
      { path: 'etc/os-release', content: ROCKY_8 },
      {
        path: 'var/lib/rpm/Packages',
        content: rpmdbBerkeley([GPG_KEY, BASH, OPENSSL, TZDATA_OLD].map(rpmHeader)),
      },
    ]);
    // `dnf update tzdata` rewrites the whole file in the next layer.
    const update = await gzipLayer([
      {
        path: 'var/lib/rpm/Packages',
        content: rpmdbBerkeley([GPG_KEY, BASH, OPENSSL, TZDATA_NEW].map(rpmHeader)),
      },
    ]);

    const inventory = await readInventory([base, update], defaultReaders);

    const path = 'var/lib/rpm/Packages';
    expect(inventory).toEqual({
      distro: { id: 'rocky', versionId: '8.9' },
      packages: [
        {
          type: 'rpm',
          name: 'bash',
          version: '4.4.20-4.el8_6',
          source: { name: 'bash', version: '4.4.20-4.el8_6' },
          purl: 'pkg:rpm/rocky/bash@4.4.20-4.el8_6?arch=x86_64&distro=rocky-8.9',
          layer: base.digest,
          path,
        },
        {
          type: 'rpm',
          name: 'openssl-libs',
          version: '1:1.1.1k-9.el8_7',
          source: { name: 'openssl', version: '1:1.1.1k-9.el8_7' },
          purl: 'pkg:rpm/rocky/openssl-libs@1.1.1k-9.el8_7?arch=x86_64&distro=rocky-8.9&epoch=1',
          layer: base.digest,
          path,
        },
        {
          type: 'rpm',
          name: 'tzdata',
          version: '2024a-1.el8',
          source: { name: 'tzdata', version: '2024a-1.el8' },
          purl: 'pkg:rpm/rocky/tzdata@2024a-1.el8?arch=noarch&distro=rocky-8.9',
          layer: update.digest,
          path,
        },
      ],
      skipped: [],
    });
  });

  it('reads a SUSE image whose rpm database is ndb', async () => {
    const layer = await gzipLayer([
      {
        path: 'usr/lib/os-release',
        content: 'NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nID="sles"\n',
      },
      {
        path: 'usr/lib/sysimage/rpm/Packages.db',
        content: rpmdbNdb([BASH, OPENSSL].map(rpmHeader)),
      },
      { path: 'var/lib/rpm', type: 'symlink', target: '../../usr/lib/sysimage/rpm' },
    ]);

    const inventory = await readInventory([layer], defaultReaders);

    expect(inventory.packages.map((found) => [found.purl, found.path])).toEqual([
      [
        'pkg:rpm/sles/bash@4.4.20-4.el8_6?arch=x86_64&distro=sles-15.5',
        'usr/lib/sysimage/rpm/Packages.db',
      ],
      [
        'pkg:rpm/sles/openssl-libs@1.1.1k-9.el8_7?arch=x86_64&distro=sles-15.5&epoch=1',
        'usr/lib/sysimage/rpm/Packages.db',
      ],
    ]);
  });

  it('reads only rpmdb.sqlite when a converted image kept its Berkeley DB file', async () => {
    const layer = await gzipLayer([
      { path: 'etc/os-release', content: ROCKY_8.replaceAll('8.9', '9.3') },
      { path: 'var/lib/rpm/Packages', content: rpmdbBerkeley([TZDATA_OLD].map(rpmHeader)) },
      { path: 'var/lib/rpm/rpmdb.sqlite', content: rpmdbSqlite([TZDATA_NEW]) },
    ]);

    const inventory = await readInventory([layer], defaultReaders);

    expect(inventory.packages.map((found) => [found.name, found.version, found.path])).toEqual([
      ['tzdata', '2024a-1.el8', 'var/lib/rpm/rpmdb.sqlite'],
    ]);
  });
});

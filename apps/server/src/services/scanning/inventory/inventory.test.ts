import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apkReader } from './apk-reader.js';
import { dpkgReader } from './dpkg-reader.js';
import { defaultReaders, readInventory } from './inventory.js';
import {
  OCI_TAR,
  OCI_ZSTD,
  gzipLayer,
  layerOf,
  tarOf,
  zerosLayer,
  zstd,
} from '../../../testing/layer-fixtures.js';

const osRelease =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';

const dpkgStatus = (...packages: [string, string, string?][]) =>
  packages
    .map(
      ([name, version, status = 'install ok installed']) =>
        `Package: ${name}\nStatus: ${status}\nArchitecture: amd64\nVersion: ${version}\n`,
    )
    .join('\n');

describe('readInventory', () => {
  it('reads a Debian image across compressed and plain layers', async () => {
    // A marker no real file holds, to show the absolute entry was never written anywhere.
    const marker = `path-probe-${process.pid}-${Date.now()}`;
    const base = layerOf(
      zstd(
        await tarOf([
          { path: './usr/lib/os-release', content: osRelease },
          { path: './etc/os-release', type: 'symlink', target: '../usr/lib/os-release' },
          {
            path: './var/lib/dpkg/status',
            content: dpkgStatus(['libc6', '2.36-9'], ['curl', '7.88.1-10']),
          },
        ]),
      ),
      OCI_ZSTD,
    );
    const loops = layerOf(
      await tarOf([
        { path: 'loop/a', type: 'symlink', target: 'b' },
        { path: 'loop/b', type: 'symlink', target: 'a' },
        { path: 'var/lib/dpkg/status.d', type: 'symlink', target: 'status.d' },
      ]),
      OCI_TAR,
    );
    const upgrade = await gzipLayer([
      {
        path: '/var/lib/dpkg/status',
        content: dpkgStatus(
          ['libc6', '2.36-9'],
          ['curl', '7.88.1-10+deb12u8'],
          ['old-tool', '1.0-1', 'deinstall ok config-files'],
          [marker, '1'],
        ),
      },
    ]);
    const big = zerosLayer('sha256:big', [{ path: 'opt/data.bin', size: 50 * 1024 * 1024 }]);

    const inventory = await readInventory([base, loops, upgrade, big], defaultReaders);

    expect(inventory).toEqual({
      distro: { id: 'debian', versionId: '12', codename: 'bookworm' },
      packages: [
        {
          type: 'deb',
          name: 'curl',
          version: '7.88.1-10+deb12u8',
          source: { name: 'curl', version: '7.88.1-10+deb12u8' },
          purl: 'pkg:deb/debian/curl@7.88.1-10%2Bdeb12u8?arch=amd64&distro=debian-12',
          layer: upgrade.digest,
          path: 'var/lib/dpkg/status',
        },
        {
          type: 'deb',
          name: 'libc6',
          version: '2.36-9',
          source: { name: 'libc6', version: '2.36-9' },
          purl: 'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12',
          layer: base.digest,
          path: 'var/lib/dpkg/status',
        },
        {
          type: 'deb',
          name: marker,
          version: '1',
          source: { name: marker, version: '1' },
          purl: `pkg:deb/debian/${marker}@1?arch=amd64&distro=debian-12`,
          layer: upgrade.digest,
          path: 'var/lib/dpkg/status',
        },
      ],
      skipped: [],
    });
    for (const path of ['/var/lib/dpkg/status', 'var/lib/dpkg/status']) {
      const written = resolve(path);
      expect(existsSync(written) && readFileSync(written, 'utf8').includes(marker)).toBe(false);
    }
  });

  it('reads an Alpine image and sorts packages by type, name, version and path', async () => {
    const layer = await gzipLayer([
      { path: 'etc/alpine-release', content: '3.20.3\n' },
      {
        path: 'lib/apk/db/installed',
        content:
          'P:zlib\nV:1.3.1-r1\nA:aarch64\no:zlib\n\nP:busybox\nV:1.36.1-r29\nA:aarch64\no:busybox\n',
      },
      // A distroless-style dpkg entry in the same image, to show readers run side by side.
      {
        path: 'var/lib/dpkg/status.d/ca-certificates',
        content: 'Package: ca-certificates\nVersion: 20230311\nArchitecture: all\n',
      },
    ]);

    const inventory = await readInventory([layer], [dpkgReader, apkReader]);

    expect(inventory).toEqual({
      distro: { id: 'alpine', versionId: '3.20.3' },
      packages: [
        {
          type: 'apk',
          name: 'busybox',
          version: '1.36.1-r29',
          source: { name: 'busybox', version: '1.36.1-r29' },
          purl: 'pkg:apk/alpine/busybox@1.36.1-r29?arch=aarch64&distro=alpine-3.20.3',
          layer: layer.digest,
          path: 'lib/apk/db/installed',
        },
        {
          type: 'apk',
          name: 'zlib',
          version: '1.3.1-r1',
          source: { name: 'zlib', version: '1.3.1-r1' },
          purl: 'pkg:apk/alpine/zlib@1.3.1-r1?arch=aarch64&distro=alpine-3.20.3',
          layer: layer.digest,
          path: 'lib/apk/db/installed',
        },
        {
          type: 'deb',
          name: 'ca-certificates',
          version: '20230311',
          source: { name: 'ca-certificates', version: '20230311' },
          purl: 'pkg:deb/debian/ca-certificates@20230311?arch=all&distro=alpine-3.20.3',
          layer: layer.digest,
          path: 'var/lib/dpkg/status.d/ca-certificates',
        },
      ],
      skipped: [],
    });
  });

  it('reports a package database too large to read instead of reading part of it', async () => {
    const layer = await gzipLayer([
      { path: 'var/lib/dpkg/status', content: dpkgStatus(['libc6', '2.36-9']) },
    ]);

    const inventory = await readInventory([layer], [{ ...dpkgReader, maxBytes: 16 }]);

    expect(inventory).toEqual({
      distro: null,
      packages: [],
      skipped: [
        {
          path: 'var/lib/dpkg/status',
          layer: layer.digest,
          size: 80,
          reason: 'larger than the 16 bytes kept for this file',
        },
      ],
    });
  });
});

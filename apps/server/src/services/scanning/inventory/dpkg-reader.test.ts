import { describe, expect, it } from 'vitest';
import { dpkgReader } from './dpkg-reader.js';
import { gzipLayer, type FixtureEntry } from '../../../testing/layer-fixtures.js';
import { collectFiles, type LayerSource } from './layer-walker.js';
import type { Distro } from './types.js';

const bookworm: Distro = { id: 'debian', versionId: '12', codename: 'bookworm' };

async function readDpkg(layers: LayerSource[], distro: Distro | null = bookworm) {
  const { files } = await collectFiles(layers, (path, size, mode) =>
    dpkgReader.wants(path, size, mode) ? dpkgReader.maxBytes : false,
  );
  return dpkgReader.read(files, distro);
}

function paragraph(name: string, version: string, extra: Record<string, string> = {}): string {
  const fields = {
    Package: name,
    Status: 'install ok installed',
    Priority: 'optional',
    Architecture: 'amd64',
    Version: version,
    ...extra,
  };
  return `${Object.entries(fields)
    .map(([key, value]) => `${key}: ${value}`)
    .join('\n')}\nDescription: ${name}\n a longer description\n .\n over lines\n`;
}

const status = (...paragraphs: string[]): FixtureEntry => ({
  path: 'var/lib/dpkg/status',
  content: paragraphs.join('\n'),
});

describe('dpkgReader', () => {
  it('lists installed packages with their source, leaving out removed ones', async () => {
    const layer = await gzipLayer([
      status(
        paragraph('libc6', '2.36-9+deb12u7', { Source: 'glibc', 'Multi-Arch': 'same' }),
        paragraph('bash', '5.2.15-2+b7', { Source: 'bash (5.2.15-2)' }),
        paragraph('old-tool', '1.0-1', { Status: 'deinstall ok config-files' }),
        paragraph('half', '1.0-1', { Status: 'install ok half-installed' }),
        paragraph('libgcrypt20', '1.10.1-3', { Status: 'hold ok installed' }),
        paragraph('libc6', '2.36-9+deb12u7', { Source: 'glibc', Architecture: 'i386' }),
        paragraph('dash', '0.5.12-2', { Architecture: 'amd64', Version: '0.5.12-2' }),
        paragraph('base-passwd', '1:3.6.1', { Source: 'base-passwd' }),
      ),
    ]);

    expect(await readDpkg([layer])).toEqual([
      {
        type: 'deb',
        name: 'base-passwd',
        version: '1:3.6.1',
        source: { name: 'base-passwd', version: '1:3.6.1' },
        purl: 'pkg:deb/debian/base-passwd@1:3.6.1?arch=amd64&distro=debian-12',
        layer: layer.digest,
        path: 'var/lib/dpkg/status',
      },
      {
        type: 'deb',
        name: 'bash',
        version: '5.2.15-2+b7',
        source: { name: 'bash', version: '5.2.15-2' },
        purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12',
        layer: layer.digest,
        path: 'var/lib/dpkg/status',
      },
      {
        type: 'deb',
        name: 'dash',
        version: '0.5.12-2',
        source: { name: 'dash', version: '0.5.12-2' },
        purl: 'pkg:deb/debian/dash@0.5.12-2?arch=amd64&distro=debian-12',
        layer: layer.digest,
        path: 'var/lib/dpkg/status',
      },
      {
        type: 'deb',
        name: 'libc6',
        version: '2.36-9+deb12u7',
        source: { name: 'glibc', version: '2.36-9+deb12u7' },
        purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12',
        layer: layer.digest,
        path: 'var/lib/dpkg/status',
      },
      {
        type: 'deb',
        name: 'libc6',
        version: '2.36-9+deb12u7',
        source: { name: 'glibc', version: '2.36-9+deb12u7' },
        purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=i386&distro=debian-12',
        layer: layer.digest,
        path: 'var/lib/dpkg/status',
      },
      {
        type: 'deb',
        name: 'libgcrypt20',
        version: '1.10.1-3',
        source: { name: 'libgcrypt20', version: '1.10.1-3' },
        purl: 'pkg:deb/debian/libgcrypt20@1.10.1-3?arch=amd64&distro=debian-12',
        layer: layer.digest,
        path: 'var/lib/dpkg/status',
      },
    ]);
  });

  it('reads distroless status.d files, every paragraph installed, md5sums passed over', async () => {
    const layer = await gzipLayer([
      {
        path: 'var/lib/dpkg/status.d/libssl3',
        content:
          'Package: libssl3\nVersion: 3.0.14-1~deb12u2\nArchitecture: arm64\nSource: openssl\n',
      },
      {
        path: 'var/lib/dpkg/status.d/libssl3.md5sums',
        content: 'Package: not-a-package\nVersion: 1\n',
      },
      {
        path: 'var/lib/dpkg/status.d/tzdata',
        content: 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n',
      },
    ]);

    expect(await readDpkg([layer])).toEqual([
      {
        type: 'deb',
        name: 'libssl3',
        version: '3.0.14-1~deb12u2',
        source: { name: 'openssl', version: '3.0.14-1~deb12u2' },
        purl: 'pkg:deb/debian/libssl3@3.0.14-1~deb12u2?arch=arm64&distro=debian-12',
        layer: layer.digest,
        path: 'var/lib/dpkg/status.d/libssl3',
      },
      {
        type: 'deb',
        name: 'tzdata',
        version: '2024a-0+deb12u1',
        source: { name: 'tzdata', version: '2024a-0+deb12u1' },
        purl: 'pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12',
        layer: layer.digest,
        path: 'var/lib/dpkg/status.d/tzdata',
      },
    ]);
  });

  it('names Ubuntu packages under ubuntu, and leaves out an unknown distro', async () => {
    const layer = await gzipLayer([status(paragraph('libstdc++6', '12.3.0-1ubuntu1~22.04'))]);

    const purls = async (distro: Distro | null) =>
      (await readDpkg([layer], distro)).map((found) => found.purl);

    expect(await purls({ id: 'ubuntu', versionId: '22.04', codename: 'jammy' })).toEqual([
      'pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64&distro=ubuntu-22.04',
    ]);
    expect(await purls(null)).toEqual([
      'pkg:deb/debian/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64',
    ]);
  });

  it('attributes each package to the layer that installed it at its current version', async () => {
    const base = [paragraph('libc6', '2.36-9'), paragraph('curl', '7.88.1-10')];
    const first = await gzipLayer([status(...base)]);
    // Rewrites the file for another package only: curl and libc6 stay with the first layer.
    const second = await gzipLayer([status(...base, paragraph('jq', '1.6-2.1'))]);
    const third = await gzipLayer([
      status(
        paragraph('libc6', '2.36-9'),
        paragraph('curl', '7.88.1-10+deb12u8'),
        paragraph('jq', '1.6-2.1'),
      ),
    ]);

    const layers = (await readDpkg([first, second, third])).map((found) => [
      found.name,
      found.version,
      found.layer,
    ]);

    expect(layers).toEqual([
      ['curl', '7.88.1-10+deb12u8', third.digest],
      ['jq', '1.6-2.1', second.digest],
      ['libc6', '2.36-9', first.digest],
    ]);
  });

  it('attributes a package re-installed after its status file was deleted to the re-install', async () => {
    const first = await gzipLayer([
      {
        path: 'var/lib/dpkg/status.d/base-files',
        content: 'Package: base-files\nVersion: 12.4\nArchitecture: amd64\n',
      },
    ]);
    const second = await gzipLayer([{ path: 'var/lib/dpkg/status.d/.wh.base-files', content: '' }]);
    const third = await gzipLayer([
      {
        path: 'var/lib/dpkg/status.d/base-files',
        content: 'Package: base-files\nVersion: 12.4\nArchitecture: amd64\n',
      },
    ]);

    expect((await readDpkg([first, second])).map((found) => found.name)).toEqual([]);
    expect((await readDpkg([first, second, third])).map((found) => found.layer)).toEqual([
      third.digest,
    ]);
  });

  it('drops the packages of status.d files hidden by an opaque directory', async () => {
    const file = (name: string): FixtureEntry => ({
      path: `var/lib/dpkg/status.d/${name}`,
      content: `Package: ${name}\nVersion: 1.0\nArchitecture: amd64\n`,
    });
    const first = await gzipLayer([file('a'), file('b')]);
    const second = await gzipLayer([
      { path: 'var/lib/dpkg/status.d/.wh..wh..opq', content: '' },
      file('c'),
    ]);

    expect((await readDpkg([first, second])).map((found) => [found.name, found.layer])).toEqual([
      ['c', second.digest],
    ]);
  });
});

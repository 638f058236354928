import { describe, expect, it } from 'vitest';
import { apkReader } from './apk-reader.js';
import { gzipLayer, type FixtureEntry } from '../../../testing/layer-fixtures.js';
import { collectFiles, type LayerSource } from './layer-walker.js';

async function readApk(layers: LayerSource[]) {
  const { files } = await collectFiles(layers, (path, size, mode) =>
    apkReader.wants(path, size, mode) ? apkReader.maxBytes : false,
  );
  return apkReader.read(files, { id: 'alpine', versionId: '3.20.3' });
}

function block(name: string, version: string, origin?: string): string {
  return [
    'C:Q1p3ZyW8kKQh0E7l4dCj1UQd4n2CQ=',
    `P:${name}`,
    `V:${version}`,
    'A:x86_64',
    'S:123456',
    'I:456789',
    `T:the ${name} package`,
    'L:MIT',
    ...(origin ? [`o:${origin}`] : []),
    'F:usr/bin',
    `R:${name}`,
    'a:0:0:755',
  ].join('\n');
}

const installed = (...blocks: string[]): FixtureEntry => ({
  path: 'lib/apk/db/installed',
  content: `${blocks.join('\n\n')}\n\n`,
});

describe('apkReader', () => {
  it('lists the packages of the installed database', async () => {
    const layer = await gzipLayer([
      installed(
        block('musl', '1.2.5-r0', 'musl'),
        block('libcrypto3', '3.3.2-r0', 'openssl'),
        block('no-origin', '1-r0'),
      ),
    ]);

    expect(await readApk([layer])).toEqual([
      {
        type: 'apk',
        name: 'libcrypto3',
        version: '3.3.2-r0',
        source: { name: 'openssl', version: '3.3.2-r0' },
        purl: 'pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3',
        layer: layer.digest,
        path: 'lib/apk/db/installed',
      },
      {
        type: 'apk',
        name: 'musl',
        version: '1.2.5-r0',
        source: { name: 'musl', version: '1.2.5-r0' },
        purl: 'pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3',
        layer: layer.digest,
        path: 'lib/apk/db/installed',
      },
      {
        type: 'apk',
        name: 'no-origin',
        version: '1-r0',
        purl: 'pkg:apk/alpine/no-origin@1-r0?arch=x86_64&distro=alpine-3.20.3',
        layer: layer.digest,
        path: 'lib/apk/db/installed',
      },
    ]);
  });

  it('attributes an upgraded package to the layer that upgraded it', async () => {
    const first = await gzipLayer([
      installed(block('musl', '1.2.5-r0'), block('busybox', '1.36.1-r29')),
    ]);
    const second = await gzipLayer([
      installed(
        block('musl', '1.2.5-r0'),
        block('busybox', '1.36.1-r29'),
        block('curl', '8.10.1-r0'),
      ),
    ]);
    const third = await gzipLayer([
      installed(
        block('musl', '1.2.5-r1'),
        block('busybox', '1.36.1-r29'),
        block('curl', '8.10.1-r0'),
      ),
    ]);

    const layers = (await readApk([first, second, third])).map((found) => [
      found.name,
      found.version,
      found.layer,
    ]);

    expect(layers).toEqual([
      ['busybox', '1.36.1-r29', first.digest],
      ['curl', '8.10.1-r0', second.digest],
      ['musl', '1.2.5-r1', third.digest],
    ]);
  });

  it('finds nothing once the database is deleted', async () => {
    const first = await gzipLayer([installed(block('musl', '1.2.5-r0'))]);
    const second = await gzipLayer([{ path: 'lib/apk/db/.wh.installed', content: '' }]);

    expect(await readApk([first, second])).toEqual([]);
  });
});

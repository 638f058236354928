import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import {
  OCI_GZIP,
  OCI_ZSTD,
  gzip,
  gzipLayer,
  hasGnuTar,
  layerOf,
  sparseTar,
  streamedLayer,
  tarOf,
  zerosInGzipMembers,
  zstdZerosBomb,
  type SparseFormat,
} from '../../../testing/layer-fixtures.js';
import { defaultReaders, readInventory } from './inventory.js';
import { LayerRejectedError, collectFiles, type LayerSource } from './layer-walker.js';

/*
 * Layers made to hurt a scanner: each must fail the image's scan with a message that names the
 * layer (or, where a runtime would extract it harmlessly, be read or skipped), write nothing,
 * follow no link out of the image, and hold no more memory than an ordinary layer does.
 */

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const dpkgStatus = (...packages: [string, string][]) =>
  packages
    .map(
      ([name, version]) =>
        `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n`,
    )
    .join('\n');

/** The failure of `walking`, which must be a rejection of `layer`. */
async function rejectionOf(walking: Promise<unknown>, layer: LayerSource): Promise<string> {
  const error = await walking.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LayerRejectedError);
  expect((error as LayerRejectedError).layer).toBe(layer.digest);
  const { message } = error as Error;
  expect(message.startsWith(`layer ${layer.digest} rejected: `)).toBe(true);
  return message;
}

/**
 * The most the process's resident memory and its Buffers grew above where they were while
 * `work` ran. A 1 ms sampler sees the memory a synchronous burst left queued in streams; RSS
 * rarely shrinks soon after, so the peak is not missed between samples.
 */
async function memoryGrowth(
  work: () => Promise<unknown>,
): Promise<{ rss: number; buffers: number }> {
  const before = process.memoryUsage();
  const peak = { rss: before.rss, buffers: before.arrayBuffers };
  const sample = () => {
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.buffers = Math.max(peak.buffers, now.arrayBuffers);
  };
  const sampler = setInterval(sample, 1);
  try {
    await work();
  } finally {
    clearInterval(sampler);
    sample();
  }
  return { rss: peak.rss - before.rss, buffers: peak.buffers - before.arrayBuffers };
}

describe('path traversal', () => {
  const marker = `traversal-probe-${process.pid}-${Date.now()}`;
  const base = () =>
    gzipLayer([{ path: 'var/lib/dpkg/status', content: dpkgStatus(['base-files', '12.4']) }]);

  it.each([
    ['../../etc/passwd', '../../etc/passwd'],
    ['./a/../../x', './a/../../x'],
    ['var/lib/../../../var/lib/dpkg/status', 'var/lib/../../../var/lib/dpkg/status'],
    ['/../var/lib/dpkg/status', '/../var/lib/dpkg/status'],
    // Longer than a ustar name and prefix hold: tar-stream writes it as a PAX `path` record.
    ['90 × ../ then var/lib/dpkg/status', `${'../'.repeat(90)}var/lib/dpkg/status`],
  ])('fails the scan of a layer with an entry named %s, reading none of it', async (_, name) => {
    const hostile = await gzipLayer([
      { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { path: name, content: dpkgStatus([marker, '1']) },
    ]);

    const walking = readInventory([await base(), hostile], defaultReaders);

    const message = await rejectionOf(walking, hostile);
    expect(message).toContain(`a tar entry names ${JSON.stringify(name).slice(0, 60)}`);
    expect(message).toContain("outside the image's root (a path traversal)");
    // Nothing was extracted: no file anywhere the entry could have pointed holds the marker.
    for (const path of [name, `/${name}`, 'var/lib/dpkg/status', '/var/lib/dpkg/status']) {
      const written = resolve(path);
      // Only files: on a machine where one of these names is a directory, it holds no marker.
      const isFile = existsSync(written) && statSync(written).isFile();
      expect(isFile && readFileSync(written, 'utf8').includes(marker)).toBe(false);
    }
  });

  it('fails the scan of a layer with a name longer than a Linux path can be', async () => {
    const name = `${'d/'.repeat(2048)}status`;
    const hostile = await gzipLayer([{ path: name, content: 'x' }]);

    const message = await rejectionOf(readInventory([hostile], defaultReaders), hostile);

    expect(message).toContain(`a tar entry names a path of 4102 bytes, over Linux's 4096: "d/d/`);
  });

  it('fails the scan of a layer with a hard link to a file outside the root', async () => {
    const hostile = await gzipLayer([
      { path: 'etc/shadow', type: 'link', target: '../../../etc/shadow' },
    ]);

    const message = await rejectionOf(readInventory([hostile], defaultReaders), hostile);

    expect(message).toContain('a tar entry links to "../../../etc/shadow", outside');
  });

  it('fails the scan of a sparse entry whose real name climbs out of the root', async () => {
    const archive = pack();
    archive.entry(
      {
        name: 'var/lib/dpkg/GNUSparseFile.0/status',
        size: 0,
        pax: { 'GNU.sparse.name': '../../var/lib/dpkg/status', 'GNU.sparse.realsize': '1' },
      },
      '',
    );
    archive.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of archive) chunks.push(chunk as Buffer);
    const hostile = layerOf(gzip(Buffer.concat(chunks)), OCI_GZIP);

    const message = await rejectionOf(readInventory([hostile], defaultReaders), hostile);

    expect(message).toContain('a tar entry names "../../var/lib/dpkg/status", outside');
  });
});

describe('links are never followed', () => {
  it('reads nothing through symlinks and hard links to the host’s own databases', async () => {
    // This machine's own files: what a scanner that followed links out of the image would read.
    const lower = await gzipLayer([
      { path: 'var/lib/dpkg/status', content: dpkgStatus(['base-files', '12.4']) },
      {
        path: 'usr/lib/node_modules/left-pad/package.json',
        content: '{"name":"left-pad","version":"1.3.0"}',
      },
    ]);
    const links = await gzipLayer([
      { path: 'etc/os-release', type: 'symlink', target: '/etc/os-release' },
      { path: 'usr/lib/os-release', type: 'symlink', target: '../../../../etc/os-release' },
      // A directory replaced by a link to itself: the lower database is gone with it.
      { path: 'var/lib/dpkg', type: 'symlink', target: '/var/lib/dpkg' },
      { path: 'usr/lib/node_modules', type: 'symlink', target: '/usr/lib/node_modules' },
      { path: 'lib/apk/db/installed', type: 'symlink', target: '/lib/apk/db/installed' },
      { path: 'var/lib/rpm/rpmdb.sqlite', type: 'link', target: '/var/lib/rpm/rpmdb.sqlite' },
      { path: 'usr/local/bin/node', type: 'link', target: '/usr/bin/node' },
      // Loops, directory and file alike, are two entries each and nothing more.
      { path: 'a', type: 'symlink', target: 'b' },
      { path: 'b', type: 'symlink', target: 'a' },
      { path: 'a/b/c', type: 'symlink', target: '../../a' },
      { path: 'self', type: 'symlink', target: 'self/self' },
    ]);

    expect(await readInventory([lower, links], defaultReaders)).toEqual({
      distro: null,
      packages: [],
      skipped: [],
    });
  });
});

describe.skipIf(!hasGnuTar())('sparse files', () => {
  const formats: SparseFormat[] = ['pax-0.0', 'pax-0.1', 'pax-1.0'];

  it.each(formats)(
    'skips and reports a 10 GiB sparse database (GNU tar, %s), never expanding it',
    async (format) => {
      const lower = await gzipLayer([
        { path: 'var/lib/dpkg/status', content: dpkgStatus(['base-files', '12.4']) },
      ]);
      const tar = sparseTar('var/lib/dpkg/status', {
        size: 10 * GiB,
        regions: [{ at: 5 * GiB, data: dpkgStatus(['hidden', '1']) }],
        format,
      });
      const sparse = layerOf(gzip(tar), OCI_GZIP);

      // 64 KiB decompressed at most: had the walker expanded the file, it would be refused.
      const inventory = await readInventory([lower, sparse], defaultReaders, {
        maxLayerBytes: 64 * 1024,
      });

      // The sparse file replaced the lower database; what it holds is not guessed at.
      expect(inventory).toEqual({
        distro: null,
        packages: [],
        skipped: [
          {
            path: 'var/lib/dpkg/status',
            layer: sparse.digest,
            size: 10 * GiB,
            reason: 'a sparse file, which the scanner does not expand',
          },
        ],
      });
    },
  );

  it.each([
    ['with a map that fits its header', 1],
    ['with a map continued in extension blocks', 6],
  ])('fails the scan of an old-style GNU sparse file %s', async (_name, regions) => {
    // GNU tar's own header holds four regions; more go in extension blocks after it.
    const tar = sparseTar('var/lib/dpkg/status', {
      size: 10 * GiB,
      regions: Array.from({ length: regions }, (_, i) => ({
        at: (i + 1) * GiB,
        data: dpkgStatus([`hidden-${i}`, '1']),
      })),
      format: 'gnu',
    });
    const sparse = layerOf(gzip(tar), OCI_GZIP);

    const message = await rejectionOf(readInventory([sparse], defaultReaders), sparse);

    expect(message).toContain(
      'the tar entry "var/lib/dpkg/status" has a type the scanner cannot read',
    );
  });
});

describe('decompression bombs and huge files', () => {
  it('reads a gzip stream of several members as one, as gzip does', async () => {
    const tar = await tarOf([
      { path: 'etc/a', content: Buffer.alloc(3000, 'a') },
      { path: 'etc/b', content: 'b' },
    ]);
    const members = Buffer.concat([gzip(tar.subarray(0, 1000)), gzip(tar.subarray(1000))]);
    expect(execFileSync('gzip', ['-dc'], { input: members }).equals(tar)).toBe(true);

    const { files } = await collectFiles([layerOf(members, OCI_GZIP)], () => 4096);

    expect([...files.final.keys()]).toEqual(['etc/a', 'etc/b']);
    expect(files.final.get('etc/a')?.content).toEqual(Buffer.alloc(3000, 'a'));
  });

  it('refuses 10 GiB of zeros in a 10 MiB gzip layer after reading a few of its members', async () => {
    const { layer, pulled } = zerosInGzipMembers('opt/zeros', 10 * GiB);

    let message = '';
    const growth = await memoryGrowth(async () => {
      message = await rejectionOf(
        collectFiles([layer], () => false),
        layer,
      );
    });

    expect(message).toMatch(
      /decompresses to more than 200 times its size .*: a decompression bomb/,
    );
    // 160 members of 64 MiB: the ratio is checked from 64 MiB on, so the second one is refused
    // (the source is read a chunk or two ahead).
    expect(pulled().chunks).toBeLessThanOrEqual(6);
    expect(growth.rss).toBeLessThan(256 * MiB);
  });

  it('refuses a 10 GiB file past the size limit with memory that does not grow with it', async () => {
    const { layer, pulled } = zerosInGzipMembers('var/lib/dpkg/status', 10 * GiB);

    let message = '';
    const growth = await memoryGrowth(async () => {
      message = await rejectionOf(
        readInventory([layer], defaultReaders, { maxRatio: 1e9, maxLayerBytes: 256 * MiB }),
        layer,
      );
    });

    expect(message).toContain(`more than ${256 * MiB} bytes decompressed`);
    // 256 MiB is 4 members of 64 MiB; the header's member and the one in flight come on top.
    expect(pulled().chunks).toBeLessThanOrEqual(9);
    expect(growth.rss).toBeLessThan(256 * MiB);
  });

  it('refuses a zstd bomb of RLE blocks without first inflating the chunk that holds it', async () => {
    const bomb = zstdZerosBomb('opt/zeros', GiB);
    // What the zstd CLI accepts as a whole, valid stream.
    expect(spawnSync('zstd', ['-t', '-q'], { input: bomb }).status).toBe(0);
    expect(bomb.length).toBeLessThan(40 * 1024);
    // One chunk, as a blob store may well hand over a 32 KiB blob.
    const { layer } = streamedLayer('sha256:zstd-bomb', OCI_ZSTD, () => [bomb]);

    let message = '';
    const growth = await memoryGrowth(async () => {
      message = await rejectionOf(
        collectFiles([layer], () => false),
        layer,
      );
    });

    expect(message).toMatch(
      /decompresses to more than 200 times its size .*: a decompression bomb/,
    );
    // Decoded in one push, the chunk's 8,193 blocks would be 1 GiB of Buffers at once.
    expect(growth.buffers).toBeLessThan(256 * MiB);
    expect(growth.rss).toBeLessThan(256 * MiB);
  });
});

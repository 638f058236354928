import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  DOCKER_GZIP,
  OCI_GZIP,
  OCI_TAR,
  OCI_ZSTD,
  gzip,
  gzipLayer,
  layerOf,
  tarOf,
  zerosLayer,
  zstd,
  type FixtureEntry,
} from '../../../testing/layer-fixtures.js';
import {
  LayerRejectedError,
  collectFiles,
  normalizePath,
  type LayerSource,
} from './layer-walker.js';

const half = (bytes: Buffer) => bytes.subarray(0, bytes.length >> 1);

const wantsUnderEtc = (path: string) => (path.startsWith('etc/') ? 1024 : false);

/** `final` as path → text, the view most assertions need. */
async function finalTexts(layers: readonly LayerSource[], wants = wantsUnderEtc) {
  const { files } = await collectFiles(layers, wants);
  return Object.fromEntries(
    [...files.final].map(([path, file]) => [path, file.content.toString('utf8')]),
  );
}

const sample: FixtureEntry[] = [
  { path: 'etc/', type: 'directory' },
  { path: 'etc/hostname', content: 'berth\n' },
  { path: 'usr/bin/tool', content: 'binary' },
];

describe('collectFiles: compression', () => {
  it.each([
    ['gzip', OCI_GZIP, gzip],
    ['zstd', OCI_ZSTD, zstd],
    ['no', OCI_TAR, (bytes: Buffer) => bytes],
    ["Docker's gzip media type and", DOCKER_GZIP, gzip],
    ['gzip under a generic media type', 'application/octet-stream', gzip],
    ['zstd under a gzip media type', OCI_GZIP, zstd],
    ['no compression under a zstd media type', OCI_ZSTD, (bytes: Buffer) => bytes],
  ])('reads layers with %s compression', async (_name, mediaType, compress) => {
    const layer = layerOf(compress(await tarOf(sample)), mediaType);

    const { files, skipped } = await collectFiles([layer], wantsUnderEtc);

    expect([...files.final.values()]).toEqual([
      { path: 'etc/hostname', content: Buffer.from('berth\n'), layer: layer.digest, mode: 0o644 },
    ]);
    expect(skipped).toEqual([]);
  });

  it('reads an empty blob as an empty layer', async () => {
    expect(await finalTexts([layerOf(Buffer.alloc(0), OCI_TAR)])).toEqual({});
  });
});

describe('collectFiles: paths', () => {
  it.each([
    ['./etc/a', 'etc/a'],
    ['/etc/a', 'etc/a'],
    ['etc//./a/', 'etc/a'],
    ['etc/x/../a', 'etc/a'],
    ['./', ''],
    ['../../etc/passwd', null],
    ['./a/../../x', null],
    ['/../etc/passwd', null],
    ['..', null],
  ])('normalizes %s to %s', (name, expected) => {
    expect(normalizePath(name)).toBe(expected);
  });

  it('reads absolute names as paths below the root, as runtimes extract them', async () => {
    const layer = await gzipLayer([
      { path: '/etc/group', content: 'root:x:0:\n' },
      { path: '/etc/x/../passwd', content: 'root:x:0:0\n' },
    ]);

    expect(await finalTexts([layer])).toEqual({
      'etc/passwd': 'root:x:0:0\n',
      'etc/group': 'root:x:0:\n',
    });
  });

  it('asks about regular files only, with their size and permission bits', async () => {
    const asked: [string, number, number][] = [];
    const layer = await gzipLayer([
      { path: 'etc/', type: 'directory' },
      { path: 'etc/tool', content: 'abc', mode: 0o4755 },
      { path: 'etc/link', type: 'symlink', target: 'tool' },
      { path: 'etc/hard', type: 'link', target: 'etc/tool' },
      { path: 'etc/.wh.gone', content: '' },
    ]);

    await collectFiles([layer], (path, size, mode) => {
      asked.push([path, size, mode]);
      return false;
    });

    expect(asked).toEqual([['etc/tool', 3, 0o4755]]);
  });
});

describe('collectFiles: layers and whiteouts', () => {
  it('keeps every version in history and the last one in final', async () => {
    const first = await gzipLayer([{ path: 'etc/a', content: 'one' }]);
    const second = await gzipLayer([{ path: 'etc/b', content: 'other' }]);
    const third = await gzipLayer([{ path: 'etc/a', content: 'three' }]);

    const { files } = await collectFiles([first, second, third], wantsUnderEtc);

    const version = (content: string, layer: LayerSource) => ({
      path: 'etc/a',
      content: Buffer.from(content),
      layer: layer.digest,
      mode: 0o644,
    });
    expect(files.history.get('etc/a')).toEqual([version('one', first), version('three', third)]);
    expect(files.final.get('etc/a')).toEqual(version('three', third));
    expect([...files.final.keys()]).toEqual(['etc/a', 'etc/b']);
  });

  it('deletes a file whited out by a later layer, and marks its re-creation', async () => {
    const first = await gzipLayer([
      { path: 'etc/a', content: 'a' },
      { path: 'etc/b', content: 'b' },
    ]);
    const second = await gzipLayer([{ path: 'etc/.wh.a', content: '' }]);
    const third = await gzipLayer([{ path: 'etc/a', content: 'again' }]);

    expect(await finalTexts([first, second])).toEqual({ 'etc/b': 'b' });
    const { files } = await collectFiles([first, second, third], wantsUnderEtc);
    expect(files.history.get('etc/a')?.map((file) => file.recreated)).toEqual([undefined, true]);
  });

  it('deletes a whited-out directory with everything below it', async () => {
    const first = await gzipLayer([
      { path: 'etc/app/a', content: 'a' },
      { path: 'etc/app/sub/b', content: 'b' },
      { path: 'etc/apple', content: 'kept' },
    ]);
    const second = await gzipLayer([{ path: 'etc/.wh.app', content: '' }]);

    expect(await finalTexts([first, second])).toEqual({ 'etc/apple': 'kept' });
  });

  it('hides what lower layers put in an opaque directory, not what its own layer adds', async () => {
    const first = await gzipLayer([
      { path: 'etc/app/old', content: 'old' },
      { path: 'etc/app/sub/deep', content: 'deep' },
      { path: 'etc/other', content: 'other' },
    ]);
    // The opaque marker after the new file: the spec applies it first whatever its position.
    const second = await gzipLayer([
      { path: 'etc/app/new', content: 'new' },
      { path: 'etc/app/.wh..wh..opq', content: '' },
    ]);

    expect(await finalTexts([first, second])).toEqual({
      'etc/app/new': 'new',
      'etc/other': 'other',
    });
  });

  it('leaves files of the whiteout’s own layer alone', async () => {
    const first = await gzipLayer([{ path: 'etc/a', content: 'lower' }]);
    const second = await gzipLayer([
      { path: 'etc/a', content: 'upper' },
      { path: 'etc/.wh.a', content: '' },
    ]);

    expect(await finalTexts([first, second])).toEqual({ 'etc/a': 'upper' });
  });

  it('replaces a directory by a file or a symlink, a file by a directory or a symlink', async () => {
    const first = await gzipLayer([
      { path: 'etc/d/a', content: 'in d' },
      { path: 'etc/f', content: 'file' },
      { path: 'etc/os-release', content: 'ID=x' },
      { path: 'etc/lib/x', content: 'in a directory that becomes a symlink' },
      { path: 'etc/keep', content: 'keep' },
    ]);
    const second = await gzipLayer([
      { path: 'etc/d', content: 'now a file' },
      { path: 'etc/f/', type: 'directory' },
      { path: 'etc/os-release', type: 'symlink', target: '../usr/lib/os-release' },
      { path: 'etc/lib', type: 'symlink', target: '../usr/lib' },
    ]);

    expect(await finalTexts([first, second])).toEqual({
      'etc/d': 'now a file',
      'etc/keep': 'keep',
    });
  });

  it('keeps a directory’s files when a later layer only changes the directory', async () => {
    const first = await gzipLayer([{ path: 'etc/d/a', content: 'a' }]);
    const second = await gzipLayer([{ path: 'etc/d/', type: 'directory' }]);

    expect(await finalTexts([first, second])).toEqual({ 'etc/d/a': 'a' });
  });

  it('records nothing for a symlink loop and passes it by', async () => {
    const layer = await gzipLayer([
      { path: 'etc/a', type: 'symlink', target: 'b' },
      { path: 'etc/b', type: 'symlink', target: 'a' },
      { path: 'etc/self', type: 'symlink', target: 'self' },
      { path: 'etc/c', content: 'after the loop' },
    ]);

    expect(await finalTexts([layer])).toEqual({ 'etc/c': 'after the loop' });
  });
});

describe('collectFiles: sizes and limits', () => {
  it('drains files too large to keep, reports wanted ones, and reads on', async () => {
    const layer = zerosLayer(
      'sha256:zeros',
      [
        { path: 'var/big-unwanted', size: 50 * 1024 * 1024 },
        { path: 'etc/big-wanted', size: 5 * 1024 * 1024 },
      ],
      [{ path: 'etc/small', content: 'small' }],
    );

    const { files, skipped } = await collectFiles([layer], (path) =>
      path.startsWith('etc/') ? 1024 * 1024 : false,
    );

    expect([...files.final.keys()]).toEqual(['etc/small']);
    expect(skipped).toEqual([
      {
        path: 'etc/big-wanted',
        layer: 'sha256:zeros',
        size: 5 * 1024 * 1024,
        reason: 'larger than the 1048576 bytes kept for this file',
      },
    ]);
  });

  it('stops keeping files once the whole image has used its budget, and reports the rest', async () => {
    const first = await gzipLayer([{ path: 'etc/a', content: '1234' }]);
    const second = await gzipLayer([
      { path: 'etc/b', content: '5678' },
      { path: 'etc/c', content: '9' },
    ]);

    const { files, skipped } = await collectFiles([first, second], wantsUnderEtc, {
      maxKeptBytes: 6,
    });

    expect([...files.final.keys()]).toEqual(['etc/a', 'etc/c']);
    expect(skipped).toEqual([
      {
        path: 'etc/b',
        layer: second.digest,
        size: 4,
        reason: 'over the 6 bytes kept for the whole image',
      },
    ]);
  });

  it('rejects a decompression bomb', async () => {
    const bomb = zerosLayer('sha256:bomb', [{ path: 'zeros', size: 300 * 1024 * 1024 }]);

    const walking = collectFiles([bomb], () => false, {
      maxRatio: 50,
      ratioCheckAfter: 4 * 1024 * 1024,
    });

    await expect(walking).rejects.toThrow(LayerRejectedError);
    await expect(walking).rejects.toThrow(
      /sha256:bomb rejected: decompresses to more than 50 times/,
    );
  });

  it('rejects a layer larger than the limit once decompressed', async () => {
    const layer = zerosLayer('sha256:large', [{ path: 'zeros', size: 8 * 1024 * 1024 }]);

    await expect(
      collectFiles([layer], () => false, { maxLayerBytes: 2 * 1024 * 1024 }),
    ).rejects.toThrow(/sha256:large rejected: more than 2097152 bytes decompressed/);
  });

  it('rejects a layer with too many entries', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => ({ path: `f${i}`, content: '' }));
    const layer = await gzipLayer(entries);

    await expect(collectFiles([layer], () => false, { maxEntries: 10 })).rejects.toThrow(
      new LayerRejectedError(layer.digest, 'more than 10 tar entries'),
    );
  });

  it.each([
    ['a truncated gzip stream', (tar: Buffer) => half(gzip(tar)), OCI_GZIP],
    ['a truncated zstd stream', (tar: Buffer) => half(zstd(tar)), OCI_ZSTD],
    ['a truncated tar', (tar: Buffer) => tar.subarray(0, 700), OCI_TAR],
    ['a corrupt tar header', (tar: Buffer) => Buffer.from(tar).fill(7, 100, 140), OCI_TAR],
    ['bytes that are no tar at all', () => Buffer.alloc(4096, 'x'), OCI_TAR],
  ])('rejects %s', async (_name, damage, mediaType) => {
    const content = Buffer.alloc(20_000, 'status ');
    const tar = await tarOf([
      { path: 'etc/a', content },
      { path: 'etc/b', content },
    ]);
    const layer = layerOf(damage(tar), mediaType);

    const walking = collectFiles([layer], wantsUnderEtc);

    await expect(walking).rejects.toThrow(LayerRejectedError);
    await expect(walking).rejects.toThrow(`layer ${layer.digest} rejected: not a readable`);
  });

  it.each([
    ['before any byte', 0],
    ['after some bytes', 100],
  ])(
    'passes on a failure of the blob store %s as it is, not as a bad layer',
    async (_when, bytes) => {
      const failure = new Error('blob store unavailable');
      const layer: LayerSource = {
        digest: 'sha256:unreadable',
        mediaType: OCI_GZIP,
        open: async () =>
          Readable.from(
            (async function* () {
              if (bytes > 0) yield gzip(await tarOf(sample)).subarray(0, bytes);
              throw failure;
            })(),
          ),
      };

      await expect(collectFiles([layer], wantsUnderEtc)).rejects.toBe(failure);
    },
  );
});

import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import {
  TAR_END_BYTES,
  blobEntryName,
  digestOfEntryName,
  parseRefName,
  tarFileBytes,
  tarHeaderBytes,
} from './layout-format.js';

const digest = (alg: 'sha256' | 'sha512', text: string) =>
  `${alg}:${createHash(alg).update(text).digest('hex')}`;

describe('tar sizes known before writing (the export Content-Length)', () => {
  it('match what tar-stream writes, for ustar names and pax-headed sha512 names', async () => {
    const files = [
      { name: 'oci-layout', size: 30 },
      { name: 'index.json', size: 512 },
      { name: blobEntryName(digest('sha256', 'a')), size: 0 },
      { name: blobEntryName(digest('sha256', 'b')), size: 1025 },
      // 141 characters: too long for ustar's name field, split or not, so tar-stream adds a pax header.
      { name: blobEntryName(digest('sha512', 'c')), size: 777 },
    ];
    const pack = tar.pack();
    let written = 0;
    const counting = pipeline(
      pack,
      new Writable({
        write(chunk: Buffer, _e, cb) {
          written += chunk.length;
          cb();
        },
      }),
    );
    for (const dir of ['blobs/', 'blobs/sha256/', 'blobs/sha512/']) {
      await new Promise((resolve) => pack.entry({ name: dir, type: 'directory' }, resolve));
    }
    for (const f of files) {
      await new Promise((resolve) =>
        pack.entry({ name: f.name }, Buffer.alloc(f.size, 1), resolve),
      );
    }
    pack.finalize();
    await counting;
    const expected =
      ['blobs/', 'blobs/sha256/', 'blobs/sha512/'].reduce((s, d) => s + tarHeaderBytes(d), 0) +
      files.reduce((s, f) => s + tarFileBytes(f.name, f.size), 0) +
      TAR_END_BYTES;
    expect(tarHeaderBytes(files[4]!.name)).toBeGreaterThan(512);
    expect(written).toBe(expected);
  });
});

describe('ref names', () => {
  it.each([
    ['app:1.0', { repository: 'app', tag: '1.0' }],
    ['tools/build:latest', { repository: 'tools/build', tag: 'latest' }],
    ['docker.io/library/alpine:3.19', { repository: 'docker.io/library/alpine', tag: '3.19' }],
    ['latest', { repository: null, tag: 'latest' }],
  ])('%s', (ref, expected) => {
    expect(parseRefName(ref)).toEqual(expected);
  });

  it.each([':v1', 'app:', 'app:bad tag', 'app:-lead'])('refuses %s', (ref) => {
    expect(parseRefName(ref)).toBeNull();
  });

  it('maps blob entry names to digests and nothing else', () => {
    const d = digest('sha256', 'x');
    expect(digestOfEntryName(blobEntryName(d))).toBe(d);
    expect(digestOfEntryName('blobs/sha256/abc')).toBeNull();
    expect(digestOfEntryName(`blobs/md5/${'a'.repeat(32)}`)).toBeNull();
    expect(digestOfEntryName(`../blobs/sha256/${d.slice(7)}`)).toBeNull();
  });
});

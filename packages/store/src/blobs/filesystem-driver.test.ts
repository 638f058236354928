import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StorageFullError } from '@berth/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STAGING_OWNER } from '../staging-owner.js';
import { mountTmpfs, tmpfsUnavailable } from '../testing/tmpfs.js';
import { DigestMismatchError, InvalidDigestError } from './blob-driver.js';
import { collect, digestOf, runBlobDriverSuite } from './blob-driver-suite.js';
import { createFilesystemDriver } from './filesystem-driver.js';

async function makeRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'berth-blobs-'));
}

runBlobDriverSuite('filesystem', async () => {
  const root = await makeRoot();
  return {
    driver: createFilesystemDriver(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('filesystem driver specifics', () => {
  let root: string;

  beforeEach(async () => {
    root = await makeRoot();
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const tempFiles = async () => readdir(join(root, 'uploads-tmp')).catch(() => []);

  it('stores blobs at blobs/sha256/<2 hex>/<hex>', async () => {
    const bytes = Buffer.from('layout');
    const digest = digestOf(bytes);
    const hex = digest.slice('sha256:'.length);
    await createFilesystemDriver(root).put(digest, bytes);
    expect(existsSync(join(root, 'blobs', 'sha256', hex.slice(0, 2), hex))).toBe(true);
    expect(await tempFiles()).toEqual([]);
  });

  it('stores sha512 blobs at blobs/sha512/<2 hex>/<hex>', async () => {
    const bytes = Buffer.from('layout');
    const digest = digestOf(bytes, 'sha512');
    const hex = digest.slice('sha512:'.length);
    await createFilesystemDriver(root).put(digest, bytes);
    expect(existsSync(join(root, 'blobs', 'sha512', hex.slice(0, 2), hex))).toBe(true);
    expect(existsSync(join(root, 'blobs', 'sha256'))).toBe(false);
  });

  it('adopting content stored already leaves the stored file in place, not renamed over', async () => {
    // Renaming over it would free the old file inside the request: ~35 ms for a 100 MiB layer
    // pushed again into another repository.
    const bytes = Buffer.from('layer pushed twice');
    const digest = digestOf(bytes);
    const hex = digest.slice('sha256:'.length);
    const driver = createFilesystemDriver(root);
    await driver.put(digest, bytes);
    const stored = join(root, 'blobs', 'sha256', hex.slice(0, 2), hex);
    const before = await stat(stored);
    const upload = join(root, 'an-upload');
    await writeFile(upload, bytes);
    await driver.adopt(digest, upload, { size: bytes.length });
    expect((await stat(stored)).ino).toBe(before.ino);
    await expect.poll(() => existsSync(upload)).toBe(false);
  });

  it('adopts stored bytes into place, replacing what was stored, and a reader opened before keeps the old bytes', async () => {
    const plain = Buffer.from('plaintext stored before encryption');
    const digest = digestOf(plain);
    const hex = digest.slice('sha256:'.length);
    const driver = createFilesystemDriver(root);
    const stored = join(root, 'blobs', 'sha256', hex.slice(0, 2), hex);

    // Into an empty store: the file becomes the blob, and its shard directory is made.
    const first = join(root, 'first-upload');
    await writeFile(first, 'ciphertext one');
    await driver.adoptStored!(digest, first);
    expect(await collect((await driver.get(digest))!)).toEqual(Buffer.from('ciphertext one'));
    expect(existsSync(first)).toBe(false);

    // Over stored bytes: replaced at once, never half of each.
    await driver.putStored(digest, plain, {
      sha256: createHash('sha256').update(plain).digest('hex'),
      size: plain.length,
    });
    const reader = (await driver.openReader!(digest))!;
    const second = join(root, 'second-upload');
    await writeFile(second, 'ciphertext two');
    await driver.adoptStored!(digest, second);
    expect(await collect((await driver.get(digest))!)).toEqual(Buffer.from('ciphertext two'));
    expect(existsSync(second)).toBe(false);
    const old = Buffer.alloc(plain.length);
    expect(await reader.read(old, old.length, 0)).toBe(plain.length);
    expect(old).toEqual(plain);
    await reader.close();
    expect((await readdir(join(root, 'blobs', 'sha256', hex.slice(0, 2)))).sort()).toEqual([hex]);
    expect((await stat(stored)).size).toBe('ciphertext two'.length);

    // A malformed digest is refused before any path is made of it; the file stays.
    const third = join(root, 'third-upload');
    await writeFile(third, 'x');
    await expect(driver.adoptStored!('sha256:../../etc', third)).rejects.toThrow(
      InvalidDigestError,
    );
    expect(existsSync(third)).toBe(true);
  });

  it('opens a blob for positioned reads, which go on through a delete', async () => {
    const driver = createFilesystemDriver(root);
    const bytes = Buffer.from('0123456789abcdef');
    const digest = digestOf(bytes);
    await driver.put(digest, bytes);
    expect(await driver.openReader!(digestOf(Buffer.from('absent')))).toBeNull();
    const reader = (await driver.openReader!(digest))!;
    try {
      expect(reader.size).toBe(16);
      await driver.delete(digest);
      const buffer = Buffer.alloc(8);
      expect(await reader.read(buffer, 6, 10)).toBe(6);
      expect(buffer.subarray(0, 6).toString()).toBe('abcdef');
      expect(await reader.read(buffer, 8, 16)).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('creates nothing on disk until the first put', async () => {
    const driver = createFilesystemDriver(join(root, 'not-yet'));
    expect(await driver.stat(digestOf(Buffer.from('x')))).toBeNull();
    for await (const _ of driver.list()) throw new Error('expected an empty listing');
    expect(existsSync(join(root, 'not-yet'))).toBe(false);
  });

  it('leaves no temp file and no blob after a digest mismatch', async () => {
    const driver = createFilesystemDriver(root);
    const wrong = digestOf(Buffer.from('expected'));
    await expect(driver.put(wrong, Buffer.from('actual'))).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
    expect(await tempFiles()).toEqual([]);
    expect(existsSync(join(root, 'blobs'))).toBe(false);
  });

  it('never turns a malformed digest into a path', async () => {
    const driver = createFilesystemDriver(join(root, 'store'));
    await expect(driver.put('sha256:../../escape', Buffer.from('x'))).rejects.toBeInstanceOf(
      InvalidDigestError,
    );
    expect(existsSync(join(root, 'store'))).toBe(false);
    expect(existsSync(join(root, 'escape'))).toBe(false);
  });

  it('keeps a partly written blob out of the final path', async () => {
    const driver = createFilesystemDriver(root);
    const bytes = Buffer.alloc(1 << 20, 7);
    const digest = digestOf(bytes);
    const hex = digest.slice('sha256:'.length);
    let release!: () => void;
    const halfway = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reachedHalfway!: () => void;
    const reached = new Promise<void>((resolve) => {
      reachedHalfway = resolve;
    });
    async function* slow(): AsyncIterable<Uint8Array> {
      yield bytes.subarray(0, bytes.length / 2);
      reachedHalfway();
      await halfway;
      yield bytes.subarray(bytes.length / 2);
    }
    const put = driver.put(digest, slow());
    await reached;
    // Stand-in for a crash at this moment: what is on disk is what a restart would find.
    expect(existsSync(join(root, 'blobs', 'sha256', hex.slice(0, 2), hex))).toBe(false);
    expect(await driver.stat(digest)).toBeNull();
    expect(await tempFiles()).toHaveLength(1);
    release();
    await expect(put).resolves.toEqual({ size: bytes.length });
    expect(await tempFiles()).toEqual([]);
  });

  it('ignores stray files when listing', async () => {
    const driver = createFilesystemDriver(root);
    const bytes = Buffer.from('listed');
    await driver.put(digestOf(bytes), bytes);
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'blobs', 'sha256', 'zz'), { recursive: true });
    await writeFile(join(root, 'blobs', 'sha256', 'zz', 'not-a-blob'), 'x');
    await writeFile(join(root, 'blobs', 'sha256', `${'0'.repeat(64)}`), 'x');
    // A sha256-length name in the sha512 tree, and a tree of an algorithm Berth does not use.
    await mkdir(join(root, 'blobs', 'sha512', '00'), { recursive: true });
    await writeFile(join(root, 'blobs', 'sha512', '00', '0'.repeat(64)), 'x');
    await mkdir(join(root, 'blobs', 'md5', '00'), { recursive: true });
    await writeFile(join(root, 'blobs', 'md5', '00', '0'.repeat(32)), 'x');
    const listed: string[] = [];
    for await (const digest of driver.list()) listed.push(digest);
    expect(listed).toEqual([digestOf(bytes)]);
  });

  it('streams a 64 MiB put without holding it in memory', async () => {
    // Measuring right after a forced GC counts only what is still referenced, so the result
    // depends on what the driver retains, not on when the collector happens to run.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;

    const chunkSize = 1 << 20;
    const chunkCount = 64;
    // Fresh buffers each time: a driver that kept references would pin all 64 MiB.
    const makeChunk = (i: number) => Buffer.alloc(chunkSize, (i * 37 + 11) & 0xff);
    const hash = createHash('sha256');
    for (let i = 0; i < chunkCount; i++) hash.update(makeChunk(i));
    const digest = `sha256:${hash.digest('hex')}`;

    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    async function* source(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < chunkCount; i++) {
        if (i % 4 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
        }
        yield makeChunk(i);
      }
    }

    const driver = createFilesystemDriver(root);
    await expect(driver.put(digest, source())).resolves.toEqual({ size: chunkSize * chunkCount });
    gc();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);

    expect(peak).toBeLessThan(16 * chunkSize);
    expect(await driver.stat(digest)).toEqual({ size: chunkSize * chunkCount });
    const tail = await driver.get(digest, {
      start: chunkSize * chunkCount - 4,
      end: chunkSize * chunkCount - 1,
    });
    expect(await collect(tail!)).toEqual(Buffer.alloc(4, ((chunkCount - 1) * 37 + 11) & 0xff));
  });

  it('sweeps staging files of ended writers and old ones, and keeps live ones', async () => {
    const driver = createFilesystemDriver(root);
    const tmp = join(root, 'uploads-tmp');
    await mkdir(tmp, { recursive: true });
    const [host, pid] = STAGING_OWNER.split('.');
    // Same host and pid, another instance: the process before a restart, killed mid-put.
    await writeFile(join(tmp, `${host}.${pid}.0123456789ab.${'1'.repeat(32)}`), 'crashed');
    await writeFile(join(tmp, `${STAGING_OWNER}.${'2'.repeat(32)}`), 'a put running now');
    await writeFile(join(tmp, '3'.repeat(32)), 'unknown writer, fresh');
    const old = join(tmp, '4'.repeat(32));
    await writeFile(old, 'unknown writer, two hours old');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(old, twoHoursAgo, twoHoursAgo);

    const expected = { files: 2, bytes: 'crashed'.length + 'unknown writer, two hours old'.length };
    expect(await driver.sweepStaging({ dryRun: true })).toEqual(expected);
    expect(await tempFiles()).toHaveLength(4);
    expect(await driver.sweepStaging()).toEqual(expected);
    expect((await tempFiles()).sort()).toEqual(
      ['3'.repeat(32), `${STAGING_OWNER}.${'2'.repeat(32)}`].sort(),
    );
    expect(await createFilesystemDriver(join(root, 'none')).sweepStaging()).toEqual({
      files: 0,
      bytes: 0,
    });
  });

  it.skipIf(tmpfsUnavailable() !== null)(
    `refuses a put on a full disk with StorageFullError, leaving nothing (${tmpfsUnavailable() ?? 'real tmpfs'})`,
    async () => {
      const disk = mountTmpfs(8);
      try {
        const driver = createFilesystemDriver(disk.dir);
        const small = Buffer.from('before the disk fills');
        await driver.put(digestOf(small), small);
        disk.fill();
        const big = Buffer.alloc(2 << 20, 1);
        await expect(driver.put(digestOf(big), big)).rejects.toBeInstanceOf(StorageFullError);
        expect(await readdir(join(disk.dir, 'uploads-tmp'))).toEqual([]);
        expect(await driver.stat(digestOf(big))).toBeNull();
        expect(await driver.readAll(digestOf(small))).toEqual(small);
        disk.free();
        await expect(driver.put(digestOf(big), big)).resolves.toEqual({ size: big.length });
      } finally {
        disk.unmount();
      }
    },
  );

  it.skipIf(tmpfsUnavailable() !== null)(
    `adopts stored bytes staged on another file system by copying them (${tmpfsUnavailable() ?? 'real tmpfs'})`,
    async () => {
      const disk = mountTmpfs(8);
      try {
        const driver = createFilesystemDriver(root);
        const stored = Buffer.from('ciphertext staged elsewhere');
        const digest = digestOf(Buffer.from('its plaintext'));
        const file = join(disk.dir, 'staged-upload');
        await writeFile(file, stored);
        await driver.adoptStored!(digest, file);
        expect(await collect((await driver.get(digest))!)).toEqual(stored);
        expect(existsSync(file)).toBe(false);
        expect(await tempFiles()).toEqual([]);
      } finally {
        disk.unmount();
      }
    },
  );
});

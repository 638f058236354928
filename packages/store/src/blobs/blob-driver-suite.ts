import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import {
  type BlobDriver,
  DigestMismatchError,
  InvalidDigestError,
  StoredBytesMismatchError,
} from './blob-driver.js';

export interface BlobDriverFixture {
  driver: BlobDriver;
  cleanup: () => Promise<void>;
}

export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function* chunked(bytes: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) {
    yield bytes.subarray(offset, offset + size);
  }
}

async function listAll(driver: BlobDriver): Promise<string[]> {
  const digests: string[] = [];
  for await (const digest of driver.list()) digests.push(digest);
  return digests.sort();
}

const HELLO = Buffer.from('hello, berth\n');
const HELLO_DIGEST = digestOf(HELLO);
const EMPTY = Buffer.alloc(0);
const MISSING_DIGEST = `sha256:${'0'.repeat(64)}`;

const INVALID_DIGESTS = [
  '',
  'sha256:../../etc',
  'sha256:../../../../etc/passwd',
  `sha256:${'a'.repeat(63)}`,
  `sha256:${'a'.repeat(65)}`,
  `sha256:${'A'.repeat(64)}`,
  `sha512:${'a'.repeat(64)}`,
  `sha512:${'a'.repeat(129)}`,
  'sha512:../../etc',
  `sha384:${'a'.repeat(96)}`,
  `sha256:${'a'.repeat(62)}/a`,
  `sha256:${'a'.repeat(64)}\n`,
  'a'.repeat(64),
];

/**
 * The behaviour every BlobDriver must share, run once per driver (as CNCF Distribution does),
 * so that a driver cannot drift from the others unnoticed.
 */
export function runBlobDriverSuite(
  name: string,
  makeDriver: () => Promise<BlobDriverFixture>,
): void {
  describe(`BlobDriver contract: ${name}`, () => {
    let fixture: BlobDriverFixture;
    let driver: BlobDriver;

    beforeEach(async () => {
      fixture = await makeDriver();
      driver = fixture.driver;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    it('round-trips bytes through put, get and readAll', async () => {
      await expect(driver.put(HELLO_DIGEST, HELLO)).resolves.toEqual({ size: HELLO.length });
      const stream = await driver.get(HELLO_DIGEST);
      expect(stream).not.toBeNull();
      expect(await collect(stream!)).toEqual(HELLO);
      expect(await driver.readAll(HELLO_DIGEST)).toEqual(HELLO);
    });

    it('keeps sha512 blobs beside sha256 ones, each verified with its own algorithm', async () => {
      const sha512 = digestOf(HELLO, 'sha512');
      await expect(driver.put(sha512, chunked(HELLO, 5))).resolves.toEqual({
        size: HELLO.length,
      });
      await driver.put(HELLO_DIGEST, HELLO);
      expect(await driver.readAll(sha512)).toEqual(HELLO);
      expect(await collect((await driver.get(sha512, { start: 1, end: 3 }))!)).toEqual(
        HELLO.subarray(1, 4),
      );
      expect(await driver.stat(sha512)).toEqual({ size: HELLO.length });
      expect(await listAll(driver)).toEqual([HELLO_DIGEST, sha512].sort());
      // Content that does not hash to the sha512 digest is refused like a sha256 mismatch.
      const wrong = digestOf(Buffer.from('other'), 'sha512');
      await expect(driver.put(wrong, HELLO)).rejects.toMatchObject({
        name: 'DigestMismatchError',
        actual: sha512,
      });
      expect(await driver.stat(wrong)).toBeNull();
      expect(await driver.delete(sha512)).toBe(true);
      expect(await listAll(driver)).toEqual([HELLO_DIGEST]);
    });

    it('adopts a verified local file, which is gone afterwards', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'berth-adopt-'));
      try {
        const file = join(dir, 'upload');
        await writeFile(file, HELLO);
        await expect(driver.adopt(HELLO_DIGEST, file)).resolves.toEqual({ size: HELLO.length });
        expect(await driver.readAll(HELLO_DIGEST)).toEqual(HELLO);
        expect(existsSync(file)).toBe(false);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('adopts content it holds already, keeping the stored blob; the file goes', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'berth-adopt-'));
      try {
        await driver.put(HELLO_DIGEST, HELLO);
        const file = join(dir, 'upload');
        await writeFile(file, HELLO);
        await expect(driver.adopt(HELLO_DIGEST, file, { size: HELLO.length })).resolves.toEqual({
          size: HELLO.length,
        });
        expect(await driver.readAll(HELLO_DIGEST)).toEqual(HELLO);
        expect(await listAll(driver)).toEqual([HELLO_DIGEST]);
        await expect.poll(() => existsSync(file)).toBe(false);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('stores the empty blob', async () => {
      const digest = digestOf(EMPTY);
      await expect(driver.put(digest, EMPTY)).resolves.toEqual({ size: 0 });
      expect(await driver.stat(digest)).toEqual({ size: 0 });
      expect(await collect((await driver.get(digest))!)).toEqual(EMPTY);
    });

    it('accepts streamed input in uneven chunks', async () => {
      const bytes = Buffer.alloc(300_001);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
      const digest = digestOf(bytes);
      await expect(driver.put(digest, chunked(bytes, 4099))).resolves.toEqual({
        size: bytes.length,
      });
      expect((await driver.readAll(digest))?.equals(bytes)).toBe(true);
    });

    it('does not keep a reference to the caller’s buffer', async () => {
      const bytes = Buffer.from(HELLO);
      await driver.put(HELLO_DIGEST, bytes);
      bytes.fill(0);
      expect(await driver.readAll(HELLO_DIGEST)).toEqual(HELLO);
    });

    it('serves inclusive byte ranges', async () => {
      await driver.put(HELLO_DIGEST, HELLO);
      const read = async (start: number, end: number) =>
        collect((await driver.get(HELLO_DIGEST, { start, end }))!);
      expect(await read(0, 0)).toEqual(HELLO.subarray(0, 1));
      expect(await read(2, 5)).toEqual(HELLO.subarray(2, 6));
      expect(await read(7, HELLO.length - 1)).toEqual(HELLO.subarray(7));
    });

    it('clamps a range that runs past the end, like HTTP Range', async () => {
      await driver.put(HELLO_DIGEST, HELLO);
      const stream = await driver.get(HELLO_DIGEST, { start: 7, end: 10_000 });
      expect(await collect(stream!)).toEqual(HELLO.subarray(7));
    });

    it('rejects unsatisfiable ranges with RangeError', async () => {
      await driver.put(HELLO_DIGEST, HELLO);
      for (const range of [
        { start: HELLO.length, end: HELLO.length + 5 },
        { start: 5, end: 4 },
        { start: -1, end: 3 },
        { start: 0.5, end: 3 },
      ]) {
        await expect(driver.get(HELLO_DIGEST, range)).rejects.toBeInstanceOf(RangeError);
      }
    });

    it('answers null for blobs it does not hold', async () => {
      expect(await driver.get(MISSING_DIGEST)).toBeNull();
      expect(await driver.get(MISSING_DIGEST, { start: 0, end: 1 })).toBeNull();
      expect(await driver.readAll(MISSING_DIGEST)).toBeNull();
      expect(await driver.stat(MISSING_DIGEST)).toBeNull();
    });

    it('reports size through stat', async () => {
      await driver.put(HELLO_DIGEST, HELLO);
      expect(await driver.stat(HELLO_DIGEST)).toEqual({ size: HELLO.length });
    });

    it('treats a repeated put of the same content as success', async () => {
      await driver.put(HELLO_DIGEST, HELLO);
      await expect(driver.put(HELLO_DIGEST, chunked(HELLO, 3))).resolves.toEqual({
        size: HELLO.length,
      });
      await Promise.all([driver.put(HELLO_DIGEST, HELLO), driver.put(HELLO_DIGEST, HELLO)]);
      expect(await driver.readAll(HELLO_DIGEST)).toEqual(HELLO);
      expect(await listAll(driver)).toEqual([HELLO_DIGEST]);
    });

    it('stores nothing when the content does not match the digest', async () => {
      const error = await driver.put(MISSING_DIGEST, chunked(HELLO, 4)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DigestMismatchError);
      expect(error).toMatchObject({ expected: MISSING_DIGEST, actual: HELLO_DIGEST });
      expect(await driver.stat(MISSING_DIGEST)).toBeNull();
      expect(await driver.stat(HELLO_DIGEST)).toBeNull();
      expect(await listAll(driver)).toEqual([]);
    });

    it('reports a mismatch even when a blob with that digest already exists', async () => {
      await driver.put(HELLO_DIGEST, HELLO);
      await expect(driver.put(HELLO_DIGEST, Buffer.from('other'))).rejects.toBeInstanceOf(
        DigestMismatchError,
      );
      expect(await driver.readAll(HELLO_DIGEST)).toEqual(HELLO);
    });

    it('propagates a failing input stream and stores nothing', async () => {
      async function* failing(): AsyncIterable<Uint8Array> {
        yield HELLO.subarray(0, 4);
        throw new Error('client went away');
      }
      await expect(driver.put(HELLO_DIGEST, failing())).rejects.toThrow('client went away');
      expect(await driver.stat(HELLO_DIGEST)).toBeNull();
    });

    it('rejects malformed digests in every method', async () => {
      for (const digest of INVALID_DIGESTS) {
        await expect(driver.put(digest, HELLO)).rejects.toBeInstanceOf(InvalidDigestError);
        await expect(driver.get(digest)).rejects.toBeInstanceOf(InvalidDigestError);
        await expect(driver.readAll(digest)).rejects.toBeInstanceOf(InvalidDigestError);
        await expect(driver.stat(digest)).rejects.toBeInstanceOf(InvalidDigestError);
        await expect(driver.delete(digest)).rejects.toBeInstanceOf(InvalidDigestError);
      }
      expect(await listAll(driver)).toEqual([]);
    });

    it('putStored stores bytes other than the content under a digest, verified by their own sha256', async () => {
      const stored = Buffer.from('ciphertext, not the content of HELLO');
      const expectOk = { sha256: sha256Hex(stored), size: stored.length };
      await expect(driver.putStored(HELLO_DIGEST, chunked(stored, 7), expectOk)).resolves.toEqual({
        size: stored.length,
      });
      expect(await driver.readAll(HELLO_DIGEST)).toEqual(stored);
      expect(await driver.stat(HELLO_DIGEST)).toEqual({ size: stored.length });
      expect(await collect((await driver.get(HELLO_DIGEST, { start: 0, end: 9 }))!)).toEqual(
        stored.subarray(0, 10),
      );
      expect(await listAll(driver)).toEqual([HELLO_DIGEST]);
    });

    it('putStored replaces what a digest held, sha512 digests and the empty blob included', async () => {
      await driver.put(HELLO_DIGEST, HELLO);
      const replacement = Buffer.from('replacement bytes');
      await driver.putStored(HELLO_DIGEST, replacement, {
        sha256: sha256Hex(replacement),
        size: replacement.length,
      });
      expect(await driver.readAll(HELLO_DIGEST)).toEqual(replacement);
      const sha512 = digestOf(HELLO, 'sha512');
      await driver.putStored(sha512, EMPTY, { sha256: sha256Hex(EMPTY), size: 0 });
      expect(await driver.stat(sha512)).toEqual({ size: 0 });
      expect(await listAll(driver)).toEqual([HELLO_DIGEST, sha512].sort());
    });

    it('putStored stores nothing and keeps what was there when the bytes do not match', async () => {
      await driver.put(HELLO_DIGEST, HELLO);
      const other = Buffer.from('other bytes');
      const wrongHash = await driver
        .putStored(HELLO_DIGEST, other, { sha256: sha256Hex(HELLO), size: other.length })
        .catch((e: unknown) => e);
      expect(wrongHash).toBeInstanceOf(StoredBytesMismatchError);
      await expect(
        driver.putStored(HELLO_DIGEST, chunked(other, 3), {
          sha256: sha256Hex(other),
          size: other.length + 1,
        }),
      ).rejects.toBeInstanceOf(StoredBytesMismatchError);
      expect(await driver.readAll(HELLO_DIGEST)).toEqual(HELLO);
      const missing = await driver
        .putStored(MISSING_DIGEST, other, { sha256: sha256Hex(HELLO), size: other.length })
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(StoredBytesMismatchError);
      expect(await driver.stat(MISSING_DIGEST)).toBeNull();
      expect(await listAll(driver)).toEqual([HELLO_DIGEST]);
    });

    it('putStored refuses malformed digests and expectations before storing anything', async () => {
      const ok = { sha256: sha256Hex(HELLO), size: HELLO.length };
      for (const digest of INVALID_DIGESTS) {
        await expect(driver.putStored(digest, HELLO, ok)).rejects.toBeInstanceOf(
          InvalidDigestError,
        );
      }
      for (const bad of [
        { sha256: 'abc', size: HELLO.length },
        { sha256: sha256Hex(HELLO).toUpperCase(), size: HELLO.length },
        { sha256: sha256Hex(HELLO), size: -1 },
        { sha256: sha256Hex(HELLO), size: 1.5 },
      ]) {
        await expect(driver.putStored(HELLO_DIGEST, HELLO, bad)).rejects.toBeInstanceOf(RangeError);
      }
      expect(await listAll(driver)).toEqual([]);
    });

    it('deletes blobs and says whether anything was deleted', async () => {
      await driver.put(HELLO_DIGEST, HELLO);
      expect(await driver.delete(HELLO_DIGEST)).toBe(true);
      expect(await driver.stat(HELLO_DIGEST)).toBeNull();
      expect(await driver.get(HELLO_DIGEST)).toBeNull();
      expect(await driver.delete(HELLO_DIGEST)).toBe(false);
      await driver.put(HELLO_DIGEST, HELLO);
      expect(await driver.readAll(HELLO_DIGEST)).toEqual(HELLO);
    });

    it('lists every stored digest', async () => {
      expect(await listAll(driver)).toEqual([]);
      const digests: string[] = [];
      for (let i = 0; i < 20; i++) {
        const bytes = Buffer.from(`blob number ${i}`);
        digests.push(digestOf(bytes));
        await driver.put(digestOf(bytes), bytes);
      }
      expect(await listAll(driver)).toEqual([...digests].sort());
      await driver.delete(digests[0]!);
      expect(await listAll(driver)).toEqual(digests.slice(1).sort());
    });
  });
}

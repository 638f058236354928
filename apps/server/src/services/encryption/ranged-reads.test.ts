import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BlobDriver, createMemoryDriver, createStore, openSqlite } from '@berth/store';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createKeyring,
  generateRootKey,
  keyFileSource,
  writeKeyFile,
} from '../projects/keyring.js';
import type { ViewingReader } from './decrypting-reader.js';
import { createImageData, type ImageData } from './image-data.js';
import { SegmentCipherPool } from './segment-cipher-pool.js';
import {
  CiphertextError,
  HEADER_BYTES,
  SEGMENT_BYTES,
  SEGMENT_OVERHEAD,
} from './segment-format.js';

/*
 * Encrypted blobs on a driver without positioned reads (S3's case; here the memory driver,
 * which has none either): a pull larger than one segment is decrypted on the cipher pool's
 * workers through ranged GETs, as the filesystem's is through positioned reads.
 */
const NOW = Date.UTC(2026, 11, 5);

let dir: string;
let handle: Awaited<ReturnType<typeof openSqlite>>;
let blobs: BlobDriver;
let pool: SegmentCipherPool;
let imageData: ImageData;
let namespaceId: number;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ranged-reads-'));
  handle = await openSqlite(path.join(dir, 'berth.db'));
  const store = createStore(handle.db);
  await store.namespaces.ensureRegions(['local'], NOW);
  await store.namespaces.create(
    { name: 'team-a', region: 'local', quotaBytes: null },
    { actor: 'test', now: NOW },
  );
  namespaceId = (await store.imageDataKeys.namespaceId('team-a'))!;
  writeKeyFile(path.join(dir, 'root.key'), [generateRootKey()], 'test');
  blobs = createMemoryDriver();
  pool = new SegmentCipherPool(1, 4);
  imageData = createImageData({
    store,
    blobs,
    keyring: createKeyring(keyFileSource(path.join(dir, 'root.key'))),
    clock: () => NOW,
    logger: pino({ level: 'silent' }),
    encrypt: true,
    dataDir: dir,
    cipherPool: pool,
  });
});

afterEach(async () => {
  await pool.close();
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A blob stored encrypted: put as plaintext, then encrypted in place (as S3 pushes are). */
async function encryptedBlob(bytes: Buffer): Promise<string> {
  const digest = `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
  await blobs.put(digest, bytes);
  expect(await imageData.encryptStored(namespaceId, digest)).toBe(true);
  return digest;
}

async function readWhole(reader: ViewingReader, from: number, until: number): Promise<Buffer> {
  const out = Buffer.alloc(until - from);
  let at = 0;
  while (at < out.length) {
    const n = await reader.read(out.subarray(at), out.length - at, from + at);
    if (n === 0) break;
    at += n;
  }
  return out.subarray(0, at);
}

describe('encrypted pulls from a driver without positioned reads', () => {
  it('decrypts a blob of several batches on the workers, whole and by Range', async () => {
    expect(blobs.openReader).toBeUndefined();
    const bytes = crypto.randomBytes(40 * SEGMENT_BYTES + 123);
    const digest = await encryptedBlob(bytes);
    const ran = pool.ran;
    const whole = await imageData.openForSend(async () => namespaceId, digest);
    expect(whole && 'reader' in whole).toBe(true);
    const reader = (whole as { reader: ViewingReader }).reader;
    expect(reader.size).toBe(bytes.length);
    expect((await readWhole(reader, 0, bytes.length)).equals(bytes)).toBe(true);
    await reader.close();
    expect(pool.ran - ran).toBeGreaterThanOrEqual(3);

    // A Range across segment and batch boundaries reads and opens only what it covers.
    const range = { start: 17 * SEGMENT_BYTES - 5, end: 33 * SEGMENT_BYTES + 9 };
    const ranged = (await imageData.openForSend(async () => namespaceId, digest, range)) as {
      reader: ViewingReader;
    };
    const part = await readWhole(ranged.reader, range.start, range.end + 1);
    expect(part.equals(bytes.subarray(range.start, range.end + 1))).toBe(true);
    await ranged.reader.close();
  });

  it('a small blob is opened as a stream here, and plaintext is sent as it is stored', async () => {
    const small = crypto.randomBytes(1000);
    const digest = await encryptedBlob(small);
    const opened = await imageData.openForSend(async () => namespaceId, digest);
    expect(opened && 'stream' in opened).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of (opened as { stream: NodeJS.ReadableStream }).stream) {
      chunks.push(Buffer.from(c as Uint8Array));
    }
    expect(Buffer.concat(chunks).equals(small)).toBe(true);

    const plain = crypto.randomBytes(3 * SEGMENT_BYTES);
    const plainDigest = `sha256:${crypto.createHash('sha256').update(plain).digest('hex')}`;
    await blobs.put(plainDigest, plain);
    let asked = false;
    const sent = await imageData.openForSend(async () => {
      asked = true;
      return namespaceId;
    }, plainDigest);
    expect(sent && 'stream' in sent).toBe(true);
    expect(asked).toBe(false); // plaintext needs no key
  });

  it('a tampered segment fails the read that reaches it, and none of its plaintext is returned', async () => {
    const bytes = crypto.randomBytes(40 * SEGMENT_BYTES);
    const digest = await encryptedBlob(bytes);
    const stored = await readStored(digest);
    // A byte of segment 20, in the second batch.
    stored[HEADER_BYTES + 20 * (SEGMENT_BYTES + SEGMENT_OVERHEAD) + 100]! ^= 0x01;
    await blobs.putStored(digest, stored, {
      sha256: crypto.createHash('sha256').update(stored).digest('hex'),
      size: stored.length,
    });
    const { reader } = (await imageData.openForSend(async () => namespaceId, digest)) as {
      reader: ViewingReader;
    };
    const first = Buffer.alloc(16 * SEGMENT_BYTES);
    expect(await reader.read(first, first.length, 0)).toBe(first.length);
    expect(first.equals(bytes.subarray(0, first.length))).toBe(true);
    const second = Buffer.alloc(16 * SEGMENT_BYTES);
    await expect(reader.read(second, second.length, first.length)).rejects.toThrow(CiphertextError);
    expect(second.includes(bytes.subarray(20 * SEGMENT_BYTES, 20 * SEGMENT_BYTES + 64))).toBe(
      false,
    );
    await reader.close();
  });
});

async function readStored(digest: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await blobs.get(digest))!) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { binary, digestOf, OCTETS, pullBlob } from '../../testing/registry-client.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { createKeyring, keyFileSource } from '../projects/keyring.js';
import { createImageDataKeys } from './image-data-keys.js';
import {
  encryptStream,
  HEADER_BYTES,
  newHeader,
  SEGMENT_BYTES,
  storedSizeOf,
} from './segment-format.js';

// Uploads encrypted as they arrive (issue 18): no plaintext of a layer reaches the disk while
// it is pushed, and the staged ciphertext is what gets stored.

const S = SEGMENT_BYTES;
let server: TestServer;

function blobFile(digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return path.join(server.dataDir, 'blobs', algorithm, hex.slice(0, 2), hex);
}

/** Every byte of every file under the data directory: blobs, uploads, temp files, database. */
function everyStoredByte(): Buffer {
  const parts: Buffer[] = [];
  for (const f of fs.readdirSync(server.dataDir, { recursive: true }) as string[]) {
    const file = path.join(server.dataDir, f);
    const info = fs.statSync(file, { throwIfNoEntry: false });
    if (info?.isFile()) parts.push(fs.readFileSync(file));
  }
  return Buffer.concat(parts);
}

/** 48-byte windows every 4 KiB of what was sent so far, its last bytes (the tail) included. */
function probesOf(sent: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 48 <= sent.length; at += 4096) out.push(sent.subarray(at, at + 48));
  if (sent.length >= 48) out.push(sent.subarray(sent.length - 48));
  return out;
}

function expectNoPlaintext(sent: Buffer, when: string) {
  const stored = everyStoredByte();
  for (const probe of probesOf(sent)) {
    expect(stored.includes(probe), `plaintext on disk ${when}`).toBe(false);
  }
}

async function open(repo: string): Promise<string> {
  const res = await server.api().post(`/v2/${repo}/blobs/uploads/`).expect(202);
  return res.headers.location!;
}

async function patch(location: string, bytes: Buffer, start: number) {
  return server
    .api()
    .patch(location)
    .set('Content-Type', OCTETS)
    .set('Content-Range', `${start}-${start + bytes.length - 1}`)
    .send(bytes)
    .expect(202);
}

async function uploaded(location: string): Promise<number> {
  const res = await server.api().get(location).expect(204);
  const range = res.headers.range as string | undefined;
  return range ? Number(range.split('-')[1]) + 1 : 0;
}

/** A PATCH whose client goes away after sending `sent` of the `announced` bytes. */
async function abortedPatch(location: string, start: number, announced: Buffer, sent: number) {
  const url = new URL(location, server.url);
  await new Promise<void>((resolve) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method: 'PATCH',
      headers: {
        Authorization: `Bearer ${server.adminKey}`,
        'Content-Type': OCTETS,
        'Content-Length': String(announced.length),
        'Content-Range': `${start}-${start + announced.length - 1}`,
      },
    });
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      resolve();
    });
    req.write(announced.subarray(0, sent), () => {
      // Long enough for the server to have written (and sealed) some of it.
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
  });
}

/**
 * Waits until the server has finished with an aborted chunk: an empty PATCH is refused (416)
 * while a chunk is still being written or cut off again.
 */
async function settled(location: string): Promise<void> {
  await expect
    .poll(async () => (await server.api().patch(location).set('Content-Type', OCTETS)).status)
    .toBe(202);
}

function uploadFiles(): string[] {
  const dir = path.join(server.dataDir, 'uploads');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

beforeAll(async () => {
  server = await startTestServer({ env: { BERTH_ENCRYPT_IMAGE_DATA: '1' } });
  await server
    .api()
    .post(apiPaths.namespaces())
    .send({ name: 'team', region: 'local' })
    .expect(201);
});

afterAll(async () => {
  await server?.stop();
});

describe('uploads encrypted as they arrive', () => {
  it('keeps no plaintext on disk during a chunked push; the blob is the staged ciphertext, stored once', async () => {
    const bytes = crypto.randomBytes(5 * S + 12_345);
    const digest = digestOf(bytes);
    const location = await open('team/chunked');
    // Chunks that end inside segments, on a boundary, and shorter than a segment.
    const cuts = [100_000, 2 * S, 2 * S + 1, 3 * S + 70_001, bytes.length];
    let at = 0;
    for (const cut of cuts) {
      await patch(location, bytes.subarray(at, cut), at);
      at = cut;
      expect(await uploaded(location)).toBe(at);
      expectNoPlaintext(bytes.subarray(0, at), `after ${at} bytes`);
    }
    await server.api().put(`${location}?digest=${digest}`).set('Content-Type', OCTETS).expect(201);
    expectNoPlaintext(bytes, 'after the push');
    const hex = digest.slice('sha256:'.length);
    expect(server.blobFiles().filter((f) => f.endsWith(hex))).toHaveLength(1);
    const stored = fs.readFileSync(blobFile(digest));
    expect(stored.length).toBe(storedSizeOf(bytes.length));
    expect(stored[8]).toBe(2);
    // Nothing left staged: the upload's file became the blob.
    expect(uploadFiles()).toEqual([]);
    const tmp = path.join(server.dataDir, 'uploads-tmp');
    expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).toEqual([]);
    expect((await pullBlob(server, 'team/chunked', digest)).equals(bytes)).toBe(true);
  });

  it('encrypts monolithic uploads (POST ?digest=, PUT with the body) the same way', async () => {
    const one = crypto.randomBytes(S);
    const d1 = digestOf(one);
    await server
      .api()
      .post('/v2/team/mono/blobs/uploads/')
      .query({ digest: d1 })
      .set('Content-Type', OCTETS)
      .send(one)
      .expect(201);
    const two = crypto.randomBytes(3);
    const d2 = digestOf(two);
    const location = await open('team/mono');
    await server
      .api()
      .put(`${location}?digest=${d2}`)
      .set('Content-Type', OCTETS)
      .send(two)
      .expect(201);
    const empty = Buffer.alloc(0);
    const d3 = digestOf(empty);
    const l3 = await open('team/mono');
    await server.api().put(`${l3}?digest=${d3}`).set('Content-Type', OCTETS).expect(201);
    for (const [bytes, digest] of [
      [one, d1],
      [two, d2],
      [empty, d3],
    ] as const) {
      expect(fs.statSync(blobFile(digest)).size).toBe(storedSizeOf(bytes.length));
      expect((await pullBlob(server, 'team/mono', digest)).equals(bytes)).toBe(true);
    }
    expectNoPlaintext(one, 'after a monolithic push');
  });

  it('a chunk cut off half-way leaves the upload where it was; sent again, the upload completes', async () => {
    const bytes = crypto.randomBytes(4 * S + 999);
    const digest = digestOf(bytes);
    const location = await open('team/aborted');
    await patch(location, bytes.subarray(0, 70_000), 0);
    // Half of a 3-segment chunk arrives, then the client is gone.
    await abortedPatch(location, 70_000, bytes.subarray(70_000, 70_000 + 3 * S), 2 * S);
    await settled(location);
    expect(await uploaded(location)).toBe(70_000);
    expectNoPlaintext(bytes.subarray(0, 70_000 + 2 * S), 'after an aborted chunk');
    // The retry sends other bytes at the same place first (a client that changed its mind),
    // then gives up on them too: the position is sealed again, never with a reused nonce.
    await abortedPatch(location, 70_000, crypto.randomBytes(3 * S), S + 5);
    await settled(location);
    expect(await uploaded(location)).toBe(70_000);
    await patch(location, bytes.subarray(70_000), 70_000);
    await server.api().put(`${location}?digest=${digest}`).set('Content-Type', OCTETS).expect(201);
    expect((await pullBlob(server, 'team/aborted', digest)).equals(bytes)).toBe(true);
  });

  it('a digest that does not match stores nothing and leaves nothing staged', async () => {
    const bytes = crypto.randomBytes(S + 10);
    const location = await open('team/wrong');
    await patch(location, bytes, 0);
    const res = await server
      .api()
      .put(`${location}?digest=${digestOf(Buffer.from('other'))}`)
      .set('Content-Type', OCTETS);
    expect(res.status).toBe(400);
    expect(uploadFiles()).toEqual([]);
    expect(server.blobFiles().some((f) => f.endsWith(digestOf(bytes).slice(7)))).toBe(false);
  });

  it('pulls a blob stored in format version 1, as written before uploads were encrypted as they arrived', async () => {
    const bytes = crypto.randomBytes(2 * S + 500);
    const digest = digestOf(bytes);
    const location = await open('team/v1');
    await server
      .api()
      .put(`${location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .send(bytes)
      .expect(201);
    // Written again as the version 1 writer wrote it, under the blob's key.
    const keyring = createKeyring(keyFileSource(path.join(server.dataDir, 'root.key')));
    const keys = createImageDataKeys(server.store, keyring, () => Date.now());
    const key = (await keys.anyBlobKey(digest))!;
    const parts: Buffer[] = [];
    const source = (async function* () {
      yield bytes;
    })();
    for await (const piece of encryptStream(
      key,
      digest,
      source,
      bytes.length,
      newHeader(undefined, 1),
    )) {
      parts.push(piece);
    }
    const v1 = Buffer.concat(parts);
    expect(v1[8]).toBe(1);
    expect(v1.length).toBe(storedSizeOf(bytes.length, 1));
    fs.writeFileSync(blobFile(digest), v1);
    expect((await pullBlob(server, 'team/v1', digest)).equals(bytes)).toBe(true);
    const part = await server
      .api()
      .get(`/v2/team/v1/blobs/${digest}`)
      .set('Range', `bytes=${S - 5}-${S + 5}`)
      .buffer(true)
      .parse(binary)
      .expect(206);
    expect((part.body as Buffer).equals(bytes.subarray(S - 5, S + 6))).toBe(true);
    expect(HEADER_BYTES).toBe(24);
  });

  it('resumes after a restart, with chunks not aligned to segments, and stays ciphertext', async () => {
    const bytes = crypto.randomBytes(3 * S + 4321);
    const digest = digestOf(bytes);
    const location = await open('team/restart');
    await patch(location, bytes.subarray(0, 100_001), 0);
    await server.close();
    server = await startTestServer({
      dataDir: server.dataDir,
      env: { BERTH_ENCRYPT_IMAGE_DATA: '1' },
    });
    expect(await uploaded(location)).toBe(100_001);
    expectNoPlaintext(bytes.subarray(0, 100_001), 'after a restart');
    await patch(location, bytes.subarray(100_001, 150_000), 100_001);
    await server
      .api()
      .put(`${location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .set('Content-Range', `150000-${bytes.length - 1}`)
      .send(bytes.subarray(150_000))
      .expect(201);
    expectNoPlaintext(bytes, 'after the push');
    expect((await pullBlob(server, 'team/restart', digest)).equals(bytes)).toBe(true);
  });

  it('takes chunks in turn on two servers sharing the data directory (each notices what the other took)', async () => {
    const other = await startTestServer({
      dataDir: server.dataDir,
      env: { BERTH_ENCRYPT_IMAGE_DATA: '1' },
    });
    try {
      const bytes = crypto.randomBytes(3 * S + 999);
      const digest = digestOf(bytes);
      const location = await open('team/turns');
      const cuts = [50_000, 50_010, 2 * S + 3, 2 * S + 4, bytes.length];
      let at = 0;
      for (const [i, cut] of cuts.entries()) {
        await (i % 2 === 1 ? other : server)
          .api()
          .patch(location)
          .set('Content-Type', OCTETS)
          .set('Content-Range', `${at}-${cut - 1}`)
          .send(bytes.subarray(at, cut))
          .expect(202);
        at = cut;
      }
      await other.api().put(`${location}?digest=${digest}`).set('Content-Type', OCTETS).expect(201);
      expect((await pullBlob(server, 'team/turns', digest)).equals(bytes)).toBe(true);
    } finally {
      await other.close();
    }
  });
});

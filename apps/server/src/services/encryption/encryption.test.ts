import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, ADMIN, type TestServer } from '../../testing/test-server.js';
import { captureLog } from '../../testing/log-lines.js';
import { layoutBlob, randomImage, writeLayout } from '../../testing/oci-layout.js';
import { hasSkopeo, pullToLayout, pushLayout } from '../../testing/skopeo.js';
import { pushBlob } from '../../testing/registry-client.js';
import { createKeyring, keyFileSource, RootKeyError } from '../projects/keyring.js';
import { createImageDataKeys } from './image-data-keys.js';
import { HEADER_BYTES, SEGMENT_BYTES, SEGMENT_OVERHEAD, storedSizeOf } from './segment-format.js';

const S = SEGMENT_BYTES;

function blobFile(server: TestServer, digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return path.join(server.dataDir, 'blobs', algorithm, hex.slice(0, 2), hex);
}

/** Every byte of the database files (SQLite: the file and its write-ahead log). */
function databaseBytes(server: TestServer): Buffer {
  const files = fs
    .readdirSync(server.dataDir)
    .filter((f) => f.startsWith('berth.db'))
    .map((f) => fs.readFileSync(path.join(server.dataDir, f)));
  return Buffer.concat(files);
}

/** Every stored byte of the blob directory and the upload staging areas. */
function storedBytes(server: TestServer): Buffer {
  const parts: Buffer[] = [];
  for (const dir of ['blobs', 'uploads', 'uploads-tmp']) {
    const root = path.join(server.dataDir, dir);
    if (!fs.existsSync(root)) continue;
    for (const f of fs.readdirSync(root, { recursive: true }) as string[]) {
      const file = path.join(root, f);
      if (fs.statSync(file).isFile()) parts.push(fs.readFileSync(file));
    }
  }
  return Buffer.concat(parts);
}

/** Probes of known plaintext: 48 bytes from several places of each blob. */
function probes(bytes: Buffer): Buffer[] {
  if (bytes.length < 48) return [bytes];
  return [0, Math.floor(bytes.length / 2), bytes.length - 48].map((at) =>
    bytes.subarray(at, at + 48),
  );
}

async function getRange(server: TestServer, repo: string, digest: string, range?: string) {
  const req = server.api().get(`/v2/${repo}/blobs/${digest}`);
  if (range) req.set('Range', range);
  return req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
    res.on('error', (e) => done(e, Buffer.concat(chunks)));
  });
}

/** A blob's whole body as the server sends it, or the error a cut-short response gives. */
async function fetchWhole(server: TestServer, repo: string, digest: string) {
  let res: Response;
  try {
    res = await fetch(`${server.url}/v2/${repo}/blobs/${digest}`, {
      headers: { Authorization: `Bearer ${server.adminKey}` },
    });
  } catch (error) {
    return { status: 0, body: null, error: error as Error };
  }
  try {
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), error: null };
  } catch (error) {
    return { status: res.status, body: null, error: error as Error };
  }
}

function keysOf(server: TestServer) {
  const keyring = createKeyring(keyFileSource(path.join(server.dataDir, 'root.key')));
  return { keyring, keys: createImageDataKeys(server.store, keyring, () => Date.now()) };
}

describe.skipIf(!hasSkopeo())('image data encrypted at rest (new installation: on)', () => {
  const image = randomImage({ seed: 'encryption-image', layers: 2, layerBytes: 200 * 1024 });
  /** What a client uploads as blobs: the config and the layers. */
  const uploaded = [image.config!, ...image.layers];
  let server: TestServer;
  let host: string;
  let work: string;
  const { stream: logStream, lines: logLines } = captureLog();
  const creds = () => ({ creds: `${ADMIN.username}:${server.adminKey}` });

  beforeAll(async () => {
    server = await startTestServer({
      logStream,
    });
    host = server.url.replace('http://', '');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-encryption-'));
    writeLayout(path.join(work, 'source'), [{ manifest: image, ref: 'image' }]);
    for (const name of ['alpha', 'beta', 'gamma']) {
      await server.api().post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
  });

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('stores pushed layers as ciphertext only: no plaintext in blob files or the database, and pulls byte for byte', async () => {
    await pushLayout(path.join(work, 'source'), 'image', `${host}/alpha/app:1`, creds());
    const pulled = fs.mkdtempSync(path.join(work, 'pulled-'));
    await pullToLayout(`${host}/alpha/app:1`, pulled, 'pulled', creds());
    const stored = storedBytes(server);
    const db = databaseBytes(server);
    for (const blob of uploaded) {
      expect(layoutBlob(pulled, blob.digest).equals(blob.bytes)).toBe(true);
      const file = fs.readFileSync(blobFile(server, blob.digest));
      expect(file.subarray(0, 8).toString('latin1')).toBe('BERTHENC');
      expect(file.length).toBe(storedSizeOf(blob.bytes.length));
      for (const probe of probes(blob.bytes)) {
        expect(stored.includes(probe), `plaintext of ${blob.digest} in the blob store`).toBe(false);
        expect(db.includes(probe), `plaintext of ${blob.digest} in the database`).toBe(false);
      }
    }
    // HEAD answers the plaintext size.
    const layer = image.layers[0]!;
    const head = await server.api().head(`/v2/alpha/app/blobs/${layer.digest}`).expect(200);
    expect(Number(head.headers['content-length'])).toBe(layer.bytes.length);
    const row = await server.store.db
      .selectFrom('namespace_keys as k')
      .innerJoin('namespaces as n', 'n.id', 'k.namespace_id')
      .select(['k.root_key_id'])
      .where('n.name', '=', 'alpha')
      .executeTakeFirstOrThrow();
    // The fingerprint of the root key that wraps it is recorded.
    expect(row.root_key_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('serves Range reads across, from and to segment boundaries, and the empty and sha512 blobs', async () => {
    const bytes = crypto.randomBytes(3 * S + 777);
    const digest = await pushBlob(server, 'alpha/ranges', bytes);
    expect(fs.statSync(blobFile(server, digest)).size).toBe(storedSizeOf(bytes.length));
    const cases: [number, number][] = [
      [0, 0],
      [S - 10, S + 10],
      [S, 2 * S - 1],
      [S - 1, S],
      [2 * S, 2 * S],
      [0, S - 1],
      [3 * S, bytes.length - 1],
      [5, bytes.length + 100],
    ];
    for (const [start, end] of cases) {
      const res = await getRange(server, 'alpha/ranges', digest, `bytes=${start}-${end}`);
      expect(res.status, `${start}-${end}`).toBe(206);
      const want = bytes.subarray(start, Math.min(end, bytes.length - 1) + 1);
      expect((res.body as Buffer).equals(want), `${start}-${end}`).toBe(true);
    }
    const whole = await getRange(server, 'alpha/ranges', digest);
    expect((whole.body as Buffer).equals(bytes)).toBe(true);

    const empty = await pushBlob(server, 'alpha/ranges', Buffer.alloc(0));
    expect(fs.statSync(blobFile(server, empty)).size).toBe(storedSizeOf(0));
    const got = await getRange(server, 'alpha/ranges', empty);
    expect(got.status).toBe(200);
    expect((got.body as Buffer).length).toBe(0);

    const big512 = crypto.randomBytes(S + 5);
    const d512 = await pushBlob(server, 'alpha/ranges', big512, 'sha512');
    expect(fs.readFileSync(blobFile(server, d512)).includes(big512.subarray(0, 48))).toBe(false);
    const r = await getRange(server, 'alpha/ranges', d512, `bytes=${S - 2}-${S + 2}`);
    expect((r.body as Buffer).equals(big512.subarray(S - 2, S + 3))).toBe(true);
  });

  it('stores a layer held by two namespaces once, with one key wrap per namespace', async () => {
    const layer = image.layers[1]!;
    const before = await server.store.imageDataKeys.stats();
    await pushLayout(path.join(work, 'source'), 'image', `${host}/beta/app:1`, creds());
    const after = await server.store.imageDataKeys.stats();
    expect(after.encryptedBlobs).toBe(before.encryptedBlobs);
    expect(after.wraps - before.wraps).toBe(uploaded.length);
    expect(after.sharedBlobs).toBeGreaterThanOrEqual(uploaded.length);
    const wraps = await server.store.imageDataKeys.wrapsOf(layer.digest);
    expect(wraps).toHaveLength(2);
    expect(server.blobFiles().filter((f) => f.endsWith(layer.digest.slice(7)))).toHaveLength(1);
    const res = await getRange(server, 'beta/app', layer.digest);
    expect((res.body as Buffer).equals(layer.bytes)).toBe(true);
  });

  it("refuses one namespace's wrap under another namespace's key", async () => {
    const { keyring, keys } = keysOf(server);
    const layer = image.layers[0]!;
    const alpha = (await server.store.imageDataKeys.namespaceId('alpha'))!;
    const beta = (await server.store.imageDataKeys.namespaceId('beta'))!;
    const alphaWrap = (await server.store.imageDataKeys.wrapOf(alpha, layer.digest))!;
    const betaKey = (await keys.namespaceKey(beta, false))!;
    expect(() =>
      keyring.open(betaKey, `berth:blob-key:v1:${beta}:${layer.digest}`, alphaWrap),
    ).toThrow(RootKeyError);
    expect(() =>
      keyring.open(betaKey, `berth:blob-key:v1:${alpha}:${layer.digest}`, alphaWrap),
    ).toThrow(RootKeyError);
    // The namespace's own key does open it, so the refusals above are about the key.
    const alphaKey = (await keys.namespaceKey(alpha, false))!;
    expect(
      keyring.open(alphaKey, `berth:blob-key:v1:${alpha}:${layer.digest}`, alphaWrap),
    ).toHaveLength(32);
  });

  it('aborts a pull whose segment was tampered with, logs it, and never sends its bytes', async () => {
    const bytes = crypto.randomBytes(3 * S);
    const digest = await pushBlob(server, 'gamma/tamper', bytes);
    const file = blobFile(server, digest);
    const original = fs.readFileSync(file);
    const tampered = Buffer.from(original);
    tampered[HEADER_BYTES + (S + SEGMENT_OVERHEAD) + 100]! ^= 0x01; // inside segment 1
    fs.writeFileSync(file, tampered);
    logLines.length = 0;
    const whole = await fetchWhole(server, 'gamma/tamper', digest);
    // The body is cut short (an error, or fewer bytes than announced): segment 1 never arrives.
    if (whole.body) expect(whole.body.length).toBeLessThan(bytes.length);
    expect(whole.body === null || !whole.body.includes(bytes.subarray(S, S + 64))).toBe(true);
    await expect.poll(() => logLines.some((l) => l.includes('failed to authenticate'))).toBe(true);
    // Segment 0 still reads.
    const first = await getRange(server, 'gamma/tamper', digest, `bytes=0-${S - 1}`);
    expect((first.body as Buffer).equals(bytes.subarray(0, S))).toBe(true);
    // A range inside the tampered segment fails too.
    const inside = await fetchWhole(server, 'gamma/tamper', digest).catch(() => null);
    expect(inside?.body?.equals(bytes) ?? false).toBe(false);

    // An altered header: nothing decrypts.
    const badHeader = Buffer.from(original);
    badHeader[18]! ^= 0x01; // the nonce prefix
    fs.writeFileSync(file, badHeader);
    const res = await fetchWhole(server, 'gamma/tamper', digest);
    // Found before the first byte: an error answer, not the blob.
    expect(res.status).toBe(500);
    expect(res.body?.includes(bytes.subarray(0, 64)) ?? false).toBe(false);
    expect(res.body?.length ?? 0).toBeLessThan(1024);
    fs.writeFileSync(file, original);
    expect((await fetchWhole(server, 'gamma/tamper', digest)).body?.equals(bytes)).toBe(true);
  });

  it('deleting a namespace destroys its keys: blobs only it held cannot be decrypted, shared ones still read elsewhere', async () => {
    const only = crypto.randomBytes(S + 3);
    const onlyDigest = await pushBlob(server, 'alpha/only', only);
    const ciphertext = fs.readFileSync(blobFile(server, onlyDigest));
    const alpha = (await server.store.imageDataKeys.namespaceId('alpha'))!;
    // What a backup taken now would hold: the wrapped keys and the ciphertext.
    const wrappedBefore = (await server.store.imageDataKeys.namespaceKey(alpha))!;
    expect(wrappedBefore).not.toBeNull();

    const op = await server.api().delete(apiPaths.namespace('alpha'));
    expect([200, 202]).toContain(op.status);
    await expect
      .poll(async () => server.store.imageDataKeys.namespaceId('alpha'), { timeout: 20_000 })
      .toBeNull();
    expect(await server.store.imageDataKeys.namespaceKey(alpha)).toBeNull();
    expect(await server.store.imageDataKeys.wrapsOf(onlyDigest)).toEqual([]);
    const { keys } = keysOf(server);
    expect(await keys.anyBlobKey(onlyDigest)).toBeNull();
    // No key in the database decrypts what was stored for it.
    expect(ciphertext.subarray(0, 8).toString('latin1')).toBe('BERTHENC');
    // The layer beta shares still reads there.
    const shared = image.layers[1]!;
    const res = await getRange(server, 'beta/app', shared.digest);
    expect((res.body as Buffer).equals(shared.bytes)).toBe(true);
    expect(await server.store.imageDataKeys.wrapsOf(shared.digest)).toHaveLength(1);
  });
});

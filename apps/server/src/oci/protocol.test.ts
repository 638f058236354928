import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import {
  MEDIA_TYPES,
  buildSignature,
  randomBytesFromSeed,
  sha256Digest,
  type BuiltManifest,
} from '../seed/oci-content.js';
import { randomImage, randomIndex } from '../testing/oci-layout.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { type AnyResponse, expectOciError } from '../testing/oci-errors.js';

// The OCI Distribution API spoken by hand over a real socket: every push variant, every
// listing, and every refusal, each refusal checked to have stored nothing at all.

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCTETS = 'application/octet-stream';
const MIB = 1024 * 1024;
const UPLOAD_LOCATION = /^\/v2\/[a-z0-9/_.-]+\/blobs\/uploads\/([0-9a-f-]{36})$/;

interface Snapshot {
  dump: string;
  blobs: string[];
  uploads: string[];
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function blobOf(seed: string, size = 48): { bytes: Buffer; digest: string } {
  const bytes = randomBytesFromSeed(seed, size);
  return { bytes, digest: sha256Digest(bytes) };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** A small image whose single layer is a few hundred bytes. */
function smallImage(seed: string): BuiltManifest {
  return randomImage({ seed, layers: 1, layerBytes: 64 });
}

let server: TestServer;
/** Every request authenticates as the admin, with the admin's API key as a Bearer token. */
const api = () => server.api();
const auth = () => ({ Authorization: `Bearer ${server.adminKey}` });

function uploadFiles(): string[] {
  const dir = path.join(server.dataDir, 'uploads');
  if (!fs.existsSync(dir)) return [];
  // Sizes too, so a refused chunk that was half appended shows up.
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => `${f}:${fs.statSync(path.join(dir, f)).size}`);
}

async function snapshot(): Promise<Snapshot> {
  return { dump: await server.dump(), blobs: server.blobFiles(), uploads: uploadFiles() };
}

async function expectUnchanged(before: Snapshot): Promise<void> {
  const after = await snapshot();
  expect(after.uploads).toEqual(before.uploads);
  expect(after.blobs).toEqual(before.blobs);
  expect(after.dump).toBe(before.dump);
}

/** Sends a write that must be refused, and checks that the database, blobs and uploads stayed. */
async function refused<R extends AnyResponse>(
  send: () => PromiseLike<R>,
  status: number,
  code: string,
): Promise<R> {
  const before = await snapshot();
  const res = await send();
  expectOciError(res, status, code);
  await expectUnchanged(before);
  return res;
}

/** A request exactly as given: no path normalisation, optional chunked body. */
function raw(
  method: string,
  target: string,
  opts: { headers?: Record<string, string>; chunks?: Buffer[] } = {},
): Promise<RawResponse> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: target,
        // One connection per request, so none is left open when the server stops.
        agent: false,
        headers: { Connection: 'close', ...auth(), ...opts.headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts),
          }),
        );
        res.on('error', reject);
      },
    );
    // The server may answer before the whole body is sent; that is the point of some tests.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    for (const chunk of opts.chunks ?? []) req.write(chunk);
    req.end();
  });
}

function rawJson(res: RawResponse) {
  return {
    status: res.status,
    headers: res.headers as Record<string, string>,
    body: JSON.parse(res.body.toString('utf8')) as unknown,
  };
}

/** The bytes as they are: superagent would otherwise JSON-encode a Buffer sent as `+json`. */
function sendBytes(req: request.Test, type: string, bytes: Buffer): request.Test {
  return req
    .set('Content-Type', type)
    .serialize((body: Buffer) => body as unknown as string)
    .send(bytes);
}

/** Polls until `check` holds, for at most two seconds. */
async function waitFor(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

async function putBlob(repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256Digest(bytes);
  await api()
    .post(`/v2/${repo}/blobs/uploads/`)
    .query({ digest })
    .set('Content-Type', OCTETS)
    .send(bytes)
    .expect(201);
  return digest;
}

function putManifest(
  repo: string,
  reference: string,
  m: { bytes: Buffer; mediaType: string },
): request.Test {
  return sendBytes(api().put(`/v2/${repo}/manifests/${reference}`), m.mediaType, m.bytes);
}

async function pushBlobsOf(repo: string, m: BuiltManifest): Promise<void> {
  for (const b of [...(m.config ? [m.config] : []), ...m.layers]) await putBlob(repo, b.bytes);
}

async function pushImage(repo: string, m: BuiltManifest, reference = m.digest): Promise<void> {
  await pushBlobsOf(repo, m);
  const res = await putManifest(repo, reference, m).expect(201);
  expect(res.headers['docker-content-digest']).toBe(m.digest);
  expect(res.headers.location).toBe(`/v2/${repo}/manifests/${m.digest}`);
}

async function pushIndex(repo: string, index: BuiltManifest, reference: string): Promise<void> {
  for (const child of index.children) await pushImage(repo, child);
  await putManifest(repo, reference, index).expect(201);
}

async function openSession(repo: string): Promise<{ location: string; id: string }> {
  const res = await api().post(`/v2/${repo}/blobs/uploads/`).expect(202);
  const location = res.headers.location ?? '';
  const id = UPLOAD_LOCATION.exec(location)?.[1];
  expect(id).toBeDefined();
  return { location, id: id ?? '' };
}

function patch(location: string, bytes: Buffer, range?: string): request.Test {
  const req = api().patch(location).set('Content-Type', OCTETS);
  if (range !== undefined) req.set('Content-Range', range);
  return req.send(bytes);
}

function getBlob(repo: string, digest: string, range?: string): request.Test {
  const req = api().get(`/v2/${repo}/blobs/${digest}`);
  if (range !== undefined) req.set('Range', range);
  return req;
}

async function trashDigests(namespace = 'team'): Promise<string[]> {
  const res = await api().get(apiPaths.trash(namespace)).expect(200);
  return (res.body.items as { digest: string }[]).map((i) => i.digest);
}

beforeAll(async () => {
  server = await startTestServer();
  await api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
});

afterAll(async () => {
  await server?.stop();
});

describe('the base endpoint and routing', () => {
  it('GET and HEAD /v2/ answer 200 with the API version header', async () => {
    const res = await api().get('/v2/').expect(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(res.body).toEqual({});
    const head = await api().head('/v2/').expect(200);
    expect(head.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('an unknown route is a 404 OCI error and stores nothing', async () => {
    await refused(() => api().get('/v2/team/app/nothing-here'), 404, 'NAME_UNKNOWN');
    await refused(
      () => api().put('/v2/team/app/things/1').set('Content-Type', OCTETS).send(Buffer.from('x')),
      404,
      'NAME_UNKNOWN',
    );
  });

  it('an unsupported method on a known path is 405 with Allow', async () => {
    const post = await refused(
      () => api().post('/v2/team/app/manifests/latest'),
      405,
      'UNSUPPORTED',
    );
    expect(post.headers.allow).toBe('GET, HEAD, PUT, DELETE');
    const catalog = await refused(() => api().delete('/v2/_catalog'), 405, 'UNSUPPORTED');
    expect(catalog.headers.allow).toBe('GET');
    const blob = await refused(
      () => api().patch(`/v2/team/app/blobs/${blobOf('405').digest}`),
      405,
      'UNSUPPORTED',
    );
    expect(blob.headers.allow).toBe('GET, HEAD, DELETE');
  });
});

describe('pushing blobs, every protocol variant', () => {
  it('monolithic: POST opens a session, PUT with the body finishes it', async () => {
    const { bytes, digest } = blobOf('monolithic', 100);
    const files = server.blobFiles();
    const res = await api().post('/v2/team/mono/blobs/uploads/').expect(202);
    const id = UPLOAD_LOCATION.exec(res.headers.location ?? '')?.[1];
    expect(id).toBeDefined();
    expect(res.headers['docker-upload-uuid']).toBe(id);
    expect(res.headers.range).toBe('0-0');
    expect(uploadFiles()).toEqual(expect.arrayContaining([`${id}:0`]));

    const done = await api()
      .put(`${res.headers.location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .send(bytes)
      .expect(201);
    expect(done.headers.location).toBe(`/v2/team/mono/blobs/${digest}`);
    expect(done.headers['docker-content-digest']).toBe(digest);
    expect(uploadFiles()).toEqual([]);
    expect(server.blobFiles()).toHaveLength(files.length + 1);
    const got = await api().get(done.headers.location!).expect(200);
    expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
  });

  it('single request: POST ?digest= with the body stores the blob at once', async () => {
    const { bytes, digest } = blobOf('single', 77);
    const res = await api()
      .post(`/v2/team/single/blobs/uploads/?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .send(bytes)
      .expect(201);
    expect(res.headers.location).toBe(`/v2/team/single/blobs/${digest}`);
    expect(res.headers['docker-content-digest']).toBe(digest);
    expect(uploadFiles()).toEqual([]);
    const got = await getBlob('team/single', digest).expect(200);
    expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
  });

  it('chunked: three PATCHes with Content-Range, then PUT', async () => {
    const { bytes, digest } = blobOf('chunked', 30);
    let { location } = await openSession('team/chunked');
    for (const [start, end] of [
      [0, 9],
      [10, 19],
      [20, 29],
    ] as const) {
      const res = await patch(location, bytes.subarray(start, end + 1), `${start}-${end}`).expect(
        202,
      );
      expect(res.headers.range).toBe(`0-${end}`);
      expect(res.headers.location).toMatch(UPLOAD_LOCATION);
      // The client must use the Location of the last response.
      location = res.headers.location!;
    }
    const status = await api().get(location).expect(204);
    expect(status.headers.range).toBe('0-29');
    await api().put(`${location}?digest=${digest}`).expect(201);
    const got = await getBlob('team/chunked', digest).expect(200);
    expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
    expect(uploadFiles()).toEqual([]);
  });

  it('a last chunk may come with the PUT that finishes the upload', async () => {
    const { bytes, digest } = blobOf('chunk-with-put', 20);
    const { location } = await openSession('team/chunked');
    await patch(location, bytes.subarray(0, 12), '0-11').expect(202);
    await api()
      .put(`${location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .set('Content-Range', '12-19')
      .send(bytes.subarray(12))
      .expect(201);
    const got = await getBlob('team/chunked', digest).expect(200);
    expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
  });

  it('upload status is 204 with Range; cancel removes the session', async () => {
    const { location, id } = await openSession('team/cancel');
    await patch(location, Buffer.from('hello')).expect(202);
    const status = await api().get(location).expect(204);
    expect(status.headers.range).toBe('0-4');
    expect(status.headers['docker-upload-uuid']).toBe(id);
    expect(status.headers.location).toBe(location);
    // Staged as its data file and meta (with image data encrypted, the 5 bytes are sealed in
    // the meta until a whole segment has arrived; see upload-sealer.ts).
    expect(uploadFiles().filter((f) => f.startsWith(id)).length).toBe(2);

    await api().delete(location).expect(204);
    expect(uploadFiles().filter((f) => f.startsWith(id))).toEqual([]);
    expectOciError(await api().get(location), 404, 'BLOB_UPLOAD_UNKNOWN');
    await refused(() => patch(location, Buffer.from('more')), 404, 'BLOB_UPLOAD_UNKNOWN');
    await refused(
      () => api().put(`${location}?digest=${sha256Digest(Buffer.from('hello'))}`),
      404,
      'BLOB_UPLOAD_UNKNOWN',
    );
    await refused(() => api().delete(location), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('an upload belongs to its repository; ids that are not sessions are unknown', async () => {
    const { location, id } = await openSession('team/owner');
    const elsewhere = location.replace('/team/owner/', '/team/other/');
    await refused(() => api().get(elsewhere), 404, 'BLOB_UPLOAD_UNKNOWN');
    await refused(() => patch(elsewhere, Buffer.from('x')), 404, 'BLOB_UPLOAD_UNKNOWN');
    await refused(() => api().delete(elsewhere), 404, 'BLOB_UPLOAD_UNKNOWN');
    await refused(
      () => api().get('/v2/team/owner/blobs/uploads/..%2F..%2Fberth.db'),
      404,
      'BLOB_UPLOAD_UNKNOWN',
    );
    await refused(
      () => api().get(`/v2/team/owner/blobs/uploads/${id}.json`),
      404,
      'BLOB_UPLOAD_UNKNOWN',
    );
    await api().delete(location).expect(204);
  });

  it('cross-repository mount: 201 and the blob is then readable in the target', async () => {
    const { bytes, digest } = blobOf('mount', 64);
    await putBlob('team/mount-src', bytes);
    expectOciError(await getBlob('team/mount-dst', digest), 404, 'NAME_UNKNOWN');
    const before = await snapshot();
    const res = await api()
      .post('/v2/team/mount-dst/blobs/uploads/')
      .query({ mount: digest, from: 'team/mount-src' })
      .expect(201);
    expect(res.headers.location).toBe(`/v2/team/mount-dst/blobs/${digest}`);
    expect(res.headers['docker-content-digest']).toBe(digest);
    // A mount is a link: no upload session, no second copy of the bytes.
    expect(uploadFiles()).toEqual(before.uploads);
    expect(server.blobFiles()).toEqual(before.blobs);
    const got = await getBlob('team/mount-dst', digest).expect(200);
    expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
  });

  it('a mount from a repository that does not hold the blob falls back to an upload', async () => {
    const { bytes, digest } = blobOf('mount-fallback', 40);
    await putBlob('team/mount-holder', bytes);
    for (const from of ['team/mount-empty', 'team/mount-holder-not', 'Not/A/Name']) {
      const res = await api()
        .post('/v2/team/mount-fallback/blobs/uploads/')
        .query({ mount: digest, from })
        .expect(202);
      const id = UPLOAD_LOCATION.exec(res.headers.location ?? '')?.[1];
      expect(id).toBeDefined();
      expect(uploadFiles()).toEqual(expect.arrayContaining([`${id}:0`]));
      expectOciError(await getBlob('team/mount-fallback', digest), 404, 'NAME_UNKNOWN');
      await api().delete(res.headers.location!).expect(204);
    }
    // The session it opened is a real one.
    const res = await api()
      .post('/v2/team/mount-fallback/blobs/uploads/')
      .query({ mount: digest, from: 'team/mount-empty' })
      .expect(202);
    await api()
      .put(`${res.headers.location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .send(bytes)
      .expect(201);
    await getBlob('team/mount-fallback', digest).expect(200);
  });

  it('HEAD and GET a blob, whole and by byte range', async () => {
    const { bytes, digest } = blobOf('ranges', 20);
    await putBlob('team/ranges', bytes);
    const head = await api().head(`/v2/team/ranges/blobs/${digest}`).expect(200);
    expect(head.headers['docker-content-digest']).toBe(digest);
    expect(head.headers['content-length']).toBe('20');
    expect(head.headers['accept-ranges']).toBe('bytes');
    expect(head.text ?? '').toBe('');

    const whole = await getBlob('team/ranges', digest).expect(200);
    expect(whole.headers['docker-content-digest']).toBe(digest);
    expect(Buffer.compare(whole.body as Buffer, bytes)).toBe(0);

    for (const [range, start, end] of [
      ['bytes=2-5', 2, 5],
      ['bytes=15-', 15, 19],
      ['bytes=-3', 17, 19],
      ['bytes=18-100', 18, 19],
    ] as const) {
      const part = await getBlob('team/ranges', digest, range).expect(206);
      expect(part.headers['content-range']).toBe(`bytes ${start}-${end}/20`);
      expect(part.headers['content-length']).toBe(String(end - start + 1));
      expect(Buffer.compare(part.body as Buffer, bytes.subarray(start, end + 1))).toBe(0);
    }
    for (const range of ['bytes=20-', 'bytes=5-2', 'bytes=-0', 'items=0-1', 'bytes=0-1,3-4']) {
      const res = await getBlob('team/ranges', digest, range);
      expectOciError(res, 416, 'RANGE_INVALID');
      // RFC 9110: a 416 to a range request says how long the representation is.
      expect(res.headers['content-range']).toBe('bytes */20');
    }
  });
});

describe('refused blob uploads store nothing', () => {
  it('a digest mismatch on PUT is DIGEST_INVALID, stores nothing and ends the session', async () => {
    const { bytes } = blobOf('mismatch', 32);
    const other = blobOf('mismatch-other', 32).digest;
    const { location, id } = await openSession('team/mismatch');
    await patch(location, bytes).expect(202);
    const before = await snapshot();
    const res = await api().put(`${location}?digest=${other}`);
    expect(expectOciError(res, 400, 'DIGEST_INVALID')).toContain(sha256Digest(bytes));
    const after = await snapshot();
    expect(after.dump).toBe(before.dump);
    expect(after.blobs).toEqual(before.blobs);
    expect(after.uploads).toEqual(before.uploads.filter((f) => !f.startsWith(id)));
    expect(after.uploads).not.toEqual(before.uploads);
    await refused(() => api().get(location), 404, 'BLOB_UPLOAD_UNKNOWN');
    await refused(() => getBlob('team/mismatch', sha256Digest(bytes)), 404, 'NAME_UNKNOWN');
  });

  it('a digest mismatch on a single-request POST stores nothing and leaves no session', async () => {
    const { bytes } = blobOf('mismatch-single', 32);
    const other = blobOf('mismatch-single-other', 32).digest;
    await refused(
      () =>
        api()
          .post(`/v2/team/mismatch/blobs/uploads/?digest=${other}`)
          .set('Content-Type', OCTETS)
          .send(bytes),
      400,
      'DIGEST_INVALID',
    );
  });

  it('a single-request upload whose client goes away leaves no session behind', async () => {
    const { bytes, digest } = blobOf('aborted-single', 1000);
    const before = await snapshot();
    const url = new URL(server.url);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: `/v2/team/aborted/blobs/uploads/?digest=${digest}`,
      agent: false,
      headers: { 'Content-Type': OCTETS, 'Content-Length': String(bytes.length), ...auth() },
    });
    req.on('error', () => undefined);
    req.write(bytes.subarray(0, 500));
    // The server is inside the upload: its session file holds the first half.
    expect(await waitFor(() => uploadFiles().some((f) => !before.uploads.includes(f)))).toBe(true);
    req.destroy();
    expect(await waitFor(() => uploadFiles().length === before.uploads.length)).toBe(true);
    await expectUnchanged(before);
    await api().get('/v2/').expect(200);
  });

  it('a pull whose client goes away mid-blob lets go of the file, and the next pull is whole', async () => {
    const { bytes } = blobOf('aborted-pull', 16 * MIB);
    const digest = await putBlob('team/aborted-pull', bytes);
    const openFiles = () => fs.readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const url = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const req = http.get(
        {
          host: url.hostname,
          port: url.port,
          path: `/v2/team/aborted-pull/blobs/${digest}`,
          agent: false,
          headers: auth(),
        },
        (res) => {
          expect(res.statusCode).toBe(200);
          // Gone after the first bytes, long before 16 MiB could have been sent.
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.on('close', resolve);
      setTimeout(() => reject(new Error('no answer')), 10_000).unref();
    });
    expect(await waitFor(() => openFiles() <= before)).toBe(true);
    const whole = await getBlob('team/aborted-pull', digest).expect(200);
    expect(Buffer.compare(whole.body as Buffer, bytes)).toBe(0);
  });

  it('a chunk that does not start at the current offset is 416 with Range', async () => {
    const { bytes, digest } = blobOf('out-of-order', 30);
    const fresh = await openSession('team/order');
    const first = await refused(
      () => patch(fresh.location, bytes.subarray(0, 5), '1-5'),
      416,
      'BLOB_UPLOAD_INVALID',
    );
    expect(first.headers.range).toBe('0-0');
    await api().delete(fresh.location).expect(204);

    const { location } = await openSession('team/order');
    await patch(location, bytes.subarray(0, 10), '0-9').expect(202);
    for (const range of ['5-14', '11-20', '0-9']) {
      const res = await refused(
        () => patch(location, bytes.subarray(10, 20), range),
        416,
        'BLOB_UPLOAD_INVALID',
      );
      expect(res.headers.range).toBe('0-9');
    }
    const put = await refused(
      () =>
        api()
          .put(`${location}?digest=${digest}`)
          .set('Content-Type', OCTETS)
          .set('Content-Range', '20-29')
          .send(bytes.subarray(20)),
      416,
      'BLOB_UPLOAD_INVALID',
    );
    expect(put.headers.range).toBe('0-9');
    // The upload is where it was and finishes normally.
    expect((await api().get(location).expect(204)).headers.range).toBe('0-9');
    await patch(location, bytes.subarray(10), '10-29').expect(202);
    await api().put(`${location}?digest=${digest}`).expect(201);
  });

  it('a malformed Content-Range is refused and the upload does not move', async () => {
    const { location } = await openSession('team/badrange');
    await patch(location, Buffer.from('0123456789')).expect(202);
    for (const range of ['abc', '10-', '-19', 'bytes 10-19/abc', '10-19-20']) {
      await refused(
        () => patch(location, Buffer.from('0123456789'), range),
        400,
        'BLOB_UPLOAD_INVALID',
      );
    }
    // Content-Range and Content-Length disagree.
    await refused(
      () => patch(location, Buffer.from('0123456789'), '10-14'),
      400,
      'BLOB_UPLOAD_INVALID',
    );
    // Ends before it starts.
    await refused(() => patch(location, Buffer.from('x'), '19-10'), 416, 'BLOB_UPLOAD_INVALID');
    expect((await api().get(location).expect(204)).headers.range).toBe('0-9');
    await api().delete(location).expect(204);
  });

  it('a malformed digest is DIGEST_INVALID wherever it appears', async () => {
    const { location } = await openSession('team/baddigest');
    await patch(location, Buffer.from('abc')).expect(202);
    const bad = ['sha256:xyz', `sha256:${'A'.repeat(64)}`, 'md5:abc', `sha256:${'a'.repeat(63)}`];
    for (const digest of bad) {
      const q = encodeURIComponent(digest);
      await refused(() => api().put(`${location}?digest=${q}`), 400, 'DIGEST_INVALID');
      await refused(
        () =>
          api()
            .post(`/v2/team/baddigest/blobs/uploads/?digest=${q}`)
            .set('Content-Type', OCTETS)
            .send(Buffer.from('abc')),
        400,
        'DIGEST_INVALID',
      );
      await refused(
        () => api().post(`/v2/team/baddigest/blobs/uploads/?mount=${q}&from=team/mono`),
        400,
        'DIGEST_INVALID',
      );
      await refused(() => api().get(`/v2/team/baddigest/blobs/${digest}`), 400, 'DIGEST_INVALID');
      await refused(
        () => api().delete(`/v2/team/baddigest/blobs/${digest}`),
        400,
        'DIGEST_INVALID',
      );
      await refused(
        () => api().get(`/v2/team/baddigest/manifests/${digest}`),
        400,
        'DIGEST_INVALID',
      );
      await refused(
        () => api().delete(`/v2/team/baddigest/manifests/${digest}`),
        400,
        'DIGEST_INVALID',
      );
    }
    // Finishing needs a digest at all.
    await refused(() => api().put(location), 400, 'DIGEST_INVALID');
    expect((await api().get(location).expect(204)).headers.range).toBe('0-2');
    await api().delete(location).expect(204);
  });

  it('invalid repository names are NAME_INVALID on every endpoint', async () => {
    const { bytes, digest } = blobOf('names', 16);
    const image = smallImage('names');
    const names = [
      'team/App',
      'Team/app',
      'team/../etc',
      'team/%2E%2E/etc',
      'team/a/../../etc',
      `team/${'a'.repeat(260)}`,
      'team/app/',
      'team/-app',
    ];
    for (const name of names) {
      await refused(
        async () =>
          rawJson(
            await raw('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
              headers: { 'Content-Type': OCTETS, 'Content-Length': String(bytes.length) },
              chunks: [bytes],
            }),
          ),
        400,
        'NAME_INVALID',
      );
      await refused(
        async () => rawJson(await raw('POST', `/v2/${name}/blobs/uploads/`)),
        400,
        'NAME_INVALID',
      );
      await refused(
        async () =>
          rawJson(
            await raw('PUT', `/v2/${name}/manifests/latest`, {
              headers: {
                'Content-Type': image.mediaType,
                'Content-Length': String(image.bytes.length),
              },
              chunks: [image.bytes],
            }),
          ),
        400,
        'NAME_INVALID',
      );
      for (const tail of ['manifests/latest', `blobs/${digest}`, 'tags/list']) {
        await refused(
          async () => rawJson(await raw('GET', `/v2/${name}/${tail}`)),
          400,
          'NAME_INVALID',
        );
      }
    }
  });

  it('a name Berth cannot hold (no namespace, or a namespace too short) is 404 NAME_UNKNOWN after the credentials are checked', async () => {
    const { digest } = blobOf('no-namespace', 16);
    for (const [name, why] of [
      ['app', /"app" has no namespace: every Berth repository is <namespace>\/<repository>/],
      ['ab/app', /namespace "ab" must be 4–30 characters long/],
    ] as const) {
      // Clients begin with a HEAD, which has no body: the status itself must say "unknown".
      const head = await raw('HEAD', `/v2/${name}/blobs/${digest}`);
      expect(head.status).toBe(404);
      for (const tail of ['manifests/latest', `blobs/${digest}`, 'tags/list']) {
        const res = await refused(
          async () => rawJson(await raw('GET', `/v2/${name}/${tail}`)),
          404,
          'NAME_UNKNOWN',
        );
        expect((res.body as { errors: { message: string }[] }).errors[0]?.message).toMatch(why);
      }
      await refused(
        async () => rawJson(await raw('POST', `/v2/${name}/blobs/uploads/`)),
        404,
        'NAME_UNKNOWN',
      );
      // A wrong password still hears that it is wrong, not that the name is unknown.
      const wrong = await raw('GET', `/v2/${name}/tags/list`, {
        headers: { Authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` },
      });
      expect(wrong.status).toBe(401);
    }
  });

  it('a push to a namespace that does not exist is NAME_UNKNOWN and says how to create it', async () => {
    const { bytes, digest } = blobOf('nowhere', 16);
    const image = smallImage('nowhere');
    const sends = [
      () => api().post('/v2/nowhere/app/blobs/uploads/'),
      () =>
        api()
          .post(`/v2/nowhere/app/blobs/uploads/?digest=${digest}`)
          .set('Content-Type', OCTETS)
          .send(bytes),
      () => api().post(`/v2/nowhere/app/blobs/uploads/?mount=${digest}&from=team/mono`),
      () => putManifest('nowhere/app', '1.0', image),
    ];
    for (const send of sends) {
      const res = await refused(send, 404, 'NAME_UNKNOWN');
      const message = (res.body as { errors: { message: string }[] }).errors[0]!.message;
      expect(message).toContain('namespace "nowhere" does not exist; create it first');
      expect(message).toContain('POST /api/v1/namespaces');
    }
  });
});

describe('refused manifests store nothing', () => {
  it('a manifest referencing a blob never uploaded is MANIFEST_BLOB_UNKNOWN', async () => {
    const image = smallImage('missing-blobs');
    await refused(() => putManifest('team/missing', '1.0', image), 400, 'MANIFEST_BLOB_UNKNOWN');
    // With the config there but not the layer, still refused.
    await putBlob('team/missing', image.config!.bytes);
    const res = await refused(
      () => putManifest('team/missing', '1.0', image),
      400,
      'MANIFEST_BLOB_UNKNOWN',
    );
    expect(res.body.errors[0].message).toContain(image.layers[0]!.digest);
  });

  it('a blob stored only in another namespace gets the very answer an unknown digest gets', async () => {
    await api()
      .post(apiPaths.namespaces())
      .send({ name: 'elsewhere', region: 'local' })
      .expect(201);
    const image = smallImage('stored-elsewhere');
    await putBlob('team/probe', image.config!.bytes);
    const put = () =>
      raw('PUT', '/v2/team/probe/manifests/1.0', {
        headers: { 'Content-Type': image.mediaType, 'Content-Length': String(image.bytes.length) },
        chunks: [image.bytes],
      });
    const unknown = await put();
    // The layer now exists, but in a namespace the pushing repository cannot read.
    await putBlob('elsewhere/app', image.layers[0]!.bytes);
    const before = await snapshot();
    const elsewhere = await put();
    await expectUnchanged(before);
    const comparable = (r: RawResponse) => {
      const { date: _date, 'x-request-id': _id, ...headers } = r.headers;
      return { status: r.status, headers, body: r.body.toString('utf8') };
    };
    expect(unknown.status).toBe(400);
    expect(comparable(elsewhere)).toEqual(comparable(unknown));
    expect(rawJson(elsewhere).body).toEqual({
      errors: [
        {
          code: 'MANIFEST_BLOB_UNKNOWN',
          message: `blob ${image.layers[0]!.digest} is not in team/probe; upload it (or mount it) before the manifest`,
          detail: { digest: image.layers[0]!.digest },
        },
      ],
    });

    // The first blob the repository cannot use, in manifest order, whichever way it is missing.
    const second = smallImage('stored-elsewhere-2');
    await putBlob('elsewhere/app', second.config!.bytes);
    const res = await refused(
      () => putManifest('team/probe', '1.0', second),
      400,
      'MANIFEST_BLOB_UNKNOWN',
    );
    expect(res.body.errors[0].detail).toEqual({ digest: second.config!.digest });
  });

  it('a manifest referencing a blob of a different repository is MANIFEST_BLOB_UNKNOWN', async () => {
    const image = smallImage('isolation');
    await pushBlobsOf('team/iso-a', image);
    const res = await refused(
      () => putManifest('team/iso-b', '1.0', image),
      400,
      'MANIFEST_BLOB_UNKNOWN',
    );
    expect(res.body.errors[0].message).toContain('team/iso-b');
    await refused(
      () => putManifest('team/iso-b', image.digest, image),
      400,
      'MANIFEST_BLOB_UNKNOWN',
    );
    // Once mounted, the same manifest is accepted: the refusal was about the repository.
    for (const b of [image.config!, ...image.layers]) {
      await api()
        .post('/v2/team/iso-b/blobs/uploads/')
        .query({ mount: b.digest, from: 'team/iso-a' })
        .expect(201);
    }
    await putManifest('team/iso-b', '1.0', image).expect(201);
  });

  it('a manifest giving a blob the wrong size is MANIFEST_INVALID', async () => {
    const config = blobOf('size-config', 30);
    const layer = blobOf('size-layer', 50);
    await putBlob('team/sizes', config.bytes);
    await putBlob('team/sizes', layer.bytes);
    const manifest = (layerSize: number) => ({
      mediaType: MEDIA_TYPES.manifest,
      bytes: json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: { mediaType: MEDIA_TYPES.config, digest: config.digest, size: 30 },
        layers: [{ mediaType: MEDIA_TYPES.layer, digest: layer.digest, size: layerSize }],
      }),
    });
    for (const size of [51, 49, 0]) {
      const res = await refused(
        () => putManifest('team/sizes', 'v1', manifest(size)),
        400,
        'MANIFEST_INVALID',
      );
      expect(res.body.errors[0].message).toContain(layer.digest);
    }
    await putManifest('team/sizes', 'v1', manifest(50)).expect(201);
  });

  it('invalid JSON, a wrong schemaVersion or a Content-Type contradicting mediaType is MANIFEST_INVALID', async () => {
    const image = smallImage('invalid-manifests');
    await pushBlobsOf('team/invalid', image);
    const doc = JSON.parse(image.bytes.toString('utf8')) as Record<string, unknown>;
    const cases: { body: Buffer; type: string }[] = [
      { body: Buffer.from('{"schemaVersion": 2,'), type: MEDIA_TYPES.manifest },
      { body: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), type: MEDIA_TYPES.manifest },
      { body: Buffer.from('[]'), type: MEDIA_TYPES.manifest },
      { body: json({ ...doc, schemaVersion: 1 }), type: MEDIA_TYPES.manifest },
      { body: json({ ...doc, schemaVersion: '2' }), type: MEDIA_TYPES.manifest },
      { body: image.bytes, type: MEDIA_TYPES.index },
      { body: image.bytes, type: DOCKER_MANIFEST },
      {
        body: json({ ...doc, mediaType: 'application/vnd.example+json' }),
        type: 'application/json',
      },
      { body: json({ ...doc, config: undefined }), type: MEDIA_TYPES.manifest },
      { body: json({ ...doc, layers: 'none' }), type: MEDIA_TYPES.manifest },
    ];
    for (const c of cases) {
      await refused(
        () => putManifest('team/invalid', 'v1', { bytes: c.body, mediaType: c.type }),
        400,
        'MANIFEST_INVALID',
      );
    }
    // The same blobs with the real manifest are fine.
    await putManifest('team/invalid', 'v1', image).expect(201);
  });

  it('a manifest over 4 MiB is 413, whether its length is declared or not', async () => {
    const big = Buffer.alloc(4 * MIB + 1, 0x20);
    await refused(
      () => sendBytes(api().put('/v2/team/big/manifests/v1'), MEDIA_TYPES.manifest, big),
      413,
      'MANIFEST_INVALID',
    );
    const chunks = Array.from({ length: 5 }, () => Buffer.alloc(MIB, 0x20));
    await refused(
      async () =>
        rawJson(
          await raw('PUT', '/v2/team/big/manifests/v1', {
            headers: { 'Content-Type': MEDIA_TYPES.manifest, 'Transfer-Encoding': 'chunked' },
            chunks,
          }),
        ),
      413,
      'MANIFEST_INVALID',
    );
    // The server is fine afterwards.
    await api().get('/v2/').expect(200);
  });

  it('a manifest PUT by a digest that is not the body’s is DIGEST_INVALID', async () => {
    const image = smallImage('by-digest');
    await pushBlobsOf('team/bydigest', image);
    const other = smallImage('by-digest-other');
    const res = await refused(
      () => putManifest('team/bydigest', other.digest, image),
      400,
      'DIGEST_INVALID',
    );
    expect(res.body.errors[0].message).toContain(image.digest);
    await putManifest('team/bydigest', image.digest, image).expect(201);
  });

  it('an index whose platform manifests were not pushed is MANIFEST_BLOB_UNKNOWN', async () => {
    const index = randomIndex({
      seed: 'unpushed-children',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
      layerBytes: 64,
    });
    await refused(() => putManifest('team/children', 'v1', index), 400, 'MANIFEST_BLOB_UNKNOWN');
    await pushImage('team/children', index.children[0]!);
    const res = await refused(
      () => putManifest('team/children', 'v1', index),
      400,
      'MANIFEST_BLOB_UNKNOWN',
    );
    expect(res.body.errors[0].message).toContain(index.children[1]!.digest);
    // A child pushed to another repository does not count either.
    await pushImage('team/children-elsewhere', index.children[1]!);
    await refused(() => putManifest('team/children', 'v1', index), 400, 'MANIFEST_BLOB_UNKNOWN');
    await pushImage('team/children', index.children[1]!);
    await putManifest('team/children', 'v1', index).expect(201);
  });

  it('an invalid tag is TAG_INVALID; reading one is MANIFEST_UNKNOWN', async () => {
    const image = smallImage('bad-tags');
    await pushBlobsOf('team/badtags', image);
    for (const tag of ['-bad', '.bad', 'a'.repeat(129), 'b@d']) {
      await refused(() => putManifest('team/badtags', tag, image), 400, 'TAG_INVALID');
    }
    await putManifest('team/badtags', 'good', image).expect(201);
    expectOciError(await api().get('/v2/team/badtags/manifests/-bad'), 404, 'MANIFEST_UNKNOWN');
  });

  it('a namespace quota refuses the push that would exceed it with DENIED', async () => {
    await api()
      .post(apiPaths.namespaces())
      .send({ name: 'tiny', region: 'local', quotaBytes: 1000 })
      .expect(201);
    // One blob larger than the quota: refused when the upload finishes, single request or not.
    const large = blobOf('quota-large', 1500);
    const single = await refused(
      () =>
        api()
          .post(`/v2/tiny/app/blobs/uploads/?digest=${large.digest}`)
          .set('Content-Type', OCTETS)
          .send(large.bytes),
      403,
      'DENIED',
    );
    expect(expectOciError(single, 403, 'DENIED')).toBe(
      'namespace "tiny" uses 0 B of its 1000 B quota; this upload needs 1.5 KiB. Delete images or ask an administrator to raise the quota',
    );
    const { location, id } = await openSession('tiny/app');
    await patch(location, large.bytes).expect(202);
    const before = await snapshot();
    const res = await api().put(`${location}?digest=${large.digest}`);
    expect(expectOciError(res, 403, 'DENIED')).toContain('quota');
    const after = await snapshot();
    expect(after.dump).toBe(before.dump);
    expect(after.blobs).toEqual(before.blobs);
    expect(after.uploads).toEqual(before.uploads.filter((f) => !f.startsWith(id)));

    // Blobs that fit one by one, in an image that does not: the manifest is refused.
    const config = blobOf('quota-config', 400);
    const layer = blobOf('quota-layer', 500);
    await putBlob('tiny/app', config.bytes);
    await putBlob('tiny/app', layer.bytes);
    const manifest = (l: { digest: string; bytes: Buffer }) => ({
      mediaType: MEDIA_TYPES.manifest,
      bytes: json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: { mediaType: MEDIA_TYPES.config, digest: config.digest, size: 400 },
        layers: [{ mediaType: MEDIA_TYPES.layer, digest: l.digest, size: l.bytes.length }],
      }),
    });
    const image = await refused(
      () => putManifest('tiny/app', 'v1', manifest(layer)),
      403,
      'DENIED',
    );
    expect(expectOciError(image, 403, 'DENIED')).toMatch(
      /^namespace "tiny" uses 0 B of its 1000 B quota; this image needs 1.3 KiB more\./,
    );
    expectOciError(await api().get('/v2/tiny/app/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
    const empty = await api().get(apiPaths.namespace('tiny')).expect(200);
    expect(empty.body).toMatchObject({ imageCount: 0, sizeBytes: 0 });

    // An image that fits is accepted and counted.
    const small = blobOf('quota-small-layer', 50);
    await putBlob('tiny/app', small.bytes);
    const fits = manifest(small);
    await putManifest('tiny/app', 'v1', fits).expect(201);
    const used = await api().get(apiPaths.namespace('tiny')).expect(200);
    expect(used.body).toMatchObject({ imageCount: 1, sizeBytes: fits.bytes.length + 450 });
  });
});

describe('reading what is not there', () => {
  const image = smallImage('reads');
  const other = blobOf('reads-other-repo', 24);

  beforeAll(async () => {
    await pushImage('team/reads', image, 'v1');
    await putBlob('team/reads-other', other.bytes);
  });

  it('an unknown manifest is MANIFEST_UNKNOWN, by tag and by digest', async () => {
    expectOciError(await api().get('/v2/team/reads/manifests/nope'), 404, 'MANIFEST_UNKNOWN');
    expectOciError(
      await api().get(`/v2/team/reads/manifests/${smallImage('never').digest}`),
      404,
      'MANIFEST_UNKNOWN',
    );
    const head = await api().head('/v2/team/reads/manifests/nope');
    expect(head.status).toBe(404);
    // The manifest that is there reads back byte for byte.
    const got = await api().get('/v2/team/reads/manifests/v1').expect(200);
    expect(got.text).toBe(image.bytes.toString('utf8'));
    expect(got.headers['content-type']).toBe(MEDIA_TYPES.manifest);
    expect(got.headers['docker-content-digest']).toBe(image.digest);
    const headOk = await api().head(`/v2/team/reads/manifests/${image.digest}`).expect(200);
    expect(headOk.headers['content-length']).toBe(String(image.bytes.length));
  });

  it('an unknown repository is NAME_UNKNOWN', async () => {
    for (const name of ['team/nothing', 'nowhere/nothing']) {
      expectOciError(await api().get(`/v2/${name}/manifests/v1`), 404, 'NAME_UNKNOWN');
      expectOciError(await api().get(`/v2/${name}/tags/list`), 404, 'NAME_UNKNOWN');
      expectOciError(await getBlob(name, other.digest), 404, 'NAME_UNKNOWN');
    }
  });

  it('an unknown blob is BLOB_UNKNOWN', async () => {
    const missing = blobOf('never-uploaded').digest;
    expectOciError(await getBlob('team/reads', missing), 404, 'BLOB_UNKNOWN');
    expect((await api().head(`/v2/team/reads/blobs/${missing}`)).status).toBe(404);
  });

  it('a blob of repository A read through repository B is BLOB_UNKNOWN', async () => {
    await getBlob('team/reads-other', other.digest).expect(200);
    expectOciError(await getBlob('team/reads', other.digest), 404, 'BLOB_UNKNOWN');
    expect((await api().head(`/v2/team/reads/blobs/${other.digest}`)).status).toBe(404);
    expectOciError(await getBlob('team/reads', other.digest, 'bytes=0-3'), 404, 'BLOB_UNKNOWN');
    // And the other way round: the image's layer is not readable through the other repository.
    expectOciError(await getBlob('team/reads-other', image.layers[0]!.digest), 404, 'BLOB_UNKNOWN');
  });

  it('a bad n on tags/list and _catalog is PAGINATION_NUMBER_INVALID', async () => {
    for (const n of ['abc', '-1', '1.5', '1e3', '', ' 2', '9999999999']) {
      const q = encodeURIComponent(n);
      expectOciError(
        await api().get(`/v2/team/reads/tags/list?n=${q}`),
        400,
        'PAGINATION_NUMBER_INVALID',
      );
      expectOciError(await api().get(`/v2/_catalog?n=${q}`), 400, 'PAGINATION_NUMBER_INVALID');
    }
  });
});

describe('listings', () => {
  it('tags/list is sorted and pages with n, last and a Link header', async () => {
    const image = smallImage('tags');
    await pushImage('team/tagged', image, 'b');
    for (const tag of ['c', '1.0', 'a']) await putManifest('team/tagged', tag, image).expect(201);

    const all = await api().get('/v2/team/tagged/tags/list').expect(200);
    expect(all.body).toEqual({ name: 'team/tagged', tags: ['1.0', 'a', 'b', 'c'] });
    expect(all.headers.link).toBeUndefined();

    const first = await api().get('/v2/team/tagged/tags/list?n=2').expect(200);
    expect(first.body.tags).toEqual(['1.0', 'a']);
    const next = /^<([^>]+)>; rel="next"$/.exec(first.headers.link ?? '')?.[1];
    expect(next).toBe('/v2/team/tagged/tags/list?n=2&last=a');
    const second = await api().get(next!).expect(200);
    expect(second.body.tags).toEqual(['b', 'c']);
    expect(second.headers.link).toBeUndefined();

    const after = await api().get('/v2/team/tagged/tags/list?last=b').expect(200);
    expect(after.body.tags).toEqual(['c']);
    const end = await api().get('/v2/team/tagged/tags/list?last=c').expect(200);
    expect(end.body.tags).toEqual([]);
  });

  it('referrers list manifests with a subject, filtered by artifactType', async () => {
    const subject = smallImage('referrers-subject');
    await pushImage('team/referred', subject, 'v1');
    const sig = buildSignature(subject, 'referrers-sig');
    await pushBlobsOf('team/referred', sig);
    const put = await putManifest('team/referred', sig.digest, sig).expect(201);
    expect(put.headers['oci-subject']).toBe(subject.digest);

    const sbomConfig = blobOf('sbom-config', 2);
    const sbomLayer = blobOf('sbom-layer', 80);
    await putBlob('team/referred', sbomConfig.bytes);
    await putBlob('team/referred', sbomLayer.bytes);
    const sbomType = 'application/vnd.example.sbom.v1+json';
    const sbom = {
      mediaType: MEDIA_TYPES.manifest,
      bytes: json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        // No artifactType field: the non-image config type names the artifact.
        config: { mediaType: sbomType, digest: sbomConfig.digest, size: 2 },
        layers: [{ mediaType: 'application/json', digest: sbomLayer.digest, size: 80 }],
        subject: {
          mediaType: subject.mediaType,
          digest: subject.digest,
          size: subject.bytes.length,
        },
        annotations: { 'org.example.kind': 'sbom' },
      }),
    };
    const sbomDigest = sha256Digest(sbom.bytes);
    await putManifest('team/referred', sbomDigest, sbom).expect(201);

    const all = await api().get(`/v2/team/referred/referrers/${subject.digest}`).expect(200);
    expect(all.headers['content-type']).toBe(MEDIA_TYPES.index);
    expect(all.headers['oci-filters-applied']).toBeUndefined();
    const body = JSON.parse(all.text) as { schemaVersion: number; manifests: unknown[] };
    expect(body.schemaVersion).toBe(2);
    expect(body.manifests).toEqual([
      {
        mediaType: MEDIA_TYPES.manifest,
        digest: sig.digest,
        size: sig.bytes.length,
        artifactType: MEDIA_TYPES.cosignSignature,
      },
      {
        mediaType: MEDIA_TYPES.manifest,
        digest: sbomDigest,
        size: sbom.bytes.length,
        artifactType: sbomType,
        annotations: { 'org.example.kind': 'sbom' },
      },
    ]);

    const filtered = await api()
      .get(`/v2/team/referred/referrers/${subject.digest}`)
      .query({ artifactType: sbomType })
      .expect(200);
    expect(filtered.headers['oci-filters-applied']).toBe('artifactType');
    expect(
      (JSON.parse(filtered.text) as { manifests: { digest: string }[] }).manifests.map(
        (m) => m.digest,
      ),
    ).toEqual([sbomDigest]);
  });

  it('referrers of an unknown digest, or in an unknown repository, are an empty index', async () => {
    const unknown = blobOf('no-referrers').digest;
    for (const name of ['team/referred', 'team/never-pushed']) {
      const res = await api().get(`/v2/${name}/referrers/${unknown}`).expect(200);
      expect(res.headers['content-type']).toBe(MEDIA_TYPES.index);
      expect(JSON.parse(res.text)).toEqual({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.index,
        manifests: [],
      });
    }
    expectOciError(
      await api().get('/v2/team/referred/referrers/sha256:nope'),
      400,
      'DIGEST_INVALID',
    );
  });
});

describe('deleting', () => {
  it('DELETE by digest moves the image to the trash: 202, then 404', async () => {
    const image = smallImage('delete-digest');
    await pushImage('team/del', image, 'v1');
    await api().delete(`/v2/team/del/manifests/${image.digest}`).expect(202);
    expectOciError(
      await api().get(`/v2/team/del/manifests/${image.digest}`),
      404,
      'MANIFEST_UNKNOWN',
    );
    expectOciError(await api().get('/v2/team/del/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
    const trash = await api().get(apiPaths.trash('team')).expect(200);
    expect(trash.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ digest: image.digest, repository: 'del', tags: ['v1'] }),
      ]),
    );
    // A second delete finds nothing live.
    await refused(
      () => api().delete(`/v2/team/del/manifests/${image.digest}`),
      404,
      'MANIFEST_UNKNOWN',
    );
    await refused(
      () => api().delete(`/v2/team/del/manifests/${smallImage('never-pushed').digest}`),
      404,
      'MANIFEST_UNKNOWN',
    );
    await refused(
      () => api().delete(`/v2/team/never-there/manifests/${image.digest}`),
      404,
      'NAME_UNKNOWN',
    );
  });

  it('DELETE by tag removes only the tag', async () => {
    const image = smallImage('delete-tag');
    await pushImage('team/untag', image, 'v1');
    await putManifest('team/untag', 'v2', image).expect(201);
    await api().delete('/v2/team/untag/manifests/v1').expect(202);
    expectOciError(await api().get('/v2/team/untag/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
    await api().get('/v2/team/untag/manifests/v2').expect(200);
    const byDigest = await api().get(`/v2/team/untag/manifests/${image.digest}`).expect(200);
    expect(byDigest.text).toBe(image.bytes.toString('utf8'));
    expect((await api().get('/v2/team/untag/tags/list').expect(200)).body.tags).toEqual(['v2']);
    expect(await trashDigests()).not.toContain(image.digest);
    await refused(() => api().delete('/v2/team/untag/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
  });

  it('DELETE of a blob a manifest uses unlinks it from the repository: 202, then 404', async () => {
    const image = smallImage('delete-used-blob');
    await pushImage('team/blobdel', image, 'v1');
    const layer = image.layers[0]!;
    await api().delete(`/v2/team/blobdel/blobs/${layer.digest}`).expect(202);
    expectOciError(await getBlob('team/blobdel', layer.digest), 404, 'BLOB_UNKNOWN');
    await refused(
      () => api().delete(`/v2/team/blobdel/blobs/${layer.digest}`),
      404,
      'BLOB_UNKNOWN',
    );
    // The bytes stay for the manifest that uses them; re-pushing it needs the blob again.
    expect(server.blobFiles().length).toBeGreaterThan(0);
    await refused(() => putManifest('team/blobdel', 'v1', image), 400, 'MANIFEST_BLOB_UNKNOWN');
    await putBlob('team/blobdel', layer.bytes);
    await putManifest('team/blobdel', 'v1', image).expect(201);
    const back = await getBlob('team/blobdel', layer.digest).expect(200);
    expect(Buffer.compare(back.body as Buffer, layer.bytes)).toBe(0);
  });

  it('DELETE of a platform manifest of a live index is 409 DENIED', async () => {
    const index = randomIndex({
      seed: 'delete-child',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      layerBytes: 64,
    });
    await pushIndex('team/delchild', index, 'v1');
    const res = await refused(
      () => api().delete(`/v2/team/delchild/manifests/${index.children[0]!.digest}`),
      409,
      'DENIED',
    );
    expect(res.body.errors[0].message).toContain(index.digest);
    // With the index gone, the child went with it.
    await api().delete(`/v2/team/delchild/manifests/${index.digest}`).expect(202);
    expectOciError(
      await api().get(`/v2/team/delchild/manifests/${index.children[0]!.digest}`),
      404,
      'MANIFEST_UNKNOWN',
    );
  });

  it('DELETE of an unreferenced blob is 202, then BLOB_UNKNOWN', async () => {
    const { bytes, digest } = blobOf('delete-unused', 33);
    await putBlob('team/blobdel2', bytes);
    await api().delete(`/v2/team/blobdel2/blobs/${digest}`).expect(202);
    expectOciError(await getBlob('team/blobdel2', digest), 404, 'BLOB_UNKNOWN');
    await refused(() => api().delete(`/v2/team/blobdel2/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
  });

  it('re-pushing a manifest that is in the trash brings it back', async () => {
    const image = smallImage('repush');
    await pushImage('team/repush', image, 'v1');
    await api().delete(`/v2/team/repush/manifests/${image.digest}`).expect(202);
    expect(await trashDigests()).toContain(image.digest);
    expectOciError(await api().get('/v2/team/repush/manifests/v1'), 404, 'MANIFEST_UNKNOWN');

    const res = await putManifest('team/repush', 'v2', image).expect(201);
    expect(res.headers['docker-content-digest']).toBe(image.digest);
    expect(await trashDigests()).not.toContain(image.digest);
    const got = await api().get(`/v2/team/repush/manifests/${image.digest}`).expect(200);
    expect(got.text).toBe(image.bytes.toString('utf8'));
    await api().get('/v2/team/repush/manifests/v2').expect(200);
    // Only the pushed tag: the remembered one went with the trash entry.
    expect((await api().get('/v2/team/repush/tags/list').expect(200)).body.tags).toEqual(['v2']);
    const images = await api().get(apiPaths.images('team', 'repush')).expect(200);
    expect(images.body.items).toEqual([expect.objectContaining({ digest: image.digest })]);
  });
});

describe('content negotiation', () => {
  const index = randomIndex({
    seed: 'negotiation',
    // amd64 second, so picking it is not just picking the first child.
    platforms: [
      { os: 'linux', architecture: 'arm64' },
      { os: 'linux', architecture: 'amd64' },
    ],
    layerBytes: 64,
  });
  const amd64 = index.children[1]!;

  beforeAll(async () => {
    await pushIndex('team/multi', index, 'stable');
  });

  it('without an Accept, or accepting the index, the index is served', async () => {
    for (const accept of [undefined, '*/*', `${MEDIA_TYPES.index}, ${MEDIA_TYPES.manifest}`]) {
      const req = api().get('/v2/team/multi/manifests/stable');
      if (accept) req.set('Accept', accept);
      const res = await req.expect(200);
      expect(res.headers['content-type']).toBe(MEDIA_TYPES.index);
      expect(res.headers['docker-content-digest']).toBe(index.digest);
      expect(res.text).toBe(index.bytes.toString('utf8'));
    }
  });

  it('accepting only image manifests gets the linux/amd64 platform manifest', async () => {
    const res = await api()
      .get('/v2/team/multi/manifests/stable')
      .set('Accept', `${MEDIA_TYPES.manifest}, ${DOCKER_MANIFEST};q=0.9`)
      .expect(200);
    expect(res.headers['content-type']).toBe(MEDIA_TYPES.manifest);
    expect(res.headers['docker-content-digest']).toBe(amd64.digest);
    expect(res.text).toBe(amd64.bytes.toString('utf8'));
    const head = await api()
      .head('/v2/team/multi/manifests/stable')
      .set('Accept', MEDIA_TYPES.manifest)
      .expect(200);
    expect(head.headers['docker-content-digest']).toBe(amd64.digest);
  });

  it('an Accept that excludes the stored type entirely is MANIFEST_UNKNOWN', async () => {
    expectOciError(
      await api()
        .get('/v2/team/multi/manifests/stable')
        .set('Accept', `${DOCKER_MANIFEST}, ${DOCKER_LIST}`),
      404,
      'MANIFEST_UNKNOWN',
    );
    expectOciError(
      await api().get(`/v2/team/multi/manifests/${amd64.digest}`).set('Accept', MEDIA_TYPES.index),
      404,
      'MANIFEST_UNKNOWN',
    );
  });

  it('by digest, the index is never swapped for a platform manifest with another digest', async () => {
    // A client pulling by digest verifies what it gets against that digest.
    const res = await api()
      .get(`/v2/team/multi/manifests/${index.digest}`)
      .set('Accept', MEDIA_TYPES.manifest);
    expectOciError(res, 404, 'MANIFEST_UNKNOWN');
    const head = await api()
      .head(`/v2/team/multi/manifests/${index.digest}`)
      .set('Accept', MEDIA_TYPES.manifest);
    expect(head.status).toBe(404);
    const ok = await api()
      .get(`/v2/team/multi/manifests/${index.digest}`)
      .set('Accept', `${MEDIA_TYPES.manifest}, ${MEDIA_TYPES.index}`)
      .expect(200);
    expect(ok.headers['docker-content-digest']).toBe(index.digest);
  });

  it('a Docker schema 2 manifest is stored and served with its own media type', async () => {
    const config = blobOf('docker-config', 20);
    const layer = blobOf('docker-layer', 60);
    await putBlob('team/docker', config.bytes);
    await putBlob('team/docker', layer.bytes);
    const bytes = json({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        digest: config.digest,
        size: 20,
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          digest: layer.digest,
          size: 60,
        },
      ],
    });
    await putManifest('team/docker', 'v1', { bytes, mediaType: DOCKER_MANIFEST }).expect(201);
    const res = await api()
      .get('/v2/team/docker/manifests/v1')
      .set('Accept', `${DOCKER_MANIFEST}, ${DOCKER_LIST}`)
      .expect(200);
    expect(res.headers['content-type']).toBe(DOCKER_MANIFEST);
    expect(res.text).toBe(bytes.toString('utf8'));
    expectOciError(
      await api().get('/v2/team/docker/manifests/v1').set('Accept', MEDIA_TYPES.manifest),
      404,
      'MANIFEST_UNKNOWN',
    );
  });
});

describe('path parameters', () => {
  it('a digest whose ":" is percent-encoded names the same manifest and blob', async () => {
    const image = smallImage('encoded-colon');
    await pushImage('team/encoded', image, 'v1');
    const enc = (d: string) => d.replace(':', '%3A');
    const manifest = await api()
      .get(`/v2/team/encoded/manifests/${enc(image.digest)}`)
      .expect(200);
    expect(manifest.headers['docker-content-digest']).toBe(image.digest);
    const layer = image.layers[0]!;
    const blob = await getBlob('team/encoded', enc(layer.digest)).expect(200);
    expect(Buffer.compare(blob.body as Buffer, layer.bytes)).toBe(0);
    const referrers = await api().get(`/v2/team/encoded/referrers/${enc(image.digest)}`);
    expect(referrers.status).toBe(200);
  });

  it('percent-encoding cannot smuggle a bad name, tag or upload id past the checks', async () => {
    await refused(() => api().post('/v2/team%2F..%2Fetc/blobs/uploads/'), 400, 'NAME_INVALID');
    await refused(() => api().get('/v2/team/%E0%A4%A/tags/list'), 400, 'NAME_INVALID');
    await refused(
      () => putManifest('team/encoded', 'a%2Fb', smallImage('encoded-colon')),
      400,
      'TAG_INVALID',
    );
    await refused(
      () => api().get('/v2/team/encoded/blobs/uploads/..%2F..%2Fberth.db'),
      404,
      'BLOB_UPLOAD_UNKNOWN',
    );
  });
});

describe('_catalog', () => {
  let own: TestServer;

  beforeAll(async () => {
    own = await startTestServer();
    const local = () => own.api();
    await local().post(apiPaths.namespaces()).send({ name: 'cat1', region: 'local' }).expect(201);
    await local().post(apiPaths.namespaces()).send({ name: 'cat2', region: 'local' }).expect(201);
    for (const [repo, seed] of [
      ['cat2/zeta', 'cat-zeta'],
      ['cat1/beta', 'cat-beta'],
      ['cat1/alpha/one', 'cat-alpha'],
      ['cat1/trashed', 'cat-trashed'],
      ['cat2/alpha', 'cat-alpha2'],
    ] as const) {
      const image = smallImage(seed);
      for (const b of [image.config!, ...image.layers]) {
        await local()
          .post(`/v2/${repo}/blobs/uploads/?digest=${b.digest}`)
          .set('Content-Type', OCTETS)
          .send(b.bytes)
          .expect(201);
      }
      await sendBytes(
        local().put(`/v2/${repo}/manifests/${image.digest}`),
        image.mediaType,
        image.bytes,
      ).expect(201);
      if (repo === 'cat1/trashed') {
        await local().delete(`/v2/${repo}/manifests/${image.digest}`).expect(202);
      }
    }
    // A repository holding only a blob has no image to list.
    const blob = blobOf('cat-blob-only');
    await local()
      .post(`/v2/cat1/blobs-only/blobs/uploads/?digest=${blob.digest}`)
      .set('Content-Type', OCTETS)
      .send(blob.bytes)
      .expect(201);
  });

  afterAll(async () => {
    await own?.stop();
  });

  it('lists repositories with live images in order, paged with n, last and Link', async () => {
    const local = () => own.api();
    const all = await local().get('/v2/_catalog').expect(200);
    expect(all.body).toEqual({
      repositories: ['cat1/alpha/one', 'cat1/beta', 'cat2/alpha', 'cat2/zeta'],
    });
    expect(all.headers.link).toBeUndefined();

    const first = await local().get('/v2/_catalog?n=3').expect(200);
    expect(first.body.repositories).toEqual(['cat1/alpha/one', 'cat1/beta', 'cat2/alpha']);
    const next = /^<([^>]+)>; rel="next"$/.exec(first.headers.link ?? '')?.[1];
    expect(next).toBe('/v2/_catalog?n=3&last=cat2%2Falpha');
    const second = await local().get(next!).expect(200);
    expect(second.body.repositories).toEqual(['cat2/zeta']);
    expect(second.headers.link).toBeUndefined();

    const after = await local().get('/v2/_catalog?last=cat1/beta&n=1').expect(200);
    expect(after.body.repositories).toEqual(['cat2/alpha']);
    expect(after.headers.link).toBe('</v2/_catalog?n=1&last=cat2%2Falpha>; rel="next"');
  });
});

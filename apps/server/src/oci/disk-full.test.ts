import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import { signIn, type SignedIn } from '../testing/accounts.js';
import { mountTmpfs, type Tmpfs, tmpfsUnavailable } from '../testing/tmpfs.js';
import { layoutRefDigest, randomImage, writeLayout } from '../testing/oci-layout.js';
import { hasSkopeo, pullToLayout, pushLayout } from '../testing/skopeo.js';

const unavailable = tmpfsUnavailable() ?? (hasSkopeo() ? null : 'skopeo is not installed');

/**
 * The data directory on a real 32 MiB tmpfs that a filler file makes full: SQLite answers
 * SQLITE_FULL and the upload files ENOSPC, as on a production disk.
 */
describe.skipIf(unavailable !== null)(`a full disk (${unavailable ?? 'real tmpfs'})`, () => {
  const stored = randomImage({ seed: 'disk-full-v1', layers: 2, layerBytes: 256 * 1024 });
  const fresh = randomImage({ seed: 'disk-full-v2', layers: 2, layerBytes: 1024 * 1024 });
  let disk: Tmpfs;
  let server: TestServer;
  let host: string;
  let work: string;
  let source: string;
  let console: SignedIn;
  let chunked: string; // an upload started before the disk filled
  const chunk = Buffer.alloc(2 * 1024 * 1024, 7);
  const logs: string[] = [];
  const creds = `${ADMIN.username}:${ADMIN.password}`;

  const leftovers = () =>
    ['uploads', 'uploads-tmp'].flatMap((d) => {
      const dir = path.join(server.dataDir, d);
      if (!fs.existsSync(dir)) return [];
      return fs.readdirSync(dir).map((f) => ({ f, size: fs.statSync(path.join(dir, f)).size }));
    });

  beforeAll(async () => {
    disk = mountTmpfs(32);
    const dataDir = path.join(disk.dir, 'data');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-disk-full-'));
    source = path.join(work, 'source');
    writeLayout(source, [
      { manifest: stored, ref: 'v1' },
      { manifest: fresh, ref: 'v2' },
    ]);
    const first = await startTestServer({ dataDir });
    first.clock.advance(Date.now() - first.clock.now);
    await first.api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' });
    await pushLayout(source, 'v1', `${first.url.replace('http://', '')}/team/app:v1`, { creds });
    // Closing checkpoints SQLite's write-ahead log away; the restarted server starts with a
    // small one, so its next writes need new room, as on a disk that has just filled up.
    await first.close();
    server = await startTestServer({
      dataDir,
      logStream: { write: (line: string) => void logs.push(line) },
    });
    server.clock.advance(Date.now() - server.clock.now);
    host = server.url.replace('http://', '');
    console = await signIn(server.url, ADMIN.username, ADMIN.password);
    chunked = (await server.api().post('/v2/team/app/blobs/uploads/').expect(202)).headers
      .location!;
    disk.fill();
  });

  afterAll(async () => {
    await server?.close();
    disk?.unmount();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('still pulls with a password: the token is issued without its login record', async () => {
    const pulled = path.join(work, 'pulled');
    await pullToLayout(`${host}/team/app:v1`, pulled, 'v1', { creds });
    expect(layoutRefDigest(pulled, 'v1')).toBe(stored.digest);
  });

  it('refuses a push with words a person can read, leaving no partial upload', async () => {
    const push = pushLayout(source, 'v2', `${host}/team/app:v2`, { creds });
    // skopeo prints the OCI error's code and message for a 4xx (only the status line for a 5xx).
    await expect(push).rejects.toThrow(/denied: the registry's storage is full/);
    const res = await request(server.url)
      .post('/v2/team/app/blobs/uploads/')
      .set('Authorization', `Bearer ${server.adminKey}`)
      .send();
    if (res.status === 403) {
      expect(res.body).toEqual({
        errors: [{ code: 'DENIED', message: expect.stringMatching(/storage is full/) }],
      });
    } else {
      // There was room for an empty session; its first chunk is what cannot be stored.
      expect(res.status).toBe(202);
    }
    // Refused chunks are cut off again; no temp files stay.
    for (const { f, size } of leftovers()) {
      expect(f).not.toMatch(/\.tmp$/);
      expect(size === 0 || f.endsWith('.json')).toBe(true);
    }
  });

  it('cuts a refused chunk off again, so the upload can go on once there is room', async () => {
    const res = await server
      .api()
      .patch(chunked)
      .set('Content-Type', 'application/octet-stream')
      .send(chunk)
      .expect(403);
    expect(res.body.errors[0].message).toMatch(/storage is full/);
    const id = chunked.split('/').pop()!;
    expect(fs.statSync(path.join(server.dataDir, 'uploads', id)).size).toBe(0);
    const offset = await server.api().get(chunked).expect(204);
    expect(offset.headers.range).toBe('0-0');
  });

  it('answers a sign-in 507 STORAGE_FULL, with nothing half-written', async () => {
    const before = await server.dump();
    const res = await request(server.url)
      .post(apiPaths.session())
      .send({ username: ADMIN.username, password: ADMIN.password });
    expect(res.status).toBe(507);
    expect(res.body.error.code).toBe('STORAGE_FULL');
    expect(res.body.error.message).toMatch(/storage is full/);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await server.dump()).toBe(before);
  });

  it('answers a repository delete 507 STORAGE_FULL and moves nothing to the trash', async () => {
    const before = await server.dump();
    const res = await server.api().delete(apiPaths.repository('team', 'app'));
    expect(res.status).toBe(507);
    expect(res.body.error.code).toBe('STORAGE_FULL');
    expect(await server.dump()).toBe(before);
  });

  it('keeps the console readable for a signed-in person and an API key', async () => {
    await console.agent.get(apiPaths.session()).expect(200);
    const list = await console.agent.get(apiPaths.namespaces()).expect(200);
    expect(JSON.stringify(list.body)).toContain('team');
    await server.api().get(apiPaths.images('team', 'app')).expect(200);
  });

  it('logs the full disk as such, never as an unhandled error or a failed rollback', () => {
    const text = logs.join('');
    expect(text).toContain('storage is full');
    expect(text).not.toContain('cannot rollback');
    expect(text).not.toContain('unhandled error');
    expect(text).not.toContain('registry request failed');
  });

  it('pushes and signs in again once space is freed, without a restart', async () => {
    disk.free();
    await server
      .api()
      .patch(chunked)
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', `0-${chunk.length - 1}`)
      .send(chunk)
      .expect(202);
    await server
      .api()
      .put(chunked)
      .query({ digest: `sha256:${createHash('sha256').update(chunk).digest('hex')}` })
      .expect(201);
    expect(await pushLayout(source, 'v2', `${host}/team/app:v2`, { creds })).toBe(fresh.digest);
    await signIn(server.url, ADMIN.username, ADMIN.password);
    expect(leftovers().filter(({ f }) => f.endsWith('.tmp'))).toEqual([]);
  });
});

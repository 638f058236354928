import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import request from 'supertest';
import { apiPaths } from '@berth/contract';
import { randomBytesFromSeed, sha256Digest } from '../seed/oci-content.js';
import { startTestServer } from '../testing/test-server.js';
import { startServerProcess, stopServerProcesses, until } from '../testing/server-processes.js';

const MIB = 1024 * 1024;
let dataDir = '';

afterEach(async () => {
  await stopServerProcesses();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const uploadFiles = () => {
  const dir = path.join(dataDir, 'uploads');
  return fs.existsSync(dir)
    ? fs.readdirSync(dir).map((f) => ({ f, size: fs.statSync(path.join(dir, f)).size }))
    : [];
};

it('removes the partial file of a server killed mid-upload at restart, and uploads work', async () => {
  const seeder = await startTestServer();
  dataDir = seeder.dataDir;
  const key = seeder.adminKey;
  await seeder.api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' });
  await seeder.close();

  const first = startServerProcess(dataDir);
  await until(first.listening, 'the first server to listen');
  const blob = randomBytesFromSeed('killed-mid-upload', 4 * MIB);
  // A single-request upload (POST ?digest=) whose body stops halfway: the client never
  // learns a session to resume, so whatever reached the disk belongs to nobody.
  const url = new URL(`${first.url()}/v2/team/app/blobs/uploads/?digest=${sha256Digest(blob)}`);
  const req = http.request(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${key}`,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(blob.length),
    },
  });
  req.on('error', () => {});
  // 2 MiB: an encrypted upload seals segments in batches of 1 MiB, written once complete.
  req.write(blob.subarray(0, 2 * MIB));
  await until(
    () => uploadFiles().some(({ f, size }) => f.length === 36 && size > 0),
    'the partial upload to reach the disk',
  );
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  req.destroy();
  const partial = uploadFiles();
  expect(partial.map(({ f }) => f.length).sort()).toEqual([36, 41]); // <id> and <id>.json

  const second = startServerProcess(dataDir);
  await until(second.listening, 'the restarted server to listen');
  expect(uploadFiles()).toEqual([]);
  expect(second.log.join('')).toContain('removed stray upload files');

  const small = randomBytesFromSeed('after-restart', 64 * 1024);
  await request(second.url())
    .post(`/v2/team/app/blobs/uploads/?digest=${sha256Digest(small)}`)
    .set('Authorization', `Bearer ${key}`)
    .set('Content-Type', 'application/octet-stream')
    .send(small)
    .expect(201);
  await request(second.url())
    .head(`/v2/team/app/blobs/${sha256Digest(small)}`)
    .set('Authorization', `Bearer ${key}`)
    .expect(200);
  expect(uploadFiles()).toEqual([]);
});

it('GC reports and removes stray upload files, and spares live sessions', async () => {
  const server = await startTestServer();
  dataDir = server.dataDir;
  try {
    const api = server.api();
    await api.post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
    // A live chunked session (the client holds its Location) is not stray, however quiet.
    const live = await api.post('/v2/team/app/blobs/uploads/').expect(202);
    await api
      .patch(live.headers.location!)
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.alloc(1000, 1))
      .expect(202);
    const uploads = path.join(dataDir, 'uploads');
    const staging = path.join(dataDir, 'uploads-tmp');
    fs.mkdirSync(staging, { recursive: true });
    const orphan = randomUUID(); // a data file whose session (meta) is gone
    fs.writeFileSync(path.join(uploads, orphan), Buffer.alloc(300));
    const tmp = `${randomUUID()}.json.${randomUUID()}.tmp`; // a meta write cut short
    fs.writeFileSync(path.join(uploads, tmp), '{"repo');
    const put = `${'a'.repeat(32)}`; // a blob put nobody has written to for two hours
    fs.writeFileSync(path.join(staging, put), Buffer.alloc(200));
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    for (const f of [path.join(uploads, orphan), path.join(uploads, tmp), path.join(staging, put)])
      fs.utimesSync(f, longAgo, longAgo);

    const dry = await api.post(apiPaths.gcRuns()).send({ dryRun: true }).expect(200);
    expect(dry.body).toMatchObject({ strayFiles: 3, strayBytes: 300 + 6 + 200 });
    expect(fs.existsSync(path.join(uploads, orphan))).toBe(true);
    const run = await api.post(apiPaths.gcRuns()).send({ dryRun: false }).expect(200);
    expect(run.body).toMatchObject({ strayFiles: 3, strayBytes: 506, uploads: 0 });
    expect(fs.readdirSync(staging)).toEqual([]);
    const left = fs.readdirSync(uploads).sort();
    expect(left).toHaveLength(2); // the live session's data and meta
    expect(left.every((f) => live.headers.location!.includes(f.replace('.json', '')))).toBe(true);
    await api
      .put(live.headers.location!)
      .query({ digest: sha256Digest(Buffer.alloc(1000, 1)) })
      .expect(201);
  } finally {
    await server.close();
  }
});

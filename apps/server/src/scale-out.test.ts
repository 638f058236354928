import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { type StoreHandle, openPostgres, parseS3Location } from '@berth/store';
import { createS3Client } from '@berth/store/s3';
import { type CephRgw, cephUnavailable, startCephRgw } from '@berth/store/testing/ceph-rgw';
import { createTestDatabase } from '@berth/store/testing/postgres';
import { type Balancer, haproxyUnavailable, startHaproxy } from '@berth/store/testing/haproxy';
import { basicAuth } from './testing/identity.js';
import { type SignedIn, signIn } from './testing/accounts.js';
import { allBlobs, layoutRefDigest, randomImage, writeLayout } from './testing/oci-layout.js';
import { digestOf } from './testing/registry-client.js';
import {
  type ServerProcess,
  startServerProcess,
  stopServerProcesses,
  until,
} from './testing/server-processes.js';
import { hasSkopeo, pullToLayout, pushLayout, skopeo } from './testing/skopeo.js';

/*
 * The scaled-out shape end to end: PostgreSQL, a real S3 server (Ceph RGW), three Berth
 * processes each with a data directory of its own, and HAProxy balancing every request on its
 * own across them. Clients only ever see the balancer, except where a test needs to name
 * the process a request goes to.
 */
const adminUrl = inject('postgresUrl');
const unavailable =
  (adminUrl === null ? 'PostgreSQL is not installed' : null) ??
  cephUnavailable() ??
  haproxyUnavailable() ??
  (hasSkopeo() ? null : 'skopeo is not installed');

// CI installs every engine this needs (.ci/run): there, a missing one fails instead of skipping.
if (unavailable !== null && process.env.CI)
  throw new Error(`CI cannot run the scale-out test: ${unavailable}`);

const PASSWORD = 'correct-horse-battery-staple';
const BUCKET = 'berth-scaled';
const MiB = 1024 * 1024;

describe.skipIf(unavailable !== null)(
  `three processes behind HAProxy (${unavailable ?? 'PostgreSQL, Ceph RGW, HAProxy'})`,
  () => {
    let rgw: CephRgw;
    let database: { url: string; drop(): Promise<void> };
    let balancer: Balancer;
    let processes: ServerProcess[];
    let metadata: StoreHandle | undefined;
    let adminKey: string;
    let admin: SignedIn;
    let work: string;
    const dirs: string[] = [];
    const host = () => balancer.url.replace('http://', '');
    const creds = () => `admin:${adminKey}`;
    const api = (url = balancer.url) =>
      request.agent(url).set('Authorization', `Bearer ${adminKey}`);

    beforeAll(async () => {
      rgw = await startCephRgw();
      const address = `s3://${BUCKET}/scaled/?endpoint=${rgw.endpoint}`;
      const s3 = createS3Client({
        ...parseS3Location(address),
      });
      process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      s3.destroy();
      database = await createTestDatabase(adminUrl!, { empty: true });
      const env = {
        BERTH_DATABASE_URL: database.url,
        BERTH_BLOB_STORE: address,
        BERTH_ROOT_KEY: randomBytes(32).toString('base64'),
        BERTH_ADMIN_PASSWORD: PASSWORD,
        AWS_ACCESS_KEY_ID: rgw.accessKeyId,
        AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
        BERTH_GC_INTERVAL_MS: '1000',
        BERTH_LOGIN_FAILURES_PER_ACCOUNT: '3',
      };
      processes = [0, 1, 2].map(() => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scaled-'));
        dirs.push(dir);
        return startServerProcess(dir, env);
      });
      await until(() => processes.every((p) => p.listening()), 'three processes', 90_000).catch(
        (error: unknown) => {
          throw new Error(`${String(error)}:\n${processes.map((p) => p.log.join('')).join('\n')}`);
        },
      );
      balancer = await startHaproxy(processes.map((p) => p.url().replace('http://', '')));
      admin = await signIn(balancer.url, 'admin', PASSWORD);
      const created = await admin.agent
        .post(apiPaths.apiKeys())
        .send({ name: 'scale-out', access: 'read-write' })
        .expect(201);
      adminKey = (created.body as { secret: string }).secret;
      await api().post(apiPaths.namespaces()).send({ name: 'scaled', region: 'local' }).expect(201);
      // The test's own look at the shared database, to make scheduled work due.
      metadata = await openPostgres(database.url, { poolSize: 1 });
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scaled-work-'));
    }, 180_000);

    afterAll(async () => {
      await metadata?.close();
      await balancer?.stop();
      await stopServerProcesses();
      await rgw?.stop();
      await database?.drop();
      for (const dir of [...dirs, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    /** Registry requests each process answered, from its request log. */
    const registryRequests = () =>
      processes.map((p) => (p.log.join('').match(/"url":"\/v2\//g) ?? []).length);

    it('skopeo pushes and pulls through the balancer, every process answering part of it', async () => {
      const before = registryRequests();
      const image = randomImage({ seed: 'scaled-1', layers: 3, layerBytes: 2 * MiB });
      const layout = path.join(work, 'push-1');
      writeLayout(layout, [{ manifest: image, ref: 'v1' }]);
      const pushed = await pushLayout(layout, 'v1', `${host()}/scaled/app:v1`, { creds: creds() });
      expect(pushed).toBe(image.digest);
      const pulled = path.join(work, 'pull-1');
      await pullToLayout(`${host()}/scaled/app:v1`, pulled, 'v1', { creds: creds() });
      expect(layoutRefDigest(pulled, 'v1')).toBe(image.digest);
      for (const blob of allBlobs(image)) {
        const file = path.join(pulled, 'blobs', 'sha256', blob.digest.slice('sha256:'.length));
        expect(digestOf(fs.readFileSync(file))).toBe(blob.digest);
      }
      const served = registryRequests().map((n, i) => n - before[i]!);
      expect(
        served.every((n) => n > 0),
        `requests per process: ${served.join(', ')}`,
      ).toBe(true);
    });

    it('continues a chunked upload on whichever process the next chunk reaches', async () => {
      const bytes = randomBytes(12 * MiB);
      const digest = digestOf(bytes);
      const started = await api(processes[0]!.url()).post('/v2/scaled/chunked/blobs/uploads/');
      expect(started.status).toBe(202);
      let location = started.headers.location as string;
      const chunks = [
        bytes.subarray(0, 6 * MiB),
        bytes.subarray(6 * MiB, 7 * MiB),
        bytes.subarray(7 * MiB),
      ];
      let offset = 0;
      for (const [i, chunk] of chunks.entries()) {
        // Chunk i to process i: each continues what another one started.
        const target = new URL(location, processes[i]!.url());
        const res = await api(processes[i]!.url())
          .patch(`${target.pathname}${target.search}`)
          .set('Content-Type', 'application/octet-stream')
          .set('Content-Range', `${offset}-${offset + chunk.length - 1}`)
          .send(chunk);
        expect(res.status, `chunk ${i} on process ${i}`).toBe(202);
        offset += chunk.length;
        expect(res.headers.range).toBe(`0-${offset - 1}`);
        location = res.headers.location as string;
      }
      const end = new URL(location, processes[1]!.url());
      end.searchParams.set('digest', digest);
      await api(processes[1]!.url()).put(`${end.pathname}${end.search}`).expect(201);
      const fetched = await api(processes[2]!.url())
        .get(`/v2/scaled/chunked/blobs/${digest}`)
        .buffer(true)
        .parse((res, done) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => done(null, Buffer.concat(parts)));
        });
      expect(fetched.status).toBe(200);
      expect(Buffer.compare(fetched.body as Buffer, bytes)).toBe(0);
    });

    it('a revoked API key stops working on every process', async () => {
      const created = await admin.agent
        .post(apiPaths.apiKeys())
        .send({ name: 'to-revoke', access: 'read-only' })
        .expect(201);
      const { id, secret } = created.body as { id: string; secret: string };
      const tags = (p: ServerProcess) =>
        request(p.url())
          .get('/v2/scaled/app/tags/list')
          .set('Authorization', basicAuth('ci', secret));
      for (const p of processes) expect((await tags(p)).status).toBe(200);
      await admin.agent.delete(apiPaths.apiKey(id)).expect(204);
      // Each process trusts a checked credential for a second at most (docs/registry.md).
      await new Promise((r) => setTimeout(r, 2_500));
      for (const p of processes) expect((await tags(p)).status).toBe(401);
    });

    it('counts failed sign-ins across processes', async () => {
      // An account of its own: a locked-out admin would refuse the later tests' API key.
      const temporary = `temporary-${randomBytes(8).toString('hex')}`;
      await admin.agent
        .post(apiPaths.users())
        .send({ username: 'erin', password: temporary })
        .expect(201);
      const login = (url: string, password: string) =>
        request(url).post(apiPaths.session()).send({ username: 'erin', password });
      // Three failures through the balancer: round robin puts them on different processes.
      for (let i = 0; i < 3; i++)
        expect((await login(balancer.url, `guess-${i}`)).status).toBe(401);
      for (const p of processes) expect((await login(p.url(), temporary)).status).toBe(429);
    });

    it('runs scheduled retention and GC once across the three processes', async () => {
      for (const seed of ['old-1', 'old-2', 'new']) {
        const image = randomImage({
          seed: `scaled-retention-${seed}`,
          layers: 1,
          layerBytes: 1024,
        });
        const layout = path.join(work, `retention-${seed}`);
        writeLayout(layout, [{ manifest: image, ref: seed }]);
        await pushLayout(layout, seed, `${host()}/scaled/kept:${seed}`, { creds: creds() });
      }
      await api()
        .put(apiPaths.retentionPolicy('scaled'))
        .send({
          keepCount: 1,
          retainUntagged: false,
          excludeTags: [],
          excludeRepositories: [],
          enabled: true,
          dailyAt: '04:00',
        })
        .expect(200);
      const runs = () =>
        metadata!.db
          .selectFrom('retention_runs')
          .select(['scheduled_for', 'status', 'claimed_by'])
          .orderBy('id')
          .execute();
      for (let round = 1; round <= 3; round++) {
        await metadata!.db.updateTable('retention_policies').set({ next_run_at: round }).execute();
        const end = Date.now() + 20_000;
        while (
          !(await runs()).some((r) => Number(r.scheduled_for) === round && r.status === 'succeeded')
        ) {
          if (Date.now() > end) throw new Error(`slot ${round} did not run`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await new Promise((r) => setTimeout(r, 1_000));
      const all = await runs();
      expect(all.map((r) => Number(r.scheduled_for))).toEqual([1, 2, 3]);
      // GC: each 1-second slot was collected by one process, never by two.
      const slots = processes.flatMap((p) =>
        [...p.log.join('').matchAll(/"slot":(\d+)[^\n]*"msg":"scheduled garbage collection"/g)].map(
          (m) => ({ slot: Number(m[1]) }),
        ),
      );
      expect(slots.length).toBeGreaterThan(2);
      const bySlot = new Map<number, number>();
      for (const s of slots) bySlot.set(s.slot, (bySlot.get(s.slot) ?? 0) + 1);
      expect([...bySlot.values()].every((n) => n === 1)).toBe(true);
      for (const p of processes) expect(p.log.join('')).not.toMatch(/"level":50/);
    });

    it('a process killed mid-push: the retried push succeeds and nothing is lost', async () => {
      const image = randomImage({ seed: 'scaled-killed', layers: 4, layerBytes: 6 * MiB });
      const layout = path.join(work, 'killed');
      writeLayout(layout, [{ manifest: image, ref: 'v1' }]);
      const copy = () =>
        skopeo(
          [
            'copy',
            '--retry-times',
            '5',
            '--dest-tls-verify=false',
            '--dest-creds',
            creds(),
            '--preserve-digests',
            `oci:${layout}:v1`,
            `docker://${host()}/scaled/killed:v1`,
          ],
          { timeoutMs: 180_000 },
        );
      const first = copy().then(
        () => null,
        (error: Error) => error,
      );
      await new Promise((r) => setTimeout(r, 700));
      processes[1]!.child.kill('SIGKILL');
      // A request the killed process was serving cannot be saved: HAProxy answers it 502 (or
      // the connection drops, which Go reports as an EOF or as a failed read or write on the
      // TCP connection: reset, broken pipe, use of closed network connection, by when it
      // happens), and skopeo does not retry a 502. An HTTP error status from Berth would not
      // match. Whoever pushes runs the push again, which the balancer now sends only to the
      // living processes.
      const failure = await first;
      if (failure !== null) {
        expect(failure.message).toMatch(/502 Bad Gateway|EOF|(read|write) tcp [^ ]+->[^ ]+: /);
        await copy();
      }
      const pulled = path.join(work, 'killed-pull');
      await pullToLayout(`${host()}/scaled/killed:v1`, pulled, 'v1', { creds: creds() });
      expect(layoutRefDigest(pulled, 'v1')).toBe(image.digest);
      // What was there before is still there.
      const earlier = path.join(work, 'pull-again');
      await pullToLayout(`${host()}/scaled/app:v1`, earlier, 'v1', { creds: creds() });
    }, 240_000);
  },
);

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { randomBytesFromSeed, sha256Digest } from '../seed/oci-content.js';
import type { BuiltManifest } from '../seed/oci-content.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import {
  allBlobs,
  layoutBlob,
  layoutRefDigest,
  randomImage,
  writeLayout,
} from '../testing/oci-layout.js';
import { pullToLayout, pushLayout } from '../testing/skopeo.js';

const HOUR = 3_600_000;
const GRACE = 2 * HOUR;

describe('garbage collection', () => {
  let server: TestServer;
  let host: string;
  let work: string;
  const api = () => server.api();
  const creds = () => ({ creds: `${ADMIN.username}:${server.adminKey}` });
  const gc = (dryRun = false) => api().post(apiPaths.gcRuns()).send({ dryRun }).expect(200);
  const upload = (repo: string, bytes: Buffer) =>
    api()
      .post(`/v2/team/${repo}/blobs/uploads/?digest=${sha256Digest(bytes)}`)
      .set('Content-Type', 'application/octet-stream')
      .send(bytes)
      .expect(201);

  beforeAll(async () => {
    server = await startTestServer({
      env: { BERTH_GC_GRACE_MS: String(GRACE), BERTH_UPLOAD_TTL_MS: String(24 * HOUR) },
    });
    host = server.url.replace('http://', '');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-gc-'));
    await api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
  });

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('refuses a malformed run request and changes nothing', async () => {
    await upload('bad-input', randomBytesFromSeed('bad-input', 1000));
    server.clock.advance(25 * HOUR);
    const before = await server.dump();
    const files = server.blobFiles();
    for (const body of [{ dryRun: 'yes' }, { dryRun: false, everything: true }, [1]]) {
      const res = await api().post(apiPaths.gcRuns()).send(body).expect(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
    expect(await server.dump()).toBe(before);
    expect(server.blobFiles()).toEqual(files);
    await gc(); // leave nothing behind for the tests below
  });

  it('a dry run reports abandoned uploads and changes nothing; a real run removes them', async () => {
    const garbage = [0, 1, 2].map((i) => randomBytesFromSeed(`garbage-${i}`, 10_000 + i));
    for (const g of garbage) await upload('scratch', g);
    const session = await api().post('/v2/team/scratch/blobs/uploads/').expect(202);
    // Within the grace period nothing is garbage yet: a push may be about to use it.
    expect((await gc(true)).body).toMatchObject({ blobs: 0, bytes: 0, uploads: 0 });

    server.clock.advance(25 * HOUR);
    const before = await server.dump();
    const files = server.blobFiles();
    const dry = await gc(true);
    expect(dry.body).toMatchObject({
      dryRun: true,
      blobs: 3,
      bytes: garbage.reduce((s, g) => s + g.length, 0),
      staleLinks: 3,
      uploads: 1,
    });
    expect(await server.dump()).toBe(before);
    expect(server.blobFiles()).toEqual(files);

    const run = await gc();
    expect(run.body).toMatchObject({ dryRun: false, blobs: 3, staleLinks: 3, uploads: 1 });
    expect(server.blobFiles()).toHaveLength(files.length - 3);
    await api()
      .get(session.headers.location as string)
      .expect(404);
    for (const g of garbage) {
      await api()
        .head(`/v2/team/scratch/blobs/${sha256Digest(g)}`)
        .expect(404);
    }
    expect((await gc(true)).body).toMatchObject({ blobs: 0, uploads: 0 });
  });

  it('runs while clients push layers it is collecting, and every image pulls back whole', async () => {
    // Layers uploaded long ago and never referenced: garbage, until the pushes below reuse them.
    const images: BuiltManifest[] = [0, 1, 2, 3, 4, 5].map((i) =>
      randomImage({ seed: `gc-race-${i}`, layers: 3, layerBytes: 32 * 1024 }),
    );
    for (const img of images) {
      for (const b of allBlobs(img).filter((b) => b.digest !== img.digest)) {
        await upload('race', b.bytes);
      }
    }
    const pureGarbage = randomBytesFromSeed('gc-race-garbage', 50_000);
    await upload('race', pureGarbage);
    server.clock.advance(GRACE + HOUR);

    const source = path.join(work, 'race-source');
    writeLayout(
      source,
      images.map((m, i) => ({ manifest: m, ref: `i${i}` })),
    );
    let pushing = true;
    let runs = 0;
    const collector = (async () => {
      while (pushing) {
        await gc();
        runs += 1;
      }
    })();
    try {
      await Promise.all(
        images.map((_, i) => pushLayout(source, `i${i}`, `${host}/team/race:v${i}`, creds())),
      );
    } finally {
      pushing = false;
      await collector;
    }
    expect(runs).toBeGreaterThan(0);
    await gc();

    for (const [i, img] of images.entries()) {
      const pulled = fs.mkdtempSync(path.join(work, `race-pull-${i}-`));
      await pullToLayout(`${host}/team/race:v${i}`, pulled, 'p', creds());
      expect(layoutRefDigest(pulled, 'p')).toBe(img.digest);
      for (const b of allBlobs(img))
        expect(layoutBlob(pulled, b.digest).equals(b.bytes)).toBe(true);
    }
    // What no image uses is gone; what the images use all stayed.
    await api()
      .head(`/v2/team/race/blobs/${sha256Digest(pureGarbage)}`)
      .expect(404);
    expect(await server.blobs.stat(sha256Digest(pureGarbage))).toBeNull();
  });
});

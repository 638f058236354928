import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { buildImage, type BuiltManifest } from '../seed/oci-content.js';
import { writeLayout } from '../testing/oci-layout.js';
import { layerOf } from '../testing/scan-fixtures.js';
import { hasSkopeo, pushLayout } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * An image deleted while its scan runs: moved to the trash, the scan finishes and its result
 * is kept like any result of an image in the trash; with its namespace deleted for good, the
 * scan stores nothing and the server goes on serving.
 */
const imageOf = (seed: string): BuiltManifest =>
  buildImage({
    seed,
    created: new Date('2024-05-01T00:00:00Z'),
    layers: [
      layerOf([
        { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' },
        { name: 'lib/apk/db/installed', content: `P:${seed}\nV:1.0-r0\nA:x86_64\n\n` },
      ]),
    ],
  });

let server: TestServer;
let work: string;

async function push(namespace: string, image: BuiltManifest) {
  const layout = path.join(work, namespace);
  writeLayout(layout, [{ manifest: image, ref: 'v1' }]);
  await pushLayout(layout, 'v1', `${server.url.replace('http://', '')}/${namespace}/app:v1`, {
    creds: `${ADMIN.username}:${server.adminKey}`,
  });
}

/** Until a scanner has claimed the image: it then waits on the push held open by the test. */
async function claimed(digest: string) {
  for (let i = 0; i < 200; i++) {
    const row = await server.store.db
      .selectFrom('scan_requests as q')
      .innerJoin('manifests as m', 'm.id', 'q.manifest_id')
      .select('q.claimed_by')
      .where('m.digest', '=', digest)
      .executeTakeFirst();
    if (row?.claimed_by) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no scanner claimed ${digest}`);
}

describe.skipIf(!hasSkopeo())('scanning an image that is deleted meanwhile', () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { BERTH_SCAN_POLL_MS: '100' } });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scan-deleted-'));
    for (const name of ['to-trash', 'to-remove']) {
      await server.api().post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
  });
  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('keeps the result of an image moved to the trash during its scan', async () => {
    const image = imageOf('trashed');
    // A push in flight holds scans before they read a byte (push-activity).
    const endPush = server.services.pushActivity.begin();
    try {
      await push('to-trash', image);
      await claimed(image.digest);
      await server.api().delete(`/v2/to-trash/app/manifests/${image.digest}`).expect(202);
    } finally {
      endPush();
    }
    await server.services.scanner.idle();

    const scan = (
      await server
        .api()
        .get(apiPaths.imageScan('to-trash', 'app', image.digest))
        .expect(200)
    ).body;
    expect(scan.queued).toBe(false);
    expect(scan.result).toMatchObject({ status: 'complete', packages: 1, distro: 'alpine 3.19.1' });
  });

  it('stores nothing for an image whose namespace is deleted during its scan, and serves on', async () => {
    const image = imageOf('removed');
    const endPush = server.services.pushActivity.begin();
    try {
      await push('to-remove', image);
      await claimed(image.digest);
      await server.api().delete(apiPaths.namespace('to-remove')).expect(200);
    } finally {
      endPush();
    }
    await server.services.scanner.idle();

    const rows = await server.store.db
      .selectFrom('scan_results')
      .select('id')
      .where('namespace', '=', 'to-remove')
      .execute();
    expect(rows).toEqual([]);
    expect(await server.store.scans.anyQueued()).toBe(false);
    // The scanner goes on: a new push is scanned.
    const next = imageOf('after');
    await push('to-trash', next);
    await server.services.scanner.idle();
    const scan = (
      await server
        .api()
        .get(apiPaths.imageScan('to-trash', 'app', next.digest))
        .expect(200)
    ).body;
    expect(scan.result).toMatchObject({ status: 'complete', packages: 1 });
  });
});

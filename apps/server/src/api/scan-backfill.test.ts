import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { buildImage } from '../seed/oci-content.js';
import { writeLayout } from '../testing/oci-layout.js';
import { layerOf } from '../testing/scan-fixtures.js';
import { hasSkopeo, pushLayout } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * Images that were never scanned (pushed while scan-on-push was off, or before scanning
 * existed) are scanned once scan-on-push is on, without anyone asking: every live image then
 * has a result.
 */
const image = buildImage({
  seed: 'backfill-me',
  created: new Date('2024-05-01T00:00:00Z'),
  layers: [
    layerOf([
      { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' },
      { name: 'lib/apk/db/installed', content: 'P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n' },
    ]),
  ],
});

let server: TestServer;
let work: string;

const scan = async () =>
  (
    await server
      .api()
      .get(apiPaths.imageScan('old-images', 'base', image.digest))
      .expect(200)
  ).body;

describe.skipIf(!hasSkopeo())('scanning images that were never scanned', () => {
  beforeAll(async () => {
    server = await startTestServer({
      env: { BERTH_SCAN_ON_PUSH: 'false', BERTH_SCAN_POLL_MS: '100' },
    });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-backfill-'));
    await server
      .api()
      .post(apiPaths.namespaces())
      .send({ name: 'old-images', region: 'local' })
      .expect(201);
    writeLayout(work, [{ manifest: image, ref: 'v1' }]);
    await pushLayout(work, 'v1', `${server.url.replace('http://', '')}/old-images/base:v1`, {
      creds: `${ADMIN.username}:${server.adminKey}`,
    });
  });
  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('leaves them alone while scan-on-push is off, and scans them once it is on', async () => {
    await server.services.scanner.idle();
    expect(await scan()).toMatchObject({ queued: false, result: null });

    await server.close();
    server = await startTestServer({
      dataDir: server.dataDir,
      env: { BERTH_SCAN_POLL_MS: '100' },
    });
    await server.services.scanner.idle();
    const body = await scan();
    expect(body.queued).toBe(false);
    expect(body.result).toMatchObject({ status: 'complete', packages: 1, distro: 'alpine 3.19.1' });
    // Nobody asked: no audit entry names a person's scan.
    const audit = await server.store.audit.list({ limit: 50 });
    expect(audit.items.filter((e) => e.action === 'image.scan')).toEqual([]);
  });
});

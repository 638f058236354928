import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { MEDIA_TYPES, buildImage, buildTar, sha256Digest } from '../seed/oci-content.js';
import { writeLayout } from '../testing/oci-layout.js';
import { hasSkopeo, pushLayout } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * A scan that completes without reading a package database it wanted (here one larger than
 * the 64 MiB the scanner keeps) says so in its result: "no findings" must not read as
 * "nothing there". The note outlives a re-match.
 */
const OVERSIZED = 64 * 1024 * 1024 + 1;
// Mostly zeros, to keep the layer a few MB, but not so compressible that the scanner takes it
// for a decompression bomb (over 200 times its size).
const oversized = Buffer.alloc(OVERSIZED);
for (let i = 0, x = 1; i < OVERSIZED; i += 16) {
  x = (x * 1103515245 + 12345) & 0x7fffffff;
  oversized[i] = x & 0xff;
}
const layer = gzipSync(
  buildTar([
    { name: 'etc/os-release', content: Buffer.from('ID=debian\nVERSION_ID="12"\n') },
    { name: 'var/lib/dpkg/status', content: oversized },
  ]),
);
const layerDigest = sha256Digest(layer);
const image = buildImage({
  seed: 'oversized-status',
  created: new Date('2024-05-01T00:00:00Z'),
  layers: [{ mediaType: MEDIA_TYPES.layer, digest: layerDigest, bytes: layer }],
});

let server: TestServer;
let work: string;

const resultOf = async () =>
  (
    await server
      .api()
      .get(apiPaths.imageScan('notes-shop', 'big', image.digest))
      .expect(200)
  ).body.result;

describe.skipIf(!hasSkopeo())('what a scan could not read', () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { BERTH_SCAN_POLL_MS: '100' } });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scan-notes-'));
    await server
      .api()
      .post(apiPaths.namespaces())
      .send({ name: 'notes-shop', region: 'local' })
      .expect(201);
    writeLayout(work, [{ manifest: image, ref: 'v1' }]);
    await pushLayout(work, 'v1', `${server.url.replace('http://', '')}/notes-shop/big:v1`, {
      creds: `${ADMIN.username}:${server.adminKey}`,
    });
    await server.services.scanner.idle();
  });
  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('completes, and names the file it did not read, the layer and why', async () => {
    const result = await resultOf();
    expect(result).toMatchObject({ status: 'complete', packages: 0, distro: 'debian 12' });
    expect(result.notes).toEqual([
      `var/lib/dpkg/status in layer ${layerDigest} was not read: larger than the 67108864 bytes kept for this file`,
    ]);
  });

  it('keeps the note when the sweep re-matches the result', async () => {
    // A day before the 30 days are up, the sweep re-matches from the stored inventory.
    server.clock.advance(29.5 * 86_400_000);
    await server.services.scanner.sweep();
    const result = await resultOf();
    expect(result.generatedAt).toBe(new Date(server.clock.now).toISOString());
    expect(result.notes).toHaveLength(1);
  });
});

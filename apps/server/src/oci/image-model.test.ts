import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import type { BuiltManifest } from '../seed/oci-content.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import {
  allBlobs,
  layoutBlob,
  layoutRefDigest,
  randomImage,
  writeLayout,
} from '../testing/oci-layout.js';
import { deleteImage, pullToLayout, pushLayout } from '../testing/skopeo.js';

const HOUR = 3_600_000;
const GRACE = 2 * HOUR;

// What an image is made of, seen through real clients: blob links per repository, nested
// indexes, platform order and cosign's tag signatures.
describe('the image model', () => {
  let server: TestServer;
  let host: string;
  let work: string;
  const api = () => server.api();
  const creds = () => ({ creds: `${ADMIN.username}:${server.adminKey}` });
  const fresh = (name: string) => fs.mkdtempSync(path.join(work, `${name}-`));

  function expectSameBytes(pulled: string, ref: string, m: BuiltManifest) {
    expect(layoutRefDigest(pulled, ref)).toBe(m.digest);
    for (const b of allBlobs(m)) expect(layoutBlob(pulled, b.digest).equals(b.bytes)).toBe(true);
  }

  beforeAll(async () => {
    server = await startTestServer({ env: { BERTH_GC_GRACE_MS: String(GRACE) } });
    host = server.url.replace('http://', '');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-model-'));
    await api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
  });

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  describe('blob DELETE', () => {
    it('unlinks a layer of a trashed image; GC keeps its bytes; a restore pulls whole', async () => {
      const image = randomImage({ seed: 'model-blob-delete', layers: 2, layerBytes: 8 * 1024 });
      const source = fresh('src');
      writeLayout(source, [{ manifest: image, ref: 'image' }]);
      await pushLayout(source, 'image', `${host}/team/blobs:1.0`, creds());
      await deleteImage(`${host}/team/blobs@${image.digest}`, creds());
      const layer = image.layers[0]!;
      await api().delete(`/v2/team/blobs/blobs/${layer.digest}`).expect(202);
      const gone = await api().head(`/v2/team/blobs/blobs/${layer.digest}`);
      expect(gone.status).toBe(404);
      // Long past the grace period, GC still keeps bytes a trashed manifest needs.
      server.clock.advance(25 * HOUR);
      await api().post(apiPaths.gcRuns()).send({ dryRun: false }).expect(200);
      expect(server.blobFiles().some((f) => f.includes(layer.digest.slice(7)))).toBe(true);
      await api()
        .post(apiPaths.trashRestore('team'))
        .send({ repository: 'blobs', digest: image.digest })
        .expect(200);
      const pulled = fresh('restored');
      await pullToLayout(`${host}/team/blobs:1.0`, pulled, 'pulled', creds());
      expectSameBytes(pulled, 'pulled', image);
    });
  });
});

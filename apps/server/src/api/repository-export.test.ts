import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import type { BuiltManifest } from '../seed/oci-content.js';
import { type Account, addAccount, signIn } from '../testing/accounts.js';
import {
  allBlobs,
  cosignSignatureTag,
  layoutBlob,
  layoutRefDigest,
  randomImage,
  signatureFor,
  writeLayout,
} from '../testing/oci-layout.js';
import { hasSkopeo, pushLayout, skopeo } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/** The body as bytes, however it is typed. */
function binary(req: request.Test): request.Test {
  return req.buffer(true).parse((res, callback) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => callback(null, Buffer.concat(chunks)));
  });
}

describe.skipIf(!hasSkopeo())('repository download as an OCI image layout', () => {
  let server: TestServer;
  let work: string;
  let reader: Account;
  const image = randomImage({ seed: 'download-image', layers: 2, layerBytes: 30 * 1024 });
  const signature = signatureFor(image, 'download-signature');

  async function push(manifest: BuiltManifest, destination: string) {
    const layout = path.join(work, `push-${manifest.digest.slice(7, 19)}`);
    writeLayout(layout, [{ manifest, ref: 'x' }]);
    await pushLayout(layout, 'x', `${server.url.replace('http://', '')}/${destination}`, {
      creds: `${ADMIN.username}:${server.adminKey}`,
    });
  }

  beforeAll(async () => {
    server = await startTestServer();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-download-'));
    for (const name of ['shipping', 'secluded']) {
      await server.api().post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
    await push(image, 'shipping/web/app:v1');
    await push(signature, `shipping/web/app:${cosignSignatureTag(image)}`);
    await push(image, 'secluded/app:v1');
    reader = await addAccount(server, 'reader', { namespaces: { shipping: 'viewer' } });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('previews, then sends exactly Content-Length bytes that skopeo reads', async () => {
    const session = await signIn(server.url, reader.username, reader.password);
    const preview = await session.agent
      .get(apiPaths.repositoryExportPreview('shipping', 'web/app'))
      .expect(200);
    expect(preview.body).toMatchObject({
      namespace: 'shipping',
      repository: 'web/app',
      images: 2,
      tags: 2,
    });

    const res = await binary(
      session.agent.get(apiPaths.repositoryExport('shipping', 'web/app')),
    ).expect(200);
    const body = res.body as Buffer;
    expect(res.headers['content-type']).toMatch(/application\/x-tar/);
    expect(res.headers['content-disposition']).toMatch(/shipping-web-app\.oci\.tar/);
    expect(Number(res.headers['content-length'])).toBe(body.length);
    expect(body.length).toBe(preview.body.archiveBytes);
    const head = await session.agent
      .head(apiPaths.repositoryExport('shipping', 'web/app'))
      .expect(200);
    expect(Number(head.headers['content-length'])).toBe(body.length);

    const file = path.join(work, 'download.tar');
    fs.writeFileSync(file, body);
    const pulled = path.join(work, 'pulled');
    await skopeo([
      'copy',
      '--preserve-digests',
      `oci-archive:${file}:web/app:v1`,
      `oci:${pulled}:v1`,
    ]);
    expect(layoutRefDigest(pulled, 'v1')).toBe(image.digest);
    for (const blob of allBlobs(image)) {
      expect(layoutBlob(pulled, blob.digest).equals(blob.bytes), blob.digest).toBe(true);
    }
    const sigPulled = path.join(work, 'pulled-sig');
    await skopeo([
      'copy',
      '--preserve-digests',
      `oci-archive:${file}:web/app:${cosignSignatureTag(image)}`,
      `oci:${sigPulled}:sig`,
    ]);
    expect(layoutRefDigest(sigPulled, 'sig')).toBe(signature.digest);
  });

  it('is for readers of the namespace only, and 404s what is not there', async () => {
    const outsider = await addAccount(server, 'outsider');
    const other = await signIn(server.url, outsider.username, outsider.password);
    const hidden = await other.agent
      .get(apiPaths.repositoryExport('shipping', 'web/app'))
      .expect(404);
    expect(hidden.headers['content-type']).toMatch(/json/);
    await other.agent.get(apiPaths.repositoryExportPreview('shipping', 'web/app')).expect(404);
    await server.api().get(apiPaths.repositoryExport('shipping', 'nothing-here')).expect(404);
    await server.api().get(apiPaths.repositoryExport('no-such-ns', 'app')).expect(404);
    await server.api().get(apiPaths.repositoryExport('shipping', 'Bad..Name')).expect(400);
    const anonymous = await fetch(
      `${server.url}${apiPaths.repositoryExport('shipping', 'web/app')}`,
    );
    expect(anonymous.status).toBe(401);
  });
});

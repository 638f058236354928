import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import type { BuiltManifest } from '../seed/oci-content.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import {
  allBlobs,
  cosignSignatureTag,
  layoutBlob,
  layoutRefDigest,
  randomImage,
  randomIndex,
  signatureFor,
  writeLayout,
} from '../testing/oci-layout.js';
import { deleteImage, pullToLayout, pushLayout } from '../testing/skopeo.js';
import { dumpIgnoringLogins } from '../testing/identity.js';

// Real client, real server: skopeo pushes and pulls OCI layouts built here, and every byte
// that comes back is compared with what went in.
describe('skopeo against Berth', () => {
  const image = randomImage({
    seed: 'skopeo-image',
    layers: 3,
    layerBytes: 48 * 1024,
    created: new Date('2026-03-04T05:06:07Z'),
  });
  const index = randomIndex({
    seed: 'skopeo-index',
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
    layers: 2,
    layerBytes: 16 * 1024,
  });
  const signature = signatureFor(image, 'skopeo-signature');

  let server: TestServer;
  let host: string;
  let work: string;
  let source: string;

  const api = () => server.api();
  /** skopeo authenticates as the admin, with the admin's API key as the password. */
  const creds = () => ({ creds: `${ADMIN.username}:${server.adminKey}` });
  const fresh = (name: string) => fs.mkdtempSync(path.join(work, `${name}-`));

  function expectSameBytes(pulled: string, ref: string, m: BuiltManifest) {
    expect(layoutRefDigest(pulled, ref)).toBe(m.digest);
    for (const b of allBlobs(m)) expect(layoutBlob(pulled, b.digest).equals(b.bytes)).toBe(true);
  }

  beforeAll(async () => {
    server = await startTestServer();
    host = server.url.replace('http://', '');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-skopeo-'));
    source = path.join(work, 'source');
    writeLayout(source, [
      { manifest: image, ref: 'image' },
      { manifest: index, ref: 'index' },
      { manifest: signature, ref: 'signature' },
    ]);
    await api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
  });

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('pushes an image, pulls it back byte for byte, and the console lists it', async () => {
    await pushLayout(source, 'image', `${host}/team/web/app:1.0`, creds());
    const pulled = fresh('image');
    await pullToLayout(`${host}/team/web/app:1.0`, pulled, 'pulled', creds());
    expectSameBytes(pulled, 'pulled', image);

    const list = await api().get(apiPaths.images('team', 'web/app')).expect(200);
    // Size = manifest + config + layers.
    const size = allBlobs(image).reduce((s, b) => s + b.bytes.length, 0);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      digest: image.digest,
      tags: ['1.0'],
      sizeBytes: size,
      createdAt: '2026-03-04T05:06:07.000Z',
    });
    const ns = await api().get(apiPaths.namespace('team')).expect(200);
    expect(ns.body).toMatchObject({ repositoryCount: 1, imageCount: 1 });
  });

  it('pushes and pulls a multi-arch index with every platform', async () => {
    await pushLayout(source, 'index', `${host}/team/multi:stable`, { all: true, ...creds() });
    const pulled = fresh('index');
    await pullToLayout(`${host}/team/multi:stable`, pulled, 'pulled', { all: true, ...creds() });
    expectSameBytes(pulled, 'pulled', index);
    const list = await api().get(apiPaths.images('team', 'multi')).expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(
      list.body.items[0].platforms.map((p: { architecture: string }) => p.architecture).sort(),
    ).toEqual(['amd64', 'arm64']);
  });

  it('pushes a signature with a subject; the referrers API and the console show it', async () => {
    await pushLayout(
      source,
      'signature',
      `${host}/team/web/app:${cosignSignatureTag(image)}`,
      creds(),
    );
    const referrers = await api().get(`/v2/team/web/app/referrers/${image.digest}`).expect(200);
    expect(referrers.headers['content-type']).toContain('application/vnd.oci.image.index.v1+json');
    expect(referrers.body.manifests).toEqual([
      expect.objectContaining({ digest: signature.digest, artifactType: signature.artifactType }),
    ]);
    const pulled = fresh('signature');
    await pullToLayout(`${host}/team/web/app@${signature.digest}`, pulled, 'pulled', creds());
    expectSameBytes(pulled, 'pulled', signature);
    const list = await api().get(apiPaths.images('team', 'web/app')).expect(200);
    // The signature is trust information of the image, not an image of its own.
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].referrers).toEqual([
      expect.objectContaining({ digest: signature.digest }),
    ]);
  });

  it('a delete over /v2 moves the image to the trash, and after a restore it pulls again', async () => {
    await deleteImage(`${host}/team/web/app@${image.digest}`, creds());
    await expect(
      pullToLayout(`${host}/team/web/app:1.0`, fresh('gone'), 'x', creds()),
    ).rejects.toThrow(/manifest unknown|not found/i);
    const trash = await api().get(apiPaths.trash('team')).expect(200);
    expect(trash.body.items).toEqual([
      expect.objectContaining({ digest: image.digest, tags: ['1.0'], repository: 'web/app' }),
    ]);
    expect((await api().get(apiPaths.images('team', 'web/app'))).body.items).toEqual([]);
    await api()
      .post(apiPaths.trashRestore('team'))
      .send({ repository: 'web/app', digest: image.digest })
      .expect(200);
    const pulled = fresh('restored');
    await pullToLayout(`${host}/team/web/app:1.0`, pulled, 'pulled', creds());
    expectSameBytes(pulled, 'pulled', image);
    // The signature went to the trash with its subject and came back with it.
    const referrers = await api().get(`/v2/team/web/app/referrers/${image.digest}`).expect(200);
    expect(referrers.body.manifests).toHaveLength(1);
  });

  it('refuses a push into a namespace that does not exist, saying how to create it', async () => {
    const before = await dumpIgnoringLogins(server);
    await expect(pushLayout(source, 'image', `${host}/nowhere/app:1`, creds())).rejects.toThrow(
      // skopeo quotes the server's message with escaped quotes.
      /nowhere\W+ does not exist; create it first/,
    );
    expect(await dumpIgnoringLogins(server)).toBe(before);
  });
});

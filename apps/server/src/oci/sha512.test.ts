import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { MEDIA_TYPES, randomBytesFromSeed } from '../seed/oci-content.js';
import { expectOciError } from '../testing/oci-errors.js';
import {
  OCTETS,
  digestOf,
  json,
  pushArtifact,
  pushBlob,
  putManifest,
  refused,
  uploadFiles,
} from '../testing/registry-client.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

// sha512 content end to end over a real socket: every upload variant, pulls, manifests and
// referrers addressed by sha512, and the 400/404 line between a digest Berth cannot use and
// one it simply does not hold. skopeo, podman and docker only write sha256, so this is HTTP.

let server: TestServer;
const api = () => server.api();

function sha512Blob(seed: string, size = 300) {
  const bytes = randomBytesFromSeed(seed, size);
  return { bytes, digest: digestOf(bytes, 'sha512') };
}

function storedAt(digest: string): string {
  const [algorithm = '', hex = ''] = digest.split(':');
  return path.join(server.dataDir, 'blobs', algorithm, hex.slice(0, 2), hex);
}

async function expectPullable(repo: string, digest: string, bytes: Buffer): Promise<void> {
  const got = await api().get(`/v2/${repo}/blobs/${digest}`).expect(200);
  expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
  expect(got.headers['docker-content-digest']).toBe(digest);
  const head = await api().head(`/v2/${repo}/blobs/${digest}`).expect(200);
  expect(head.headers['content-length']).toBe(String(bytes.length));
  expect(head.headers['docker-content-digest']).toBe(digest);
}

beforeAll(async () => {
  server = await startTestServer();
  await api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
});

afterAll(async () => {
  await server?.stop();
});

describe('sha512 uploads', () => {
  it('single POST ?digest=sha512: stores the blob under blobs/sha512 and serves it', async () => {
    const { bytes, digest } = sha512Blob('single');
    const res = await api()
      .post(`/v2/team/s512/blobs/uploads/?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .send(bytes)
      .expect(201);
    expect(res.headers.location).toBe(`/v2/team/s512/blobs/${digest}`);
    expect(res.headers['docker-content-digest']).toBe(digest);
    expect(fs.existsSync(storedAt(digest))).toBe(true);
    await expectPullable('team/s512', digest, bytes);
    const part = await api()
      .get(`/v2/team/s512/blobs/${digest}`)
      .set('Range', 'bytes=10-19')
      .expect(206);
    expect(Buffer.compare(part.body as Buffer, bytes.subarray(10, 20))).toBe(0);
    expect(uploadFiles(server)).toEqual([]);
  });

  it('POST then PUT ?digest=sha512 without announcing it: the file is hashed again at the end', async () => {
    const { bytes, digest } = sha512Blob('post-put');
    const open = await api().post('/v2/team/s512/blobs/uploads/').expect(202);
    const done = await api()
      .put(`${open.headers.location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .send(bytes)
      .expect(201);
    expect(done.headers['docker-content-digest']).toBe(digest);
    expect(done.headers.location).toBe(`/v2/team/s512/blobs/${digest}`);
    await expectPullable('team/s512', digest, bytes);
    expect(uploadFiles(server)).toEqual([]);
  });

  for (const announced of [true, false]) {
    it(`chunked PATCHes then PUT ?digest=sha512 (${announced ? 'announced with ?digest-algorithm=sha512' : 'not announced'})`, async () => {
      const { bytes, digest } = sha512Blob(`chunked-${announced}`, 3000);
      const open = await api()
        .post(`/v2/team/s512/blobs/uploads/${announced ? '?digest-algorithm=sha512' : ''}`)
        .expect(202);
      let location = open.headers.location!;
      // The announcement is kept with the session, so a restarted server hashes the same way.
      const id = location.split('/').at(-1)!;
      const meta = JSON.parse(
        fs.readFileSync(path.join(server.dataDir, 'uploads', `${id}.json`), 'utf8'),
      ) as { algorithm?: string };
      expect(meta.algorithm).toBe(announced ? 'sha512' : undefined);
      for (const [start, end] of [
        [0, 999],
        [1000, 2499],
      ] as const) {
        const res = await api()
          .patch(location)
          .set('Content-Type', OCTETS)
          .set('Content-Range', `${start}-${end}`)
          .send(bytes.subarray(start, end + 1))
          .expect(202);
        expect(res.headers.range).toBe(`0-${end}`);
        location = res.headers.location!;
      }
      // The last chunk comes with the closing PUT.
      const done = await api()
        .put(`${location}?digest=${digest}`)
        .set('Content-Type', OCTETS)
        .set('Content-Range', '2500-2999')
        .send(bytes.subarray(2500))
        .expect(201);
      expect(done.headers['docker-content-digest']).toBe(digest);
      await expectPullable('team/s512', digest, bytes);
      expect(uploadFiles(server)).toEqual([]);
    });
  }

  it('an upload announced as sha512 may still close with a sha256 digest', async () => {
    const bytes = randomBytesFromSeed('announced-but-sha256', 100);
    const digest = digestOf(bytes);
    const open = await api().post('/v2/team/s512/blobs/uploads/?digest-algorithm=sha512');
    expect(open.status).toBe(202);
    await api()
      .put(`${open.headers.location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .send(bytes)
      .expect(201);
    await expectPullable('team/s512', digest, bytes);
  });

  it('a sha512 digest that does not match the content is refused and nothing is stored', async () => {
    const { bytes } = sha512Blob('mismatch');
    const wrong = sha512Blob('something else').digest;
    const single = await refused(
      server,
      () =>
        api()
          .post(`/v2/team/s512/blobs/uploads/?digest=${wrong}`)
          .set('Content-Type', OCTETS)
          .send(bytes),
      400,
      'DIGEST_INVALID',
    );
    expect(single.body.errors[0].message).toContain(digestOf(bytes, 'sha512'));
    const open = await api().post('/v2/team/s512/blobs/uploads/').expect(202);
    const blobsBefore = server.blobFiles();
    const dumpBefore = await server.dump();
    const closing = await api()
      .put(`${open.headers.location}?digest=${wrong}`)
      .set('Content-Type', OCTETS)
      .send(bytes);
    expectOciError(closing, 400, 'DIGEST_INVALID');
    // Nothing is published, and the refused upload's staged file is gone with it.
    expect(server.blobFiles()).toEqual(blobsBefore);
    expect(await server.dump()).toBe(dumpBefore);
    expect(uploadFiles(server)).toEqual([]);
  });

  it('mounts a sha512 blob from another repository', async () => {
    const { bytes, digest } = sha512Blob('mounted');
    await pushBlob(server, 'team/s512-from', bytes, 'sha512');
    await expectOciError(await api().get(`/v2/team/s512-to/blobs/${digest}`), 404, 'NAME_UNKNOWN');
    const res = await api()
      .post(`/v2/team/s512-to/blobs/uploads/?mount=${digest}&from=team/s512-from`)
      .expect(201);
    expect(res.headers.location).toBe(`/v2/team/s512-to/blobs/${digest}`);
    expect(res.headers['docker-content-digest']).toBe(digest);
    await expectPullable('team/s512-to', digest, bytes);
  });
});

describe('digests Berth cannot use are 400, digests it does not hold are 404', () => {
  const md5 = `md5:${'a'.repeat(32)}`;
  const sha384 = `sha384:${'a'.repeat(96)}`;
  const shortSha512 = `sha512:${'a'.repeat(64)}`;
  const absent = `sha512:${'0'.repeat(128)}`;

  it('uploads: ?digest=, ?digest-algorithm= and ?mount= in another algorithm are DIGEST_INVALID', async () => {
    for (const digest of [md5, sha384, shortSha512, 'sha512:../../etc']) {
      await refused(
        server,
        () =>
          api()
            .post(`/v2/team/s512/blobs/uploads/?digest=${encodeURIComponent(digest)}`)
            .set('Content-Type', OCTETS)
            .send(Buffer.from('x')),
        400,
        'DIGEST_INVALID',
      );
      await refused(
        server,
        () =>
          api().post(
            `/v2/team/s512/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=team/s512`,
          ),
        400,
        'DIGEST_INVALID',
      );
    }
    const message = (
      await refused(
        server,
        () => api().post('/v2/team/s512/blobs/uploads/?digest-algorithm=md5'),
        400,
        'DIGEST_INVALID',
      )
    ).body.errors[0].message;
    expect(message).toBe('digest-algorithm "md5" is not supported; use sha256 or sha512');
    const open = await api().post('/v2/team/s512/blobs/uploads/').expect(202);
    const closing = await api()
      .put(`${open.headers.location}?digest=${sha384}`)
      .set('Content-Type', OCTETS)
      .send(Buffer.from('x'));
    expectOciError(closing, 400, 'DIGEST_INVALID');
    expect(closing.body.errors[0].message).toContain('use sha256 or sha512');
    await api().delete(open.headers.location!).expect(204);
  });

  it('pulls: blobs, manifests and referrers by an unusable digest are 400; by an absent one 404', async () => {
    await pushBlob(server, 'team/s512', Buffer.from('repository exists'));
    for (const digest of [md5, sha384, shortSha512]) {
      expectOciError(await api().get(`/v2/team/s512/blobs/${digest}`), 400, 'DIGEST_INVALID');
      expectOciError(await api().get(`/v2/team/s512/manifests/${digest}`), 400, 'DIGEST_INVALID');
      expectOciError(await api().get(`/v2/team/s512/referrers/${digest}`), 400, 'DIGEST_INVALID');
    }
    expectOciError(await api().get(`/v2/team/s512/blobs/${absent}`), 404, 'BLOB_UNKNOWN');
    expect((await api().head(`/v2/team/s512/blobs/${absent}`)).status).toBe(404);
    expectOciError(await api().get(`/v2/team/s512/manifests/${absent}`), 404, 'MANIFEST_UNKNOWN');
    const referrers = await api().get(`/v2/team/s512/referrers/${absent}`).expect(200);
    expect(JSON.parse(referrers.text)).toMatchObject({ manifests: [] });
  });
});

describe('sha512 manifests and referrers', () => {
  it('a manifest pushed by its sha512 digest is pulled by it, over sha512 config and layer', async () => {
    const m = await pushArtifact(server, 'team/s512-images', 'image', { algorithm: 'sha512' });
    expect(m.digest).toMatch(/^sha512:[a-f0-9]{128}$/);
    const got = await api()
      .get(`/v2/team/s512-images/manifests/${m.digest}`)
      .set('Accept', MEDIA_TYPES.manifest)
      .expect(200);
    expect(got.headers['docker-content-digest']).toBe(m.digest);
    expect(Buffer.from(got.text)).toEqual(m.bytes);
    const head = await api().head(`/v2/team/s512-images/manifests/${m.digest}`).expect(200);
    expect(head.headers['content-length']).toBe(String(m.bytes.length));
    expect(head.headers['docker-content-digest']).toBe(m.digest);
    // The image shows in the API with its sha512 digest.
    const images = await api().get(apiPaths.images('team', 's512-images')).expect(200);
    expect((images.body.items as { digest: string }[]).map((i) => i.digest)).toEqual([m.digest]);
    // And is found by a prefix of it.
    const found = await api()
      .get(apiPaths.images('team', 's512-images'))
      .query({ q: m.digest.slice(0, 20) })
      .expect(200);
    expect((found.body.items as { digest: string }[]).map((i) => i.digest)).toEqual([m.digest]);
  });

  it('a sha512 manifest is tagged with ?tag= on its push by digest, and pulled by the tag', async () => {
    const config = json({ architecture: 'arm64', os: 'linux' });
    const configDigest = await pushBlob(server, 'team/s512-images', config, 'sha512');
    const m = {
      mediaType: MEDIA_TYPES.manifest,
      bytes: json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: { mediaType: MEDIA_TYPES.config, digest: configDigest, size: config.length },
        layers: [],
      }),
    };
    const digest = digestOf(m.bytes, 'sha512');
    const put = await putManifest(server, 'team/s512-images', `${digest}?tag=v1&tag=stable`, m);
    expect(put.status).toBe(201);
    expect(put.headers['oci-tag']).toBe('v1, stable');
    const got = await api().head('/v2/team/s512-images/manifests/stable').expect(200);
    expect(got.headers['docker-content-digest']).toBe(digest);
  });

  it('a sha512 manifest reference that does not match the bytes is refused', async () => {
    const config = json({ architecture: 'amd64', os: 'linux' });
    const configDigest = await pushBlob(server, 'team/s512-images', config, 'sha512');
    const m = {
      mediaType: MEDIA_TYPES.manifest,
      bytes: json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: { mediaType: MEDIA_TYPES.config, digest: configDigest, size: config.length },
        layers: [],
      }),
    };
    const wrong = `sha512:${'1'.repeat(128)}`;
    const res = await refused(
      server,
      () => putManifest(server, 'team/s512-images', wrong, m),
      400,
      'DIGEST_INVALID',
    );
    expect(res.body.errors[0].message).toContain(digestOf(m.bytes, 'sha512'));
  });

  it('a manifest naming a sha512 blob that was never uploaded is MANIFEST_BLOB_UNKNOWN', async () => {
    const m = {
      mediaType: MEDIA_TYPES.manifest,
      bytes: json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: { mediaType: MEDIA_TYPES.config, digest: `sha512:${'2'.repeat(128)}`, size: 2 },
        layers: [],
      }),
    };
    await refused(
      server,
      () => putManifest(server, 'team/s512-images', digestOf(m.bytes, 'sha512'), m),
      400,
      'MANIFEST_BLOB_UNKNOWN',
    );
  });

  it('referrers of a sha512 subject', async () => {
    const subject = await pushArtifact(server, 'team/s512-refs', 'subject', {
      algorithm: 'sha512',
    });
    const sbomType = 'application/vnd.example.sbom.v1+json';
    const sbom = await pushArtifact(server, 'team/s512-refs', 'sbom', {
      algorithm: 'sha512',
      extra: {
        artifactType: sbomType,
        subject: {
          mediaType: subject.mediaType,
          digest: subject.digest,
          size: subject.bytes.length,
        },
      },
    });
    const res = await api().get(`/v2/team/s512-refs/referrers/${subject.digest}`).expect(200);
    expect(JSON.parse(res.text)).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: [
        {
          mediaType: MEDIA_TYPES.manifest,
          digest: sbom.digest,
          size: sbom.bytes.length,
          artifactType: sbomType,
        },
      ],
    });
  });
});

describe('a sha512 upload across a restart', () => {
  it('resumes after the server restarts and finishes with its sha512 digest', async () => {
    const { bytes, digest } = sha512Blob('restart', 2000);
    const open = await api().post('/v2/team/s512/blobs/uploads/?digest-algorithm=sha512');
    expect(open.status).toBe(202);
    const location = open.headers.location!;
    await api()
      .patch(location)
      .set('Content-Type', OCTETS)
      .set('Content-Range', '0-999')
      .send(bytes.subarray(0, 1000))
      .expect(202);
    await server.close();
    server = await startTestServer({ dataDir: server.dataDir });
    const status = await api().get(location).expect(204);
    expect(status.headers.range).toBe('0-999');
    await api()
      .put(`${location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .set('Content-Range', '1000-1999')
      .send(bytes.subarray(1000))
      .expect(201);
    await expectPullable('team/s512', digest, bytes);
  });
});

describe('garbage collection of sha512 blobs', () => {
  // Last in this file: it ages every blob past the grace period.
  it('removes an unused sha512 blob and keeps the ones an image uses', async () => {
    const kept = await pushArtifact(server, 'team/s512-gc', 'kept', { algorithm: 'sha512' });
    const config = JSON.parse(kept.bytes.toString()) as { config: { digest: string } };
    const orphan = sha512Blob('orphan');
    await pushBlob(server, 'team/s512-gc', orphan.bytes, 'sha512');
    expect(fs.existsSync(storedAt(orphan.digest))).toBe(true);
    server.clock.advance(25 * 3_600_000);
    const run = await api().post(apiPaths.gcRuns()).send({ dryRun: false }).expect(200);
    expect(run.body.blobs).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(storedAt(orphan.digest))).toBe(false);
    expectOciError(await api().get(`/v2/team/s512-gc/blobs/${orphan.digest}`), 404, 'BLOB_UNKNOWN');
    expect(fs.existsSync(storedAt(config.config.digest))).toBe(true);
    await api().get(`/v2/team/s512-gc/blobs/${config.config.digest}`).expect(200);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { MEDIA_TYPES } from '../seed/oci-content.js';
import {
  digestOf,
  json,
  pushBlob,
  putManifest,
  refused,
  type RawManifest,
} from '../testing/registry-client.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

// Manifest PUT by digest with ?tag= parameters (distribution-spec v1.1): every tag or none,
// one OCI-Tag header per tag given.

let server: TestServer;
const api = () => server.api();
const REPO = 'team/tagged';

/** A manifest whose config is uploaded; its digest is that of its bytes. */
async function manifest(seed: string): Promise<RawManifest & { digest: string }> {
  const config = json({ seed, architecture: 'amd64', os: 'linux' });
  const configDigest = await pushBlob(server, REPO, config);
  const bytes = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: MEDIA_TYPES.config, digest: configDigest, size: config.length },
    layers: [],
  });
  return { mediaType: MEDIA_TYPES.manifest, bytes, digest: digestOf(bytes) };
}

function withTags(digest: string, tags: string[]): string {
  const params = new URLSearchParams(tags.map((t): [string, string] => ['tag', t]));
  return `${digest}?${params.toString()}`;
}

async function tags(): Promise<string[]> {
  const res = await api().get(`/v2/${REPO}/tags/list`);
  return res.status === 200 ? (res.body.tags as string[]) : [];
}

beforeAll(async () => {
  server = await startTestServer();
  await api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
});

afterAll(async () => {
  await server?.stop();
});

describe('PUT /v2/<name>/manifests/<digest>?tag=…', () => {
  it('tags the manifest with every tag and answers one OCI-Tag header per tag', async () => {
    const m = await manifest('several');
    const res = await putManifest(
      server,
      REPO,
      withTags(m.digest, ['1.2.3', '1.2', '1', 'latest', '1.2']),
      m,
    ).expect(201);
    expect(res.headers['docker-content-digest']).toBe(m.digest);
    expect(res.headers.location).toBe(`/v2/${REPO}/manifests/${m.digest}`);
    // Node joins repeated headers with ", ", which RFC 9110 makes the same list.
    expect(res.headers['oci-tag']).toBe('1.2.3, 1.2, 1, latest');
    const raw = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
    expect(raw.filter((h) => h.toLowerCase() === 'oci-tag')).toHaveLength(4);
    expect(await tags()).toEqual(['1', '1.2', '1.2.3', 'latest']);
    for (const tag of ['1', 'latest']) {
      const got = await api().head(`/v2/${REPO}/manifests/${tag}`).expect(200);
      expect(got.headers['docker-content-digest']).toBe(m.digest);
    }
  });

  it('a push by digest without ?tag= has no OCI-Tag header; a later one moves the tag', async () => {
    const m = await manifest('moves');
    const plain = await putManifest(server, REPO, m.digest, m).expect(201);
    expect(plain.headers['oci-tag']).toBeUndefined();
    await putManifest(server, REPO, withTags(m.digest, ['latest']), m).expect(201);
    const got = await api().head(`/v2/${REPO}/manifests/latest`).expect(200);
    expect(got.headers['docker-content-digest']).toBe(m.digest);
  });

  it('one invalid tag refuses the push: TAG_INVALID and nothing written', async () => {
    const m = await manifest('invalid');
    for (const bad of ['-dash', '.dot', 'a'.repeat(129), 'with/slash', '']) {
      const res = await refused(
        server,
        () => putManifest(server, REPO, withTags(m.digest, ['good', bad]), m),
        400,
        'TAG_INVALID',
      );
      expect(res.body.errors[0].message).toContain('must be 1–128 characters');
    }
    expect(await tags()).not.toContain('good');
  });

  it(`at most 100 tags per push: 101 is 414 and nothing is written`, async () => {
    const m = await manifest('many');
    const many = Array.from({ length: 101 }, (_, i) => `t${i}`);
    const res = await refused(
      server,
      () => putManifest(server, REPO, withTags(m.digest, many), m),
      414,
      'TAG_INVALID',
    );
    expect(res.body.errors[0].message).toContain('at most 100 ?tag= parameters (got 101)');
    const ok = await putManifest(server, REPO, withTags(m.digest, many.slice(0, 100)), m).expect(
      201,
    );
    expect(ok.headers['oci-tag']?.split(', ')).toHaveLength(100);
    expect(await tags()).toEqual(expect.arrayContaining(many.slice(0, 100)));
  });

  it('?tag= with a push by tag is refused: tags go with a push by digest', async () => {
    const m = await manifest('by-tag');
    const res = await refused(
      server,
      () => putManifest(server, REPO, 'v1?tag=v2', m),
      400,
      'TAG_INVALID',
    );
    expect(res.body.errors[0].message).toContain('?tag= goes with a push by digest');
  });
});

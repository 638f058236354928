import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, imageDetails, type ImageDetails } from '@berth/contract';
import {
  MEDIA_TYPES,
  buildImage,
  buildIndex,
  buildLayer,
  buildSignature,
  type BuiltManifest,
} from '../seed/oci-content.js';
import { binary, digestOf, json, pushBlob, putManifest } from '../testing/registry-client.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { TEST_REGISTRY, createProject } from '../testing/projects.js';
import { addAccount, signIn } from '../testing/accounts.js';

// One image's details, from content pushed through the real /v2 into a real SQLite file and
// blob directory.

let server: TestServer;
const api = () => server.api();
const NS = 'team-details';
const REPO = 'apps/web';
const CREATED = new Date('2026-10-01T08:00:00.000Z');

/** Pushes a built manifest the way a client does: children, then blobs, then the manifest. */
async function push(repo: string, m: BuiltManifest, reference = m.digest): Promise<void> {
  for (const child of m.children) await push(repo, child);
  for (const blob of [...(m.config ? [m.config] : []), ...m.layers]) {
    await pushBlob(server, `${NS}/${repo}`, blob.bytes);
  }
  await putManifest(server, `${NS}/${repo}`, reference, m).expect(201);
}

async function details(digest: string, repo = REPO): Promise<ImageDetails> {
  const res = await api()
    .get(apiPaths.image(NS, repo, digest))
    .expect(200);
  // What the console parses it with.
  return imageDetails.parse(res.body);
}

/** An image manifest over a hand-written config, pushed by digest; its digest. */
async function pushWithConfig(
  repo: string,
  config: Buffer,
  configType: string = MEDIA_TYPES.config,
) {
  const layer = Buffer.from(`layer for ${config.length} bytes of config`);
  const configDigest = await pushBlob(server, `${NS}/${repo}`, config);
  const layerDigest = await pushBlob(server, `${NS}/${repo}`, layer);
  const bytes = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: configType, digest: configDigest, size: config.length },
    layers: [{ mediaType: MEDIA_TYPES.layer, digest: layerDigest, size: layer.length }],
  });
  const digest = digestOf(bytes);
  await putManifest(server, `${NS}/${repo}`, digest, {
    mediaType: MEDIA_TYPES.manifest,
    bytes,
  }).expect(201);
  return digest;
}

const amd = buildImage({
  seed: 'details-amd',
  created: CREATED,
  layers: [buildLayer('details-base', 2048), buildLayer('details-amd', 1024)],
  platform: { os: 'linux', architecture: 'amd64' },
  labels: { 'org.opencontainers.image.source': 'https://example.com/web' },
});
const arm = buildImage({
  seed: 'details-arm',
  created: CREATED,
  layers: [buildLayer('details-base', 2048), buildLayer('details-arm', 1024)],
  platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
});
const index = buildIndex([amd, arm]);
const signature = buildSignature(index, 'details-sig');

beforeAll(async () => {
  server = await startTestServer();
  await api().post(apiPaths.namespaces()).send({ name: NS, region: 'local' }).expect(201);
  await push(REPO, index, 'v1');
  await putManifest(server, `${NS}/${REPO}`, 'latest', index).expect(201);
  await push(REPO, signature);
});

afterAll(async () => {
  await server?.stop();
});

describe('GET …/images/{digest}', () => {
  it('shows an index: tags with pull references, its platforms in order, its signature', async () => {
    const d = await details(index.digest);
    expect(d).toMatchObject({
      namespace: NS,
      repository: REPO,
      digest: index.digest,
      mediaType: MEDIA_TYPES.index,
      kind: 'index',
      manifestSizeBytes: index.bytes.length,
      pushedAt: new Date(server.clock.now).toISOString(),
      // As the images list says: an index pushed through /v2 has no config to take it from.
      createdAt: null,
      pullReference: `${TEST_REGISTRY}/${NS}/${REPO}@${index.digest}`,
      tags: [
        { name: 'latest', pullReference: `${TEST_REGISTRY}/${NS}/${REPO}:latest` },
        { name: 'v1', pullReference: `${TEST_REGISTRY}/${NS}/${REPO}:v1` },
      ],
      parents: [],
      config: null,
      configError: null,
      layers: [],
      history: [],
      timeline: [],
      timelineTruncated: false,
    });
    const size = (m: BuiltManifest) =>
      m.bytes.length + [m.config!, ...m.layers].reduce((s, b) => s + b.bytes.length, 0);
    expect(d.platforms).toEqual([
      {
        digest: amd.digest,
        mediaType: MEDIA_TYPES.manifest,
        sizeBytes: size(amd),
        os: 'linux',
        architecture: 'amd64',
        variant: null,
      },
      {
        digest: arm.digest,
        mediaType: MEDIA_TYPES.manifest,
        sizeBytes: size(arm),
        os: 'linux',
        architecture: 'arm64',
        variant: 'v8',
      },
    ]);
    expect(d.referrers).toEqual([
      {
        digest: signature.digest,
        artifactType: MEDIA_TYPES.cosignSignature,
        mediaType: MEDIA_TYPES.manifest,
        kind: 'referrer',
        type: 'signature',
        tags: [],
        sizeBytes: signature.bytes.length,
        createdAt: null,
        pushedAt: new Date(server.clock.now).toISOString(),
      },
    ]);
  });

  it('shows a platform image: the index it belongs to, its config, layers and history', async () => {
    const d = await details(amd.digest);
    expect(d.kind).toBe('image');
    expect(d.tags).toEqual([]);
    expect(d.parents).toEqual([
      { digest: index.digest, relation: 'platform-of', tags: ['latest', 'v1'] },
    ]);
    expect(d.config).toMatchObject({
      digest: amd.config!.digest,
      mediaType: MEDIA_TYPES.config,
      sizeBytes: amd.config!.bytes.length,
      created: CREATED.toISOString(),
      os: 'linux',
      architecture: 'amd64',
      workingDir: '/',
      labels: { 'org.opencontainers.image.source': 'https://example.com/web' },
    });
    expect(d.config?.env[0]).toBe(
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    );
    expect(d.config?.cmd?.length).toBeGreaterThan(0);
    expect(d.layers).toEqual(
      amd.layers.map((l) => ({
        digest: l.digest,
        mediaType: MEDIA_TYPES.layer,
        sizeBytes: l.bytes.length,
        foreign: false,
      })),
    );
    expect(d.history).toEqual([
      {
        created: CREATED.toISOString(),
        createdBy: 'berth-demo build step 1',
        comment: null,
        emptyLayer: false,
      },
      {
        created: CREATED.toISOString(),
        createdBy: 'berth-demo build step 2',
        comment: null,
        emptyLayer: false,
      },
    ]);
    expect(d.annotations).toEqual({ 'org.opencontainers.image.created': CREATED.toISOString() });
  });

  it('shows a referrer with the image it refers to', async () => {
    const d = await details(signature.digest);
    expect(d.artifactType).toBe(MEDIA_TYPES.cosignSignature);
    expect(d.parents).toEqual([
      { digest: index.digest, relation: 'refers-to', tags: ['latest', 'v1'] },
    ]);
    // Its config is the OCI empty config, not an image config: nothing to show, no error.
    expect(d.config).toBeNull();
    expect(d.configError).toBeNull();
  });

  it('reads how the image runs from its config', async () => {
    const digest = await pushWithConfig(
      'apps/runner',
      json({
        created: '2026-09-30T10:00:00Z',
        os: 'linux',
        architecture: 'amd64',
        config: {
          User: 'app',
          WorkingDir: '/srv',
          Entrypoint: ['/bin/runner'],
          Cmd: ['--serve'],
          Env: ['MODE=prod'],
          ExposedPorts: { '8080/tcp': {} },
        },
        history: [{ created_by: 'ENV MODE=prod', empty_layer: true }],
      }),
    );
    const d = await details(digest, 'apps/runner');
    expect(d.config).toMatchObject({
      user: 'app',
      workingDir: '/srv',
      entrypoint: ['/bin/runner'],
      cmd: ['--serve'],
      env: ['MODE=prod'],
      exposedPorts: ['8080/tcp'],
      labels: {},
    });
    expect(d.history).toEqual([
      { created: null, createdBy: 'ENV MODE=prod', comment: null, emptyLayer: true },
    ]);
  });

  it('says why a config cannot be shown, and shows the rest', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    big.write('{"os":"linux"}');
    const tooLarge = await pushWithConfig('apps/odd', big);
    const d = await details(tooLarge, 'apps/odd');
    expect(d.config).toBeNull();
    expect(d.configError).toEqual({
      code: 'CONFIG_TOO_LARGE',
      message: 'the image config is 4.0 MiB; Berth shows configs of up to 4.0 MiB',
    });
    expect(d.layers).toHaveLength(1);

    const notJson = await pushWithConfig('apps/odd', Buffer.from('not json'));
    expect((await details(notJson, 'apps/odd')).configError).toEqual({
      code: 'CONFIG_INVALID',
      message: 'the image config is not valid UTF-8 JSON',
    });
  });

  it('names the projects whose apps and jobs use the image', async () => {
    const project = await createProject(server, 'storefront');
    await api()
      .post(apiPaths.projectChildren(project.id, 'apps'))
      .send({ name: 'web', image: `${TEST_REGISTRY}/${NS}/${REPO}:latest` })
      .expect(201);
    await api()
      .post(apiPaths.projectChildren(project.id, 'jobs'))
      .send({ name: 'pinned', image: `${TEST_REGISTRY}/${NS}/${REPO}@${arm.digest}` })
      .expect(201);
    expect(
      (await details(index.digest)).usedBy.map((u) => `${u.project}/${u.kind}/${u.name}`),
    ).toEqual(['storefront/app/web', 'storefront/job/pinned']);
    expect((await details(arm.digest)).usedBy.map((u) => u.name)).toEqual(['pinned']);
    expect((await details(amd.digest)).usedBy).toEqual([]);
  });
});

describe('its timeline', () => {
  it('lists untags, deletes and restores of this image in this repository, newest first', async () => {
    const repo = 'apps/timeline';
    const image = buildImage({
      seed: 'timeline',
      created: CREATED,
      layers: [buildLayer('t', 512)],
    });
    await push(repo, image, 'a');
    await putManifest(server, `${NS}/${repo}`, 'b', image).expect(201);
    // The same image in another repository of the namespace: its delete is not this one's.
    await push('apps/elsewhere', image, 'x');
    await api()
      .delete(apiPaths.image(NS, 'apps/elsewhere', image.digest))
      .expect(200);

    server.clock.advance(1000);
    await api()
      .delete(apiPaths.tag(NS, repo, 'b'))
      .expect(200);
    server.clock.advance(1000);
    await api()
      .delete(apiPaths.image(NS, repo, image.digest))
      .expect(200);
    const trashed = await api()
      .get(apiPaths.image(NS, repo, image.digest))
      .expect(404);
    expect(trashed.body.error.code).toBe('IMAGE_IN_TRASH');
    server.clock.advance(1000);
    await api()
      .post(apiPaths.trashRestore(NS))
      .send({ repository: repo, digest: image.digest })
      .expect(200);

    const d = await details(image.digest, repo);
    const admin = expect.stringMatching(/^key:admin\//);
    expect(d.timeline.map((e) => [e.action, e.actor, e.tags, e.reason])).toEqual([
      ['image.restore', admin, ['a'], null],
      ['image.delete', admin, ['a'], 'deleted'],
      ['tag.delete', admin, ['b'], null],
    ]);
    expect(d.timeline.map((e) => e.at)).toEqual(
      [0, 1000, 2000].map((back) => new Date(server.clock.now - back).toISOString()),
    );
    expect(d.timelineTruncated).toBe(false);
  });
});

describe('GET …/images/{digest}/manifest', () => {
  it('answers the exact bytes with their media type', async () => {
    for (const m of [index, amd, signature]) {
      const res = await api()
        .get(apiPaths.imageManifest(NS, REPO, m.digest))
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(res.headers['content-type']).toBe(m.mediaType);
      expect(res.headers['docker-content-digest']).toBe(m.digest);
      expect(Buffer.compare(res.body as Buffer, m.bytes)).toBe(0);
      expect(digestOf(res.body as Buffer)).toBe(m.digest);
    }
  });
});

describe('refusals', () => {
  const unknown = `sha256:${'0'.repeat(64)}`;
  const cases: [string, string, number, string][] = [
    ['an unknown digest', apiPaths.image(NS, REPO, unknown), 404, 'IMAGE_UNKNOWN'],
    [
      'an unknown digest (manifest)',
      apiPaths.imageManifest(NS, REPO, unknown),
      404,
      'IMAGE_UNKNOWN',
    ],
    ['a malformed digest', apiPaths.image(NS, REPO, 'sha256:abc'), 400, 'INVALID_DIGEST'],
    [
      'an unsupported algorithm',
      apiPaths.image(NS, REPO, `md5:${'a'.repeat(32)}`),
      400,
      'INVALID_DIGEST',
    ],
    [
      'an unknown repository',
      apiPaths.image(NS, 'apps/none', index.digest),
      404,
      'REPOSITORY_UNKNOWN',
    ],
    [
      'an invalid repository',
      apiPaths.image(NS, 'Apps', index.digest),
      400,
      'INVALID_REPOSITORY_NAME',
    ],
    [
      'an unknown namespace',
      apiPaths.image('team-none', REPO, index.digest),
      404,
      'NAMESPACE_UNKNOWN',
    ],
  ];
  it.each(cases)(
    '%s (%s): %i %s, with a message, and nothing changes',
    async (_what, path, status, code) => {
      const before = await server.dump();
      const res = await api().get(path).expect(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toMatch(/\w/);
      expect(await server.dump()).toBe(before);
    },
  );

  it('is a namespace read: a member of another namespace sees it as absent', async () => {
    await api()
      .post(apiPaths.namespaces())
      .send({ name: 'team-other', region: 'local' })
      .expect(201);
    const outsider = await addAccount(server, 'outsider', {
      namespaces: { 'team-other': 'viewer' },
    });
    const viewer = await addAccount(server, 'reader', { namespaces: { [NS]: 'viewer' } });
    const out = await signIn(server.url, outsider.username, outsider.password);
    const res = await out.agent.get(apiPaths.image(NS, REPO, index.digest)).expect(404);
    expect(res.body.error.code).toBe('NAMESPACE_UNKNOWN');
    await out.agent.get(apiPaths.imageManifest(NS, REPO, index.digest)).expect(404);
    const reader = await signIn(server.url, viewer.username, viewer.password);
    await reader.agent.get(apiPaths.image(NS, REPO, index.digest)).expect(200);
    await reader.agent.get(apiPaths.imageManifest(NS, REPO, index.digest)).expect(200);
  });
});

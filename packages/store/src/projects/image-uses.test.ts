import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../store-handle.js';
import { type TestDatabase, openTestDatabase, testEngines } from '../testing/engines.js';
import { createStore, type Store } from '../store.js';
import type { IngestManifest } from '../images-store.js';
import type { WorkloadKind } from '../database.js';

const T0 = Date.UTC(2026, 0, 1);
const HOSTS = ['berth.example.com:5000'];
const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const ctx = { actor: 'tester', now: T0 };

function manifest(name: string, children: IngestManifest['children'] = []): IngestManifest {
  return {
    digest: digest(name),
    mediaType:
      children.length > 0
        ? 'application/vnd.oci.image.index.v1+json'
        : 'application/vnd.oci.image.manifest.v1+json',
    artifactType: null,
    manifestSize: 100,
    blobs:
      children.length > 0 ? [] : [{ digest: digest(`${name}-layer`), size: 10, mediaType: 'l' }],
    children,
    subject: null,
    createdAt: T0,
    content: Buffer.from(name),
  };
}

let database: TestDatabase;
let store: Store;

async function push(repository: string, m: IngestManifest, tags: string[]) {
  for (const b of m.blobs) await store.registry.linkBlob('team', repository, b, T0);
  await store.images.ingest('team', repository, m, tags, ctx);
}

async function project(id: string, name: string, status: 'active' | 'deleted' = 'active') {
  await store.db
    .insertInto('projects')
    .values({
      id,
      region: 'local',
      name,
      status,
      created_at: T0,
      created_by: 'tester',
      deleted_at: status === 'deleted' ? T0 : null,
      deleted_by: null,
      purge_at: null,
      key_id: 'k',
      data_key: new Uint8Array(60),
    })
    .execute();
}

async function workload(
  projectId: string,
  kind: WorkloadKind,
  name: string,
  pointer: { registry?: string; repository: string; tag?: string; digest?: string },
) {
  await store.db
    .insertInto('project_workloads')
    .values({
      project_id: projectId,
      family: kind === 'app' ? 'app' : 'job',
      kind,
      name,
      image: 'as-given',
      image_registry: pointer.registry ?? HOSTS[0]!,
      image_namespace: 'team',
      image_repository: pointer.repository,
      image_tag: pointer.tag ?? null,
      image_digest: pointer.digest ?? null,
      command: '[]',
      env: '{}',
      cpu: 1,
      memory_mib: 512,
      created_at: T0,
      updated_at: T0,
    })
    .execute();
}

async function open(engine: Engine) {
  database = await openTestDatabase(engine);
  store = createStore(database.handle.db);
  await store.namespaces.ensureRegions(['local'], T0);
  await store.namespaces.create({ name: 'team', region: 'local', quotaBytes: null }, ctx);
  await push('web', manifest('v1'), ['1.0']);
  await push('web', manifest('v2'), ['2.0', 'latest']);
  await push('multi', manifest('amd64'), []);
  await push('multi', manifest('arm64'), []);
  await push(
    'multi',
    manifest('index', [
      { digest: digest('amd64'), platform: { os: 'linux', architecture: 'amd64', variant: null } },
      { digest: digest('arm64'), platform: { os: 'linux', architecture: 'arm64', variant: null } },
    ]),
    ['stable'],
  );
  await project('p1', 'shop');
  await project('p2', 'old', 'deleted');
}

const page = (names: [string, string[]][]) =>
  names.map(([name, tags]) => ({ digest: digest(name), tags }));

describe.each(testEngines())('image uses on %s', (engine) => {
  beforeEach(() => open(engine));
  afterEach(() => database.dispose());

  it('matches tag pointers to the image holding the tag and digest pointers to their image', async () => {
    await workload('p1', 'app', 'storefront', { repository: 'web', tag: 'latest' });
    await workload('p1', 'job', 'migrate', {
      repository: 'web',
      tag: 'ignored',
      digest: digest('v1'),
    });
    await workload('p2', 'template', 'nightly', { repository: 'web', tag: '1.0' });
    const uses = await store.imageUses.ofImages(
      'team',
      'web',
      page([
        ['v1', ['1.0']],
        ['v2', ['2.0', 'latest']],
      ]),
      HOSTS,
    );
    expect(uses.get(digest('v2'))).toEqual([
      {
        projectId: 'p1',
        project: 'shop',
        region: 'local',
        kind: 'app',
        name: 'storefront',
        projectDeleted: false,
      },
    ]);
    expect(
      uses.get(digest('v1'))?.map((u) => [u.project, u.kind, u.name, u.projectDeleted]),
    ).toEqual([
      ['old', 'template', 'nightly', true],
      ['shop', 'job', 'migrate', false],
    ]);
  });

  it('ignores pointers to other registries and compares hosts without case', async () => {
    await workload('p1', 'app', 'elsewhere', {
      registry: 'docker.io',
      repository: 'web',
      tag: 'latest',
    });
    await workload('p1', 'app', 'shouting', {
      registry: 'BERTH.example.com:5000',
      repository: 'web',
      tag: '2.0',
    });
    await workload('p1', 'app', 'other-port', {
      registry: 'berth.example.com',
      repository: 'web',
      tag: '2.0',
    });
    const uses = await store.imageUses.ofImages(
      'team',
      'web',
      page([['v2', ['2.0', 'latest']]]),
      HOSTS,
    );
    expect(uses.get(digest('v2'))?.map((u) => u.name)).toEqual(['shouting']);
  });

  it('counts a pointer to one platform image as a use of its index', async () => {
    await workload('p1', 'app', 'arm', { repository: 'multi', digest: digest('arm64') });
    const uses = await store.imageUses.ofImages(
      'team',
      'multi',
      page([['index', ['stable']]]),
      HOSTS,
    );
    expect(uses.get(digest('index'))?.map((u) => u.name)).toEqual(['arm']);
    const pointers = await store.imageUses.pointersForNamespace('team', HOSTS);
    expect(pointers).toEqual([
      {
        repository: 'multi',
        reference: { digest: digest('arm64') },
        usedBy: 'project shop, app arm',
      },
      {
        repository: 'multi',
        reference: { digest: digest('index') },
        usedBy: 'project shop, app arm',
      },
    ]);
  });

  it('gives retention every pointer into the namespace, deleted projects included', async () => {
    await workload('p1', 'app', 'storefront', { repository: 'web', tag: 'latest' });
    await workload('p2', 'job', 'batch', { repository: 'web', digest: digest('v1') });
    await workload('p1', 'app', 'elsewhere', {
      registry: 'ghcr.io',
      repository: 'web',
      tag: '1.0',
    });
    const pointers = await store.imageUses.pointersForNamespace('team', HOSTS);
    expect(pointers).toEqual([
      {
        repository: 'web',
        reference: { digest: digest('v1') },
        usedBy: 'project old (deleted, restorable), job batch',
      },
      { repository: 'web', reference: { tag: 'latest' }, usedBy: 'project shop, app storefront' },
    ]);
    expect(await store.imageUses.pointersForNamespace('other', HOSTS)).toEqual([]);
  });

  it('returns nothing for a page without pointers', async () => {
    const uses = await store.imageUses.ofImages('team', 'web', page([['v1', ['1.0']]]), HOSTS);
    expect(uses.size).toBe(0);
  });

  it('counts a pointer to a platform image of a nested index as a use of the top index', async () => {
    await push('multi', manifest('top', [{ digest: digest('index'), platform: null }]), ['nested']);
    await workload('p1', 'app', 'deep', { repository: 'multi', digest: digest('amd64') });
    const uses = await store.imageUses.ofImages(
      'team',
      'multi',
      page([['top', ['nested']]]),
      HOSTS,
    );
    expect(uses.get(digest('top'))?.map((u) => u.name)).toEqual(['deep']);
    const pointers = await store.imageUses.pointersForNamespace('team', HOSTS);
    expect(
      pointers
        .map((p) => p.reference)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual(
      [{ digest: digest('amd64') }, { digest: digest('index') }, { digest: digest('top') }].sort(
        (a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)),
      ),
    );
  });
});

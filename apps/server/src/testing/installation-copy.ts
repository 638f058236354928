import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { expect } from 'vitest';
import { apiPaths } from '@berth/contract';
import { layoutBlob, layoutRefDigest, randomImage, writeLayout } from './oci-layout.js';
import { createProject, type FilledSecrets, fillProject, TEST_REGISTRY } from './projects.js';
import { binary, pullBlob } from './registry-client.js';
import { pullToLayout, pushLayout } from './skopeo.js';
import { ADMIN, type TestServer } from './test-server.js';

/*
 * An installation made from another one (moved by berth migrate, restored by berth restore):
 * what the tests put into the source, and the checks that the copy serves it byte for byte.
 */

/** What fillSource put into a source installation. */
export interface SourceContent {
  namespace: string;
  /** Live as `<namespace>/app:1.0`. */
  kept: ReturnType<typeof randomImage>;
  /** Was `<namespace>/app:old`; in the trash. */
  trashed: ReturnType<typeof randomImage>;
  projectId: string;
  secrets: FilledSecrets;
}

/** `<host>/<ref>` and the admin's credentials for skopeo, for a test server. */
export function skopeoTarget(server: TestServer) {
  return {
    host: server.url.replace('http://', ''),
    creds: { creds: `${ADMIN.username}:${server.adminKey}` },
  };
}

/** skopeo pushes `image` to `server` as `<repository>:<tag>`. */
export async function pushImage(
  server: TestServer,
  ref: string,
  image: ReturnType<typeof randomImage>,
  work: string,
): Promise<void> {
  const { host, creds } = skopeoTarget(server);
  const layout = fs.mkdtempSync(path.join(work, 'push-'));
  writeLayout(layout, [{ manifest: image, ref: 'image' }]);
  expect(await pushLayout(layout, 'image', `${host}/${ref}`, creds)).toBe(image.digest);
  fs.rmSync(layout, { recursive: true, force: true });
}

/**
 * Runs `during` while skopeo pushes one new image after another to `<repository>:<i>`, from
 * the first push on until `during` has finished and at least two were pushed: a backup taken
 * meanwhile must be consistent under writes. Returns what was pushed, in order.
 */
export async function whilePushing<T>(
  server: TestServer,
  work: string,
  opts: { repository: string; seed: string },
  during: () => Promise<T>,
): Promise<{ result: T; pushed: { tag: string; image: ReturnType<typeof randomImage> }[] }> {
  const pushed: { tag: string; image: ReturnType<typeof randomImage> }[] = [];
  let done = false;
  const loop = (async () => {
    for (let i = 0; !done || i < 2; i++) {
      const image = randomImage({ seed: `${opts.seed}-${i}`, layers: 2, layerBytes: 64 * 1024 });
      await pushImage(server, `${opts.repository}:${i}`, image, work);
      pushed.push({ tag: String(i), image });
    }
  })();
  // Let the loop get going, so `during` starts between pushes.
  while (pushed.length < 1) await new Promise((r) => setTimeout(r, 50));
  const result = await during();
  done = true;
  await loop;
  return { result, pushed };
}

/**
 * Fills `server` with what a copy must keep: a namespace with an image pushed by skopeo and
 * another pushed and then trashed, and a project with one of everything (secrets included).
 */
export async function fillSource(
  server: TestServer,
  work: string,
  opts: {
    namespace: string;
    project: string;
    seed: string;
    keptLayerBytes: number;
    trashedLayerBytes: number;
  },
): Promise<SourceContent> {
  const { namespace } = opts;
  await server
    .api()
    .post(apiPaths.namespaces())
    .send({ name: namespace, region: 'local' })
    .expect(201);
  const kept = randomImage({
    seed: `${opts.seed}-kept`,
    layers: 2,
    layerBytes: opts.keptLayerBytes,
  });
  const trashed = randomImage({
    seed: `${opts.seed}-trashed`,
    layers: 1,
    layerBytes: opts.trashedLayerBytes,
  });
  await pushImage(server, `${namespace}/app:1.0`, kept, work);
  await pushImage(server, `${namespace}/app:old`, trashed, work);
  await server.api().delete(`/v2/${namespace}/app/manifests/${trashed.digest}`).expect(202);
  const projectId = (await createProject(server, opts.project)).id;
  const secrets = await fillProject(server, projectId);
  return { namespace, kept, trashed, projectId, secrets };
}

/** skopeo pulls `<repository>:<tag>` from `server` as `image`, each layer byte for byte. */
export async function expectPulls(
  server: TestServer,
  ref: string,
  image: ReturnType<typeof randomImage>,
  work: string,
): Promise<void> {
  const { host, creds } = skopeoTarget(server);
  const pulled = fs.mkdtempSync(path.join(work, 'pulled-'));
  expect(await pullToLayout(`${host}/${ref}`, pulled, 'p', creds)).toBe(image.digest);
  expect(layoutRefDigest(pulled, 'p')).toBe(image.digest);
  for (const layer of image.layers) {
    const bytes = layoutBlob(pulled, layer.digest);
    expect(bytes.equals(Buffer.from(layer.bytes)), layer.digest).toBe(true);
  }
}

/**
 * `copy` holds what fillSource put into the source: the live image pulls with skopeo with
 * its layers' bytes, the project's secrets open (under the source's root key), and the trashed
 * image restores from the trash with its tag and pulls.
 */
export async function expectHoldsSource(
  copy: TestServer,
  source: SourceContent,
  work: string,
): Promise<void> {
  const { namespace, kept, trashed, projectId, secrets } = source;
  const { host, creds } = skopeoTarget(copy);
  await expectPulls(copy, `${namespace}/app:1.0`, kept, work);
  expect(await copy.services.projects.secretValues(projectId, 'api')).toEqual({
    type: 'generic',
    data: { API_TOKEN: secrets.apiToken },
  });
  expect(await copy.services.projects.secretValues(projectId, 'pull')).toEqual({
    type: 'registry',
    server: TEST_REGISTRY,
    username: 'robot',
    password: secrets.password,
  });
  await copy
    .api()
    .post(apiPaths.trashRestore(namespace))
    .send({ repository: 'app', digest: trashed.digest })
    .expect(200);
  const back = fs.mkdtempSync(path.join(work, 'pulled-trashed-'));
  expect(await pullToLayout(`${host}/${namespace}/app:old`, back, 'p', creds)).toBe(trashed.digest);
}

export interface LiveManifest {
  repo: string;
  digest: string;
  /** As stored: sealed under the namespace's key when encrypted at rest. */
  content: Buffer;
  /** The blobs it references. */
  blobs: string[];
}

const LIVE_MANIFESTS = `SELECT m.id, m.digest, m.content, n.name || '/' || r.name AS repo
  FROM manifests m JOIN repositories r ON r.id = m.repository_id
  JOIN namespaces n ON n.id = r.namespace_id WHERE m.state = 'live'`;
const MANIFEST_BLOBS = 'SELECT manifest_id, blob_digest AS digest FROM manifest_blobs';

type ManifestRow = { id: number | string; digest: string; content: Buffer; repo: string };
type LinkRow = { manifest_id: number | string; digest: string };

function joined(manifests: ManifestRow[], links: LinkRow[]): LiveManifest[] {
  return manifests.map((m) => ({
    repo: m.repo,
    digest: m.digest,
    content: m.content,
    // PostgreSQL's bigint ids come back as strings, SQLite's as numbers.
    blobs: links.filter((l) => String(l.manifest_id) === String(m.id)).map((l) => l.digest),
  }));
}

/** The live manifests of the SQLite database `dbFile`, read only. */
export function liveManifestsInSqlite(dbFile: string): LiveManifest[] {
  const db = new SqliteDatabase(dbFile, { readonly: true });
  try {
    return joined(
      db.prepare(LIVE_MANIFESTS).all() as ManifestRow[],
      db.prepare(MANIFEST_BLOBS).all() as LinkRow[],
    );
  } finally {
    db.close();
  }
}

/** The live manifests of the PostgreSQL database at `url`. */
export async function liveManifestsInPostgres(url: string): Promise<LiveManifest[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return joined(
      (await client.query<ManifestRow>(LIVE_MANIFESTS)).rows,
      (await client.query<LinkRow>(MANIFEST_BLOBS)).rows,
    );
  } finally {
    await client.end();
  }
}

/**
 * Pulls every manifest in `manifests` from `copy`, and every blob they reference (once):
 * manifests must hash to their digests (and be the bytes stored, when those are not sealed),
 * blobs the bytes `original` gives for them and match their digests.
 */
export async function expectServesLiveImages(
  copy: TestServer,
  manifests: LiveManifest[],
  original: (repo: string, digest: string) => Promise<Buffer>,
): Promise<void> {
  const checked = new Set<string>();
  for (const m of manifests) {
    const got = await copy
      .api()
      .get(`/v2/${m.repo}/manifests/${m.digest}`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    const body = got.body as Buffer;
    const [algorithm = 'sha256'] = m.digest.split(':');
    const hex = createHash(algorithm).update(body).digest('hex');
    expect(`${algorithm}:${hex}`, m.repo).toBe(m.digest);
    if (!m.content.subarray(0, 8).equals(Buffer.from('BERTHMF1'))) {
      expect(body.equals(m.content), m.digest).toBe(true);
    }
    for (const digest of m.blobs) {
      if (checked.has(digest)) continue;
      checked.add(digest);
      const blob = await pullBlob(copy, m.repo, digest);
      expect(blob.equals(await original(m.repo, digest)), digest).toBe(true);
      const sha256 = createHash('sha256').update(blob).digest('hex');
      expect(`sha256:${sha256}`).toBe(digest);
    }
  }
}

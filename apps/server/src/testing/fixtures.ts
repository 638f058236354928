import { apiPaths } from '@berth/contract';
import type { ActionContext } from '@berth/store';
import {
  buildImage,
  buildIndex,
  buildLayer,
  buildSignature,
  type BuiltManifest,
} from '../seed/oci-content.js';
import { createImageIngester } from '../seed/ingest-image.js';
import type { TestServer } from './test-server.js';

export interface SmallRegistry {
  /** team-alpha/web/app: v2 (latest, 2.0), v1 (1.0), old (untagged), signed by sig. */
  v2: BuiltManifest;
  v1: BuiltManifest;
  old: BuiltManifest;
  sig: BuiltManifest;
  /** team-alpha/tools: a multi-arch index tagged "stable". */
  index: BuiltManifest;
  /** team-beta/db: one image tagged "15". */
  beta: BuiltManifest;
  sharedLayer: string;
}

const DAY = 24 * 60 * 60 * 1000;

/** A few small real images in two namespaces: enough for every API behaviour. */
export async function seedSmallRegistry(server: TestServer): Promise<SmallRegistry> {
  const { store, blobs, clock } = server;
  const ctx = (offsetDays: number): ActionContext => ({
    actor: 'test',
    now: clock.now - offsetDays * DAY,
  });
  await store.namespaces.create({ name: 'team-alpha', region: 'local', quotaBytes: null }, ctx(30));
  await store.namespaces.create(
    { name: 'team-beta', region: 'eu-west', quotaBytes: null },
    ctx(30),
  );
  const base = buildLayer('base', 4096);
  const image = (seed: string, daysAgo: number, platform?: { os: string; architecture: string }) =>
    buildImage({
      seed,
      created: new Date(clock.now - daysAgo * DAY),
      layers: [base, buildLayer(seed, 1024)],
      platform,
    });
  const v2 = image('v2', 1);
  const v1 = image('v1', 5);
  const old = image('old', 20);
  const sig = buildSignature(v2, 'sig');
  const index = buildIndex([
    image('amd', 3, { os: 'linux', architecture: 'amd64' }),
    image('arm', 3, { os: 'linux', architecture: 'arm64' }),
  ]);
  const beta = image('beta', 2);
  const ingester = createImageIngester(store, blobs);
  await ingester.ingest('team-alpha', 'web/app', { manifest: old, tags: [] }, ctx(20));
  await ingester.ingest('team-alpha', 'web/app', { manifest: v1, tags: ['1.0'] }, ctx(5));
  await ingester.ingest(
    'team-alpha',
    'web/app',
    { manifest: v2, tags: ['latest', '2.0'], referrers: [sig] },
    ctx(1),
  );
  await ingester.ingest('team-alpha', 'tools', { manifest: index, tags: ['stable'] }, ctx(3));
  await ingester.ingest('team-beta', 'db', { manifest: beta, tags: ['15'] }, ctx(2));
  return { v2, v1, old, sig, index, beta, sharedLayer: base.digest };
}

/**
 * Moves three images of seedSmallRegistry's team-alpha to the trash through the API: web/app's
 * v2 (latest, 2.0) and v1 (1.0), and tools' index (stable).
 */
export async function trashSmallRegistry(server: TestServer, reg: SmallRegistry): Promise<void> {
  await server
    .api()
    .post(apiPaths.imagesDelete('team-alpha'))
    .send({
      images: [
        { repository: 'web/app', digest: reg.v2.digest },
        { repository: 'web/app', digest: reg.v1.digest },
        { repository: 'tools', digest: reg.index.digest },
      ],
    })
    .expect(200);
}

import { operation as operationSchema, type Operation } from '@berth/contract';
import { buildImage, buildLayer } from '../seed/oci-content.js';
import { createImageIngester } from '../seed/ingest-image.js';
import type { TestServer } from './test-server.js';

const DAY = 86_400_000;

/**
 * `count` small images in team/<repository> (the namespace is created if need be), pushed a
 * second apart and created a day ago, a second apart when `createdApart`; `tagged(i)` says
 * which get the tag `v<i>`. Returns their digests in push order.
 */
export async function seedRepository(
  s: TestServer,
  repository: string,
  count: number,
  opts: { tagged: (i: number) => boolean; createdApart?: boolean },
): Promise<string[]> {
  await s.store.namespaces
    .create(
      { name: 'team', region: 'local', quotaBytes: null },
      { actor: 'test', now: s.clock.now },
    )
    .catch(() => undefined);
  const ingester = createImageIngester(s.store, s.blobs);
  const base = buildLayer('base', 512);
  const digests: string[] = [];
  for (let i = 0; i < count; i++) {
    const m = buildImage({
      seed: `${repository}-${i}`,
      created: new Date(s.clock.now - DAY + (opts.createdApart ? i * 1000 : 0)),
      layers: [base, buildLayer(`${repository}-${i}`, 64)],
    });
    await ingester.ingest(
      'team',
      repository,
      { manifest: m, tags: opts.tagged(i) ? [`v${i}`] : [] },
      { actor: 'test', now: s.clock.now - (count - i) * 1000 },
    );
    digests.push(m.digest);
  }
  return digests;
}

/** Follows an operation (its Location) until it is no longer running. */
export async function followOperation(s: TestServer, location: string): Promise<Operation> {
  for (let i = 0; i < 400; i++) {
    const op = operationSchema.parse((await s.api().get(location).expect(200)).body);
    if (op.state !== 'running') return op;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the operation did not end');
}

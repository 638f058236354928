import { afterEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../postgres/connect.js';
import { createStore } from '../store.js';
import { type TestDatabase, openTestDatabase, testEngines } from '../testing/engines.js';
import { createImageDataKeysStore } from './image-data-keys-store.js';

const NOW = Date.UTC(2026, 0, 1);
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const key = (text: string) => Buffer.from(text);
let database: TestDatabase;
afterEach(() => database.dispose());

async function namespaces(db: TestDatabase['handle']['db'], ...names: string[]) {
  const store = createStore(db);
  await store.namespaces.ensureRegions(['local'], NOW);
  const ids: number[] = [];
  for (const name of names) {
    await store.namespaces.create(
      { name, region: 'local', quotaBytes: null },
      { actor: 'test', now: NOW },
    );
    ids.push((await store.imageDataKeys.namespaceId(name))!);
  }
  return ids;
}

describe.each(testEngines())('image data keys on %s', (engine) => {
  it('decides on for a new installation, and records a change', async () => {
    database = await openTestDatabase(engine);
    const keys = createImageDataKeysStore(database.handle.db);
    expect(await keys.enabledByDefault()).toBe(true);
    await keys.setEnabledByDefault(false, NOW);
    expect(await keys.enabledByDefault()).toBe(false);
    await keys.setEnabledByDefault(true, NOW + 1);
    expect(await keys.enabledByDefault()).toBe(true);
  });

  it('keeps the first namespace key, lets one writer choose a blob key, and shreds with the namespace', async () => {
    database = await openTestDatabase(engine);
    const db = database.handle.db;
    const keys = createImageDataKeysStore(db);
    const [a, b] = (await namespaces(db, 'team-a', 'team-b')) as [number, number];

    const first = await keys.createNamespaceKey(a, { rootKeyId: 'r1', wrapped: key('A1') }, NOW);
    const second = await keys.createNamespaceKey(a, { rootKeyId: 'r1', wrapped: key('A2') }, NOW);
    expect(first).toEqual({ rootKeyId: 'r1', wrapped: key('A1') });
    expect(second).toEqual(first);
    await keys.createNamespaceKey(b, { rootKeyId: 'r2', wrapped: key('B1') }, NOW);
    expect((await keys.rootKeyIds()).sort()).toEqual(['r1', 'r2']);

    expect(await keys.claimBlobKey(a, DIGEST, key('wrap-a'), NOW)).toEqual({ claimed: true });
    expect(await keys.claimBlobKey(b, DIGEST, key('wrap-b'), NOW)).toEqual({
      claimed: false,
      wraps: [{ namespaceId: a, wrapped: key('wrap-a') }],
    });
    await keys.addWrap(b, DIGEST, key('wrap-b-of-same'));
    expect(await keys.wrapsOf(DIGEST)).toHaveLength(2);
    expect(await keys.stats()).toEqual({
      namespaceKeys: 2,
      encryptedBlobs: 1,
      wraps: 2,
      sharedBlobs: 1,
    });

    // Rotation only replaces the key it read.
    expect(
      await keys.replaceNamespaceKey(a, 'r0', { rootKeyId: 'r3', wrapped: key('x') }, NOW),
    ).toBe(false);
    expect(
      await keys.replaceNamespaceKey(a, 'r1', { rootKeyId: 'r3', wrapped: key('A3') }, NOW),
    ).toBe(true);
    expect(await keys.namespaceKey(a)).toEqual({ rootKeyId: 'r3', wrapped: key('A3') });

    // Deleting the namespaces deletes their keys and wraps in the same statement.
    await db.deleteFrom('namespaces').where('id', '=', a).execute();
    expect(await keys.namespaceKey(a)).toBeNull();
    expect(await keys.wrapsOf(DIGEST)).toEqual([
      { namespaceId: b, wrapped: key('wrap-b-of-same') },
    ]);
    await db.deleteFrom('namespaces').where('id', '=', b).execute();
    expect(await keys.wrapsOf(DIGEST)).toEqual([]);
    expect(
      await keys.createNamespaceKey(b, { rootKeyId: 'r1', wrapped: key('gone') }, NOW),
    ).toBeNull();

    // A new holder of the shredded blob chooses a new key.
    const [c] = (await namespaces(db, 'team-c')) as [number];
    expect(await keys.claimBlobKey(c, DIGEST, key('wrap-c'), NOW)).toEqual({ claimed: true });
    await keys.forgetBlob(DIGEST);
    expect(await keys.isEncrypted(DIGEST)).toBe(false);
    expect(await keys.wrapsOf(DIGEST)).toEqual([]);
  });
});

describe.skipIf(!testEngines().includes('postgres'))('image data keys across processes', () => {
  it('of many processes claiming one blob key at once, exactly one chooses it', async () => {
    database = await openTestDatabase('postgres');
    const ids = await namespaces(database.handle.db, 'team-a', 'team-b', 'team-c');
    const handles = await Promise.all(ids.map(() => openPostgres(database.url!)));
    try {
      const claims = await Promise.all(
        handles.map((h, i) =>
          createImageDataKeysStore(h.db).claimBlobKey(ids[i]!, DIGEST, key(`w${i}`), NOW),
        ),
      );
      expect(claims.filter((c) => c.claimed)).toHaveLength(1);
      expect(await createImageDataKeysStore(database.handle.db).wrapsOf(DIGEST)).toHaveLength(1);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });
});

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NotFoundError } from '@berth/domain';
import { createStore, openSqlite, type Store } from '@berth/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createKeyring,
  generateRootKey,
  type Keyring,
  keyFileSource,
  writeKeyFile,
} from '../projects/keyring.js';
import { createImageDataKeys, namespaceKeyContext } from './image-data-keys.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const NOW = Date.UTC(2026, 11, 5);

let dir: string;
let handle: Awaited<ReturnType<typeof openSqlite>>;
let store: Store;
let keyring: Keyring;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-image-data-keys-'));
  handle = await openSqlite(path.join(dir, 'berth.db'));
  store = createStore(handle.db);
  await store.namespaces.ensureRegions(['local'], NOW);
  writeKeyFile(path.join(dir, 'root.key'), [generateRootKey()], 'test');
  keyring = createKeyring(keyFileSource(path.join(dir, 'root.key')));
});

afterEach(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function namespace(name: string): Promise<number> {
  await store.namespaces.create(
    { name, region: 'local', quotaBytes: null },
    { actor: 'test', now: NOW },
  );
  return (await store.imageDataKeys.namespaceId(name))!;
}

/** The store's reads of namespace key rows, counted. */
function countingKeyReads(): { reads: () => number } {
  const keys = store.imageDataKeys;
  const read = keys.namespaceKey.bind(keys);
  let reads = 0;
  keys.namespaceKey = (id) => {
    reads++;
    return read(id);
  };
  return { reads: () => reads };
}

describe('namespace keys kept in memory', () => {
  it('reads a namespace key row once for many reads and writes, not once per use', async () => {
    const id = await namespace('team-a');
    const keys = createImageDataKeys(store, keyring, () => NOW);
    const first = await keys.namespaceKey(id, true);
    const counted = countingKeyReads();
    for (let i = 0; i < 5; i++) {
      expect((await keys.namespaceKey(id, false))!.equals(first!)).toBe(true);
      await keys.claim(id, `sha256:${String(i).repeat(64)}`);
    }
    expect(counted.reads()).toBe(0);
    // `fresh` reads the row again, and what it reads is the same key.
    expect((await keys.namespaceKey(id, false, { fresh: true }))!.equals(first!)).toBe(true);
    expect(counted.reads()).toBe(1);
  });

  it('a blob key that does not open with the kept key is opened with the stored one', async () => {
    const id = await namespace('team-a');
    const keys = createImageDataKeys(store, keyring, () => NOW);
    const kept = (await keys.namespaceKey(id, true))!;
    // The stored row now holds another key (as a restore of the database could leave it),
    // and the blob's key is wrapped under that one.
    const stored = crypto.randomBytes(32);
    const wrapped = keyring.wrapKey(namespaceKeyContext(id), stored);
    await handle.db
      .updateTable('namespace_keys')
      .set({ root_key_id: wrapped.keyId, wrapped_key: wrapped.wrapped.toString('base64') })
      .where('namespace_id', '=', id)
      .execute();
    const blobKey = crypto.randomBytes(32);
    await store.imageDataKeys.addWrap(
      id,
      DIGEST,
      keyring.seal(stored, `berth:blob-key:v1:${id}:${DIGEST}`, blobKey),
    );
    expect(stored.equals(kept)).toBe(false);
    expect((await keys.blobKey(id, DIGEST))!.equals(blobKey)).toBe(true);
    // From then on the stored key is the kept one.
    expect((await keys.namespaceKey(id, false))!.equals(stored)).toBe(true);
  });

  it('a claim for a namespace deleted while its key was kept says the namespace is gone', async () => {
    const id = await namespace('team-a');
    const other = await namespace('team-b');
    const keys = createImageDataKeys(store, keyring, () => NOW);
    await keys.claim(other, DIGEST);
    await keys.namespaceKey(id, true);
    await handle.db.deleteFrom('namespaces').where('id', '=', id).execute();
    const refused = await keys.claim(id, `sha256:${'cd'.repeat(32)}`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotFoundError);
    expect((refused as NotFoundError).code).toBe('NAME_UNKNOWN');
    // A wrap for it is not added (nothing could read through it), and nothing fails.
    expect((await keys.claim(id, DIGEST).catch((e: unknown) => e)) instanceof Error).toBe(false);
    expect((await store.imageDataKeys.wrapsOf(DIGEST)).map((w) => w.namespaceId)).toEqual([other]);
  });
});

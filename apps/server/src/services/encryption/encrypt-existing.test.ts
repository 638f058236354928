import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { pullBlob, pushBlob } from '../../testing/registry-client.js';
import { readKeyFile, rootKeyId } from '../projects/keyring.js';
import { HEADER_BYTES, storedSizeOf } from './segment-format.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/cli');

/** A command as an operator runs it: another process, beside the running server. */
function command(
  server: TestServer,
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(DIST, script), ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        BERTH_DATA_DIR: server.dataDir,
        ...(server.databaseUrl ? { BERTH_DATABASE_URL: server.databaseUrl } : {}),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function blobFile(server: TestServer, digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return path.join(server.dataDir, 'blobs', algorithm, hex.slice(0, 2), hex);
}

const isCiphertext = (server: TestServer, digest: string) =>
  fs.readFileSync(blobFile(server, digest)).subarray(0, 8).toString('latin1') === 'BERTHENC';

/** Pulls every blob again and again until stopped; any wrong byte fails the test. */
function pullLoop(server: TestServer, blobs: { repo: string; digest: string; bytes: Buffer }[]) {
  let stop = false;
  let pulls = 0;
  const done = (async () => {
    while (!stop) {
      for (const b of blobs) {
        const got = await pullBlob(server, b.repo, b.digest);
        if (!got.equals(b.bytes)) throw new Error(`pull of ${b.digest} returned other bytes`);
        pulls += 1;
      }
    }
  })();
  return {
    async end() {
      stop = true;
      await done;
      return pulls;
    },
  };
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('an installation that stored plaintext (encryption off)', () => {
  it('encrypt-existing converts it online while pulls go on, idempotently, and new pushes stay readable', async () => {
    server = await startTestServer({ env: { BERTH_ENCRYPT_IMAGE_DATA: 'false' } });
    const s = server;
    for (const name of ['old-one', 'old-two']) {
      await s.api().post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
    const blobs: { repo: string; digest: string; bytes: Buffer }[] = [];
    for (let i = 0; i < 6; i++) {
      const bytes = crypto.randomBytes(100_000 + i * 40_000);
      blobs.push({ repo: 'old-one/app', digest: await pushBlob(s, 'old-one/app', bytes), bytes });
    }
    // The same bytes held by a second namespace too.
    await pushBlob(s, 'old-two/app', blobs[0]!.bytes);
    blobs.push({ ...blobs[0]!, repo: 'old-two/app' });
    for (const b of blobs) expect(isCiphertext(s, b.digest)).toBe(false);
    expect((await s.store.imageDataKeys.stats()).encryptedBlobs).toBe(0);

    const usage = await command(s, 'encrypt-existing.js', ['--batch', '0']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--batch');
    const dry = await command(s, 'encrypt-existing.js', ['--dry-run', '--output', 'json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ ok: true, encrypted: 6, dryRun: true });
    for (const b of blobs) expect(isCiphertext(s, b.digest)).toBe(false);

    const loop = pullLoop(s, blobs);
    const run = await command(s, 'encrypt-existing.js', ['--batch', '2', '--output', 'json']);
    const pulls = await loop.end();
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      ok: boolean;
      encrypted: number;
      wrapsAdded: number;
    };
    expect(summary).toMatchObject({ ok: true, encrypted: 6 });
    // old-two's wrap: added by the command, or already by a pull through old-two in between
    // (a namespace that links a blob gets its wrap when it first reads it).
    expect(summary.wrapsAdded).toBeLessThanOrEqual(1);
    expect(pulls).toBeGreaterThan(0);
    for (const b of blobs) {
      expect(isCiphertext(s, b.digest)).toBe(true);
      expect(fs.statSync(blobFile(s, b.digest)).size).toBe(storedSizeOf(b.bytes.length));
      expect((await pullBlob(s, b.repo, b.digest)).equals(b.bytes)).toBe(true);
    }
    expect(await s.store.imageDataKeys.wrapsOf(blobs[0]!.digest)).toHaveLength(2);

    const again = await command(s, 'encrypt-existing.js', ['--output', 'json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      encrypted: 0,
      alreadyEncrypted: 6,
      wrapsAdded: 0,
    });

    // Encryption is still off for new writes here: a new push is plaintext, and the same
    // bytes pushed into another namespace join the encrypted blob with a wrap of their own.
    const fresh = crypto.randomBytes(5000);
    const freshDigest = await pushBlob(s, 'old-one/app', fresh);
    expect(isCiphertext(s, freshDigest)).toBe(false);
    await s.api().post(apiPaths.namespaces()).send({ name: 'old-three', region: 'local' });
    await pushBlob(s, 'old-three/app', blobs[1]!.bytes);
    expect(isCiphertext(s, blobs[1]!.digest)).toBe(true);
    expect((await pullBlob(s, 'old-three/app', blobs[1]!.digest)).equals(blobs[1]!.bytes)).toBe(
      true,
    );
  });
});

describe('root key rotation with image data keys', () => {
  it('re-wraps namespace keys while the server runs and pulls and pushes go on', async () => {
    server = await startTestServer();
    const s = server;
    await s.api().post(apiPaths.namespaces()).send({ name: 'rotating', region: 'local' });
    const bytes = crypto.randomBytes(200_000);
    const digest = await pushBlob(s, 'rotating/app', bytes);
    const keyFile = path.join(s.dataDir, 'root.key');
    const [oldKey] = readKeyFile(keyFile);
    expect(await s.store.imageDataKeys.rootKeyIds()).toEqual([rootKeyId(oldKey!)]);

    const loop = pullLoop(s, [{ repo: 'rotating/app', digest, bytes }]);
    const rotated = await command(s, 'rotate-root-key.js', []);
    await loop.end();
    expect(rotated.code, rotated.stderr).toBe(0);
    const [newKey] = readKeyFile(keyFile);
    expect(rootKeyId(newKey!)).not.toBe(rootKeyId(oldKey!));
    expect(await s.store.imageDataKeys.rootKeyIds()).toEqual([rootKeyId(newKey!)]);
    expect((await pullBlob(s, 'rotating/app', digest)).equals(bytes)).toBe(true);

    // The running server wraps a new namespace's key under the new root key.
    await s.api().post(apiPaths.namespaces()).send({ name: 'after-rotation', region: 'local' });
    const later = crypto.randomBytes(1000);
    const laterDigest = await pushBlob(s, 'after-rotation/app', later);
    expect(await s.store.imageDataKeys.rootKeyIds()).toEqual([rootKeyId(newKey!)]);
    expect((await pullBlob(s, 'after-rotation/app', laterDigest)).equals(later)).toBe(true);

    // The old key now wraps nothing: pruning it leaves everything readable.
    const pruned = await command(s, 'rotate-root-key.js', ['--rewrap-only', '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(readKeyFile(keyFile)).toHaveLength(1);
    expect((await pullBlob(s, 'rotating/app', digest)).equals(bytes)).toBe(true);
  });
});

describe('turning encryption on over plaintext data', () => {
  it('a push of bytes stored in plaintext encrypts them in place; the namespace that pushed them first reads them through its own new wrap', async () => {
    const off = await startTestServer({ env: { BERTH_ENCRYPT_IMAGE_DATA: 'false' } });
    const dataDir = off.dataDir;
    for (const name of ['before', 'after']) {
      await off.api().post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
    const bytes = crypto.randomBytes(3 * 65_536 + 11);
    const digest = await pushBlob(off, 'before/app', bytes);
    expect(isCiphertext(off, digest)).toBe(false);
    await off.close();

    // The same data directory, restarted with encryption on: no conversion, no downtime.
    server = await startTestServer({ dataDir, env: { BERTH_ENCRYPT_IMAGE_DATA: 'true' } });
    const s = server;
    expect((await pullBlob(s, 'before/app', digest)).equals(bytes)).toBe(true);
    await pushBlob(s, 'after/app', bytes);
    expect(isCiphertext(s, digest)).toBe(true);
    expect(fs.statSync(blobFile(s, digest)).size).toBe(storedSizeOf(bytes.length));
    const before = (await s.store.imageDataKeys.namespaceId('before'))!;
    expect(await s.store.imageDataKeys.wrapOf(before, digest)).toBeNull();
    expect((await pullBlob(s, 'before/app', digest)).equals(bytes)).toBe(true);
    expect(await s.store.imageDataKeys.wrapOf(before, digest)).not.toBeNull();
    expect((await pullBlob(s, 'after/app', digest)).equals(bytes)).toBe(true);
  });
});

describe('a layer whose own bytes start like ciphertext', () => {
  it('is plaintext while no key was ever recorded for it, and is encrypted like any other once encryption is on', async () => {
    const off = await startTestServer({ env: { BERTH_ENCRYPT_IMAGE_DATA: 'false' } });
    const dataDir = off.dataDir;
    for (const name of ['before', 'after']) {
      await off.api().post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
    // A valid version-1 header, then bytes: what a pushed layer may hold.
    const header = Buffer.alloc(HEADER_BYTES);
    header.write('BERTHENC', 0, 'latin1');
    header[8] = 1;
    header.writeUInt32BE(65_536, 12);
    const bytes = Buffer.concat([header, crypto.randomBytes(2 * 65_536 + 5)]);
    const digest = await pushBlob(off, 'before/app', bytes);
    expect((await pullBlob(off, 'before/app', digest)).equals(bytes)).toBe(true);
    await off.close();

    server = await startTestServer({ dataDir, env: { BERTH_ENCRYPT_IMAGE_DATA: 'true' } });
    const s = server;
    expect((await pullBlob(s, 'before/app', digest)).equals(bytes)).toBe(true);
    // A mount of the stored plaintext into another namespace encrypts it in place.
    await s
      .api()
      .post('/v2/after/app/blobs/uploads/')
      .query({ mount: digest, from: 'before/app' })
      .expect(201);
    expect(fs.statSync(blobFile(s, digest)).size).toBe(storedSizeOf(bytes.length));
    expect(await s.store.imageDataKeys.isEncrypted(digest)).toBe(true);
    expect((await pullBlob(s, 'after/app', digest)).equals(bytes)).toBe(true);
    expect((await pullBlob(s, 'before/app', digest)).equals(bytes)).toBe(true);
  });
});

describe('garbage collection of encrypted blobs', () => {
  it('deletes a blob key with the blob; the same bytes pushed again get a new key', async () => {
    server = await startTestServer();
    const s = server;
    await s.api().post(apiPaths.namespaces()).send({ name: 'collected', region: 'local' });
    const bytes = crypto.randomBytes(70_000);
    const digest = await pushBlob(s, 'collected/app', bytes);
    const [wrap] = await s.store.imageDataKeys.wrapsOf(digest);
    expect(wrap).toBeDefined();
    // Uploaded but used by no manifest: garbage once the grace has passed.
    s.clock.advance(25 * 3_600_000);
    await s.api().post(apiPaths.gcRuns()).send({ dryRun: false }).expect(200);
    expect(fs.existsSync(blobFile(s, digest))).toBe(false);
    expect(await s.store.imageDataKeys.isEncrypted(digest)).toBe(false);
    expect(await s.store.imageDataKeys.wrapsOf(digest)).toEqual([]);

    await pushBlob(s, 'collected/app', bytes);
    const [again] = await s.store.imageDataKeys.wrapsOf(digest);
    expect(again!.wrapped.equals(wrap!.wrapped)).toBe(false);
    expect((await pullBlob(s, 'collected/app', digest)).equals(bytes)).toBe(true);
  });
});

describe('the demo registry of a new installation', () => {
  it('is seeded encrypted: every blob file is ciphertext and pulls back whole', async () => {
    server = await startTestServer({ demo: true });
    const s = server;
    const rows = await s.store.db
      .selectFrom('repository_blobs as rb')
      .innerJoin('repositories as r', 'r.id', 'rb.repository_id')
      .innerJoin('namespaces as n', 'n.id', 'r.namespace_id')
      .select(['rb.digest', 'n.name as namespace', 'r.name as repository'])
      .execute();
    expect(rows.length).toBeGreaterThan(0);
    const digests = new Set(rows.map((r) => r.digest));
    for (const digest of digests) expect(isCiphertext(s, digest), digest).toBe(true);
    const first = rows[0]!;
    const body = await pullBlob(s, `${first.namespace}/${first.repository}`, first.digest);
    const hex = crypto.createHash(first.digest.startsWith('sha512:') ? 'sha512' : 'sha256');
    expect(`${first.digest.split(':')[0]}:${hex.update(body).digest('hex')}`).toBe(first.digest);
  });
});

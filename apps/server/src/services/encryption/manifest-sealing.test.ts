import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { type BuiltManifest, sha256Digest } from '../../seed/oci-content.js';
import { layoutBlob, randomImage, writeLayout } from '../../testing/oci-layout.js';
import { binary, digestOf, json, pushArtifact } from '../../testing/registry-client.js';
import { runServerCli } from '../../testing/server-cli.js';
import { hasSkopeo, inspectRaw, pullToLayout, pushLayout } from '../../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../../testing/test-server.js';
import { captureLog } from '../../testing/log-lines.js';
import { manifestRow, setManifestContent } from '../../testing/manifest-rows.js';
import { createKeyring, keyFileSource, RootKeyError } from '../projects/keyring.js';
import { createImageData } from './image-data.js';
import {
  createManifestSealing,
  isSealedManifest,
  manifestContext,
  SEALED_MANIFEST_MAGIC,
  SEALED_MANIFEST_OVERHEAD,
} from './manifest-sealing.js';
import { IntegrityError } from './integrity-error.js';

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** Every byte of the SQLite database files (the file and its write-ahead log). */
function databaseBytes(server: TestServer): Buffer {
  return Buffer.concat(
    fs
      .readdirSync(server.dataDir)
      .filter((f) => f.startsWith('berth.db'))
      .map((f) => fs.readFileSync(path.join(server.dataDir, f))),
  );
}

/** A sealing of its own, as another process with the installation's root key would have. */
function outsideSealing(server: TestServer) {
  const keyring = createKeyring(keyFileSource(path.join(server.dataDir, 'root.key')));
  const imageData = createImageData({
    store: server.store,
    blobs: null as never, // manifests only: no blob is read
    keyring,
    clock: Date.now,
    logger: pino({ level: 'silent' }),
    encrypt: true,
    dataDir: server.dataDir,
  });
  return {
    keyring,
    imageData,
    sealing: createManifestSealing({ imageData, keyring, logger: pino({ level: 'silent' }) }),
  };
}

/** The image's manifest with an annotation added: new bytes, new digest. */
function annotated(image: BuiltManifest, annotations: Record<string, string>): BuiltManifest {
  const doc = JSON.parse(image.bytes.toString('utf8')) as { annotations?: object };
  const bytes = Buffer.from(
    JSON.stringify({ ...doc, annotations: { ...doc.annotations, ...annotations } }),
  );
  return { ...image, bytes, digest: sha256Digest(bytes) };
}

function getManifest(server: TestServer, repo: string, reference: string) {
  return server.api().get(`/v2/${repo}/manifests/${reference}`).buffer(true).parse(binary);
}

describe('manifest bytes sealed at rest (encryption on: a new installation)', () => {
  let server: TestServer;
  let work: string;
  const { stream: logStream, lines: logLines } = captureLog();
  // Distinctive: found in the database only if the manifest is stored in plaintext.
  const marker = `berth-sealing-marker-${crypto.randomBytes(8).toString('hex')}`;
  const image = annotated(randomImage({ seed: 'sealing', layers: 1, layerBytes: 4096 }), {
    'org.example.marker': marker,
  });

  beforeAll(async () => {
    server = await startTestServer({
      logStream,
    });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-sealing-'));
    writeLayout(path.join(work, 'source'), [{ manifest: image, ref: 'image' }]);
    for (const name of ['sealed', 'other']) {
      await server.api().post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
  });

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it.skipIf(!hasSkopeo())(
    'a skopeo push stores no manifest plaintext, and skopeo and the console read it back as pushed',
    async () => {
      const host = server.url.replace('http://', '');
      const creds = { creds: `${ADMIN.username}:${server.adminKey}` };
      const pushed = await pushLayout(
        path.join(work, 'source'),
        'image',
        `${host}/sealed/app:1`,
        creds,
      );
      expect(pushed).toBe(image.digest);

      // BERTH_TEST_ENGINE=postgres runs it on PostgreSQL: the row is checked on either engine.
      expect(server.databaseUrl !== null).toBe(process.env.BERTH_TEST_ENGINE === 'postgres');
      const row = await manifestRow(server, 'sealed/app', image.digest);
      const stored = Buffer.from(row.content!);
      expect(isSealedManifest(stored)).toBe(true);
      expect(stored.length).toBe(image.bytes.length + SEALED_MANIFEST_OVERHEAD);
      expect(row.manifest_size).toBe(image.bytes.length); // the plaintext's size
      expect(stored.includes(Buffer.from(marker))).toBe(false);
      if (!server.databaseUrl) {
        // Every byte SQLite wrote, the write-ahead log included.
        const db = databaseBytes(server);
        expect(db.includes(Buffer.from(marker)), 'the annotation in the database').toBe(false);
        expect(db.includes(image.bytes), 'the manifest in the database').toBe(false);
        expect(db.includes(image.bytes.subarray(0, 64)), 'its start in the database').toBe(false);
      }

      const raw = await inspectRaw(`${host}/sealed/app:1`, creds);
      expect(raw.equals(image.bytes)).toBe(true);
      const pulled = path.join(work, 'pulled');
      expect(await pullToLayout(`${host}/sealed/app:1`, pulled, 'p', creds)).toBe(image.digest);
      expect(layoutBlob(pulled, image.digest).equals(image.bytes)).toBe(true);

      const details = await server
        .api()
        .get(apiPaths.image('sealed', 'app', image.digest))
        .expect(200);
      expect(details.body.annotations).toMatchObject({ 'org.example.marker': marker });
      expect(details.body.layers).toHaveLength(1);
      const bytes = await server
        .api()
        .get(apiPaths.imageManifest('sealed', 'app', image.digest))
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect((bytes.body as Buffer).equals(image.bytes)).toBe(true);
    },
  );

  it('a push by digest is sealed in the same way; HEAD and GET answer the plaintext size and bytes', async () => {
    const pushed = await pushArtifact(server, 'sealed/raw', 'raw', {
      extra: { annotations: { 'org.example.marker': marker } },
    });
    const row = await manifestRow(server, 'sealed/raw', pushed.digest);
    expect(isSealedManifest(Buffer.from(row.content!))).toBe(true);
    expect(Buffer.from(row.content!).includes(Buffer.from(marker))).toBe(false);
    const head = await server.api().head(`/v2/sealed/raw/manifests/${pushed.digest}`).expect(200);
    expect(Number(head.headers['content-length'])).toBe(pushed.bytes.length);
    const got = await getManifest(server, 'sealed/raw', pushed.digest).expect(200);
    expect((got.body as Buffer).equals(pushed.bytes)).toBe(true);
    expect(digestOf(got.body as Buffer)).toBe(pushed.digest);
  });

  it('the referrers API lists annotations read from sealed referrers', async () => {
    const subject = await pushArtifact(server, 'sealed/signed', 'subject');
    const referrer = await pushArtifact(server, 'sealed/signed', 'sbom', {
      extra: {
        artifactType: 'application/vnd.example.sbom',
        subject: { mediaType: MANIFEST_TYPE, digest: subject.digest, size: subject.bytes.length },
        annotations: { 'org.example.note': 'sealed referrer' },
      },
    });
    const row = await manifestRow(server, 'sealed/signed', referrer.digest);
    expect(isSealedManifest(Buffer.from(row.content!))).toBe(true);
    const res = await server.api().get(`/v2/sealed/signed/referrers/${subject.digest}`).expect(200);
    expect(res.body.manifests).toEqual([
      expect.objectContaining({
        digest: referrer.digest,
        artifactType: 'application/vnd.example.sbom',
        annotations: { 'org.example.note': 'sealed referrer' },
      }),
    ]);
  });

  it('a sealed row that was altered, or moved to another digest, is never served: a 5xx OCI error, logged', async () => {
    const a = await pushArtifact(server, 'sealed/tamper', 'tamper-a');
    const b = await pushArtifact(server, 'sealed/tamper', 'tamper-b');
    // Read once, so the namespace key is cached: the cached key must not hide the failure.
    await getManifest(server, 'sealed/tamper', a.digest).expect(200);
    const row = await manifestRow(server, 'sealed/tamper', a.digest);
    const original = Buffer.from(row.content!);
    const flipped = Buffer.from(original);
    flipped[SEALED_MANIFEST_MAGIC.length + 20]! ^= 0x01;
    await setManifestContent(server, row.id, flipped);
    logLines.length = 0;
    const res = await getManifest(server, 'sealed/tamper', a.digest);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(JSON.parse((res.body as Buffer).toString()).errors[0].code).toBe('UNKNOWN');
    expect((res.body as Buffer).includes(a.bytes.subarray(0, 40))).toBe(false);
    await expect
      .poll(() => logLines.some((l) => l.includes('a sealed manifest failed to authenticate')))
      .toBe(true);
    expect(logLines.some((l) => l.includes(a.digest))).toBe(true);
    // The console's reads refuse it too.
    await server
      .api()
      .get(apiPaths.image('sealed', 'tamper', a.digest))
      .expect(500);
    await server
      .api()
      .get(apiPaths.imageManifest('sealed', 'tamper', a.digest))
      .expect(500);

    // b's sealed bytes in a's row: they authenticate only as b's.
    const rowB = await manifestRow(server, 'sealed/tamper', b.digest);
    await setManifestContent(server, row.id, Buffer.from(rowB.content!));
    expect((await getManifest(server, 'sealed/tamper', a.digest)).status).toBe(500);

    await setManifestContent(server, row.id, original);
    const back = await getManifest(server, 'sealed/tamper', a.digest).expect(200);
    expect((back.body as Buffer).equals(a.bytes)).toBe(true);
  });

  it("one namespace's sealed manifest does not open as another's", async () => {
    const pushed = await pushArtifact(server, 'sealed/moved', 'moved');
    const row = await manifestRow(server, 'sealed/moved', pushed.digest);
    const other = (await server.store.imageDataKeys.namespaceId('other'))!;
    const { sealing } = outsideSealing(server);
    // Under its own namespace it opens (so the refusal below is about the namespace).
    const opened = await sealing.open(row.namespaceId, pushed.digest, row.content);
    expect(opened?.equals(pushed.bytes)).toBe(true);
    await sealing.seal(other, pushed.digest, Buffer.from('{}')); // 'other' gets its key
    await expect(sealing.open(other, pushed.digest, row.content!)).rejects.toThrow(IntegrityError);
  });

  it('deleting the namespace destroys its key: a copy of a sealed row taken before opens with no remaining key', async () => {
    await server.api().post(apiPaths.namespaces()).send({ name: 'shredded', region: 'local' });
    const pushed = await pushArtifact(server, 'shredded/app', 'shredded');
    const row = await manifestRow(server, 'shredded/app', pushed.digest);
    // What a copy of the database taken now holds.
    const copy = Buffer.from(row.content!);
    const namespaceId = row.namespaceId;
    expect(isSealedManifest(copy)).toBe(true);
    const { keyring, imageData, sealing } = outsideSealing(server);
    expect((await sealing.open(namespaceId, pushed.digest, copy)).equals(pushed.bytes)).toBe(true);

    const op = await server.api().delete(apiPaths.namespace('shredded'));
    expect([200, 202]).toContain(op.status);
    await expect
      .poll(() => server.store.imageDataKeys.namespaceId('shredded'), { timeout: 20_000 })
      .toBeNull();
    expect(await server.store.imageDataKeys.namespaceKey(namespaceId)).toBeNull();
    const remaining = await server.store.imageDataKeys.namespaceKeys();
    expect(remaining.length).toBeGreaterThan(0);
    const body = copy.subarray(SEALED_MANIFEST_MAGIC.length);
    for (const k of remaining) {
      const key = (await imageData.keys.namespaceKey(k.namespaceId, false))!;
      for (const context of [
        manifestContext(namespaceId, pushed.digest),
        manifestContext(k.namespaceId, pushed.digest),
      ]) {
        expect(() => keyring.open(key, context, body)).toThrow(RootKeyError);
      }
    }
    // A process that had not cached the key before the delete cannot open it either.
    await expect(
      outsideSealing(server).sealing.open(namespaceId, pushed.digest, copy),
    ).rejects.toMatchObject({ reason: 'key-destroyed', digest: pushed.digest });
  });
});

describe('manifests of an installation that stored them in plaintext', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('stay plaintext with encryption off; encrypt-existing seals them while they keep serving, idempotently', async () => {
    server = await startTestServer({ env: { BERTH_ENCRYPT_IMAGE_DATA: 'false' } });
    const s = server;
    for (const name of ['plain-one', 'plain-two']) {
      await s.api().post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
    const pushed = [
      { repo: 'plain-one/app', ...(await pushArtifact(s, 'plain-one/app', 'p1')) },
      { repo: 'plain-one/app', ...(await pushArtifact(s, 'plain-one/app', 'p2')) },
      { repo: 'plain-two/tools', ...(await pushArtifact(s, 'plain-two/tools', 'p3')) },
    ];
    // One of them in the trash: sealed too, and still restorable.
    await s.api().delete(`/v2/plain-one/app/manifests/${pushed[1]!.digest}`).expect(202);
    for (const p of pushed) {
      const row = await manifestRow(s, p.repo, p.digest);
      expect(Buffer.from(row.content!).equals(p.bytes)).toBe(true);
    }
    const env = {
      BERTH_DATA_DIR: s.dataDir,
      ...(s.databaseUrl ? { BERTH_DATABASE_URL: s.databaseUrl } : {}),
    };

    const dry = await runServerCli('encrypt-existing', ['--dry-run', '--output', 'json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ manifestsSealed: 3, manifestsAlreadySealed: 0 });
    for (const p of pushed) {
      expect(isSealedManifest(Buffer.from((await manifestRow(s, p.repo, p.digest)).content!))).toBe(
        false,
      );
    }

    // Pulls go on while it runs: each gets the bytes as pushed, from either form of the row.
    let stop = false;
    let pulls = 0;
    const loop = (async () => {
      while (!stop) {
        for (const p of [pushed[0]!, pushed[2]!]) {
          const got = await getManifest(s, p.repo, p.digest).expect(200);
          if (!(got.body as Buffer).equals(p.bytes)) throw new Error(`${p.digest}: other bytes`);
          pulls += 1;
        }
      }
    })();
    const run = await runServerCli('encrypt-existing', ['--batch', '2', '--output', 'json'], env);
    stop = true;
    await loop;
    expect(pulls).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      manifestsSealed: 3,
      manifestsAlreadySealed: 0,
      manifestsSkipped: 0,
    });
    for (const p of pushed) {
      const row = await manifestRow(s, p.repo, p.digest);
      expect(isSealedManifest(Buffer.from(row.content!)), p.digest).toBe(true);
    }
    // The server still has encryption off: it reads the sealed rows all the same.
    for (const p of [pushed[0]!, pushed[2]!]) {
      const got = await getManifest(s, p.repo, p.digest).expect(200);
      expect((got.body as Buffer).equals(p.bytes)).toBe(true);
    }
    await s
      .api()
      .post(apiPaths.trashRestore('plain-one'))
      .send({ repository: 'app', digest: pushed[1]!.digest })
      .expect(200);
    const restored = await getManifest(s, 'plain-one/app', pushed[1]!.digest).expect(200);
    expect((restored.body as Buffer).equals(pushed[1]!.bytes)).toBe(true);

    const again = await runServerCli('encrypt-existing', ['--output', 'json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      manifestsSealed: 0,
      manifestsAlreadySealed: 3,
    });
    const text = await runServerCli('encrypt-existing', [], env);
    expect(text.stdout).toContain('sealed 0 manifest(s); 3 were sealed already');

    // Mixed rows: a push with encryption still off is plaintext beside the sealed ones.
    const later = await pushArtifact(s, 'plain-one/app', 'later');
    const laterRow = await manifestRow(s, 'plain-one/app', later.digest);
    expect(Buffer.from(laterRow.content!).equals(later.bytes)).toBe(true);
    const got = await getManifest(s, 'plain-one/app', later.digest).expect(200);
    expect(digestOf(got.body as Buffer)).toBe(later.digest);
  });

  it('the demo registry of a new installation is seeded with sealed manifests that pull back whole', async () => {
    server = await startTestServer({ demo: true });
    const s = server;
    const rows = await s.store.db
      .selectFrom('manifests as m')
      .innerJoin('repositories as r', 'r.id', 'm.repository_id')
      .innerJoin('namespaces as n', 'n.id', 'r.namespace_id')
      .select(['m.digest', 'm.content', 'm.state', 'n.name as namespace', 'r.name as repository'])
      .execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows)
      expect(isSealedManifest(Buffer.from(row.content!)), row.digest).toBe(true);
    const live = rows.find((r) => r.state === 'live')!;
    const got = await getManifest(s, `${live.namespace}/${live.repository}`, live.digest).expect(
      200,
    );
    expect(digestOf(got.body as Buffer)).toBe(live.digest);
  }, 120_000); // seeding about 200 images on a shared machine
});

describe('the sealed format', () => {
  it('is told from any JSON manifest by its first bytes', () => {
    expect(SEALED_MANIFEST_MAGIC.toString('latin1')).toBe('BERTHMF1');
    expect(isSealedManifest(json({ schemaVersion: 2 }))).toBe(false);
    expect(isSealedManifest(Buffer.from(' \n{"BERTHMF1":1}'))).toBe(false);
    expect(isSealedManifest(Buffer.from('BERTHMF'))).toBe(false);
    expect(isSealedManifest(Buffer.concat([SEALED_MANIFEST_MAGIC, Buffer.alloc(28)]))).toBe(true);
  });
});

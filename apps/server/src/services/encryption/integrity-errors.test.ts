import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import {
  binary,
  pullBlob,
  pushArtifact,
  pushBlob,
  putManifest,
} from '../../testing/registry-client.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { captureLog } from '../../testing/log-lines.js';
import { manifestRow, setManifestContent } from '../../testing/manifest-rows.js';
import { SEALED_MANIFEST_MAGIC } from './manifest-sealing.js';
import { HEADER_BYTES, SEGMENT_BYTES, SEGMENT_OVERHEAD } from './segment-format.js';

const S = SEGMENT_BYTES;
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

function blobFile(server: TestServer, digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return path.join(server.dataDir, 'blobs', algorithm, hex.slice(0, 2), hex);
}

function get(server: TestServer, url: string, range?: string) {
  const req = server.api().get(url).buffer(true).parse(binary);
  return range ? req.set('Range', range) : req;
}

interface OciBody {
  errors: { code: string; message: string; detail?: unknown }[];
}

/** The one OCI error of a 500: its message, after checking what every such answer shares. */
function ociIntegrityError(
  res: { status: number; headers: Record<string, string>; body: unknown },
  detail: {
    subject: 'manifest' | 'blob';
    digest: string;
    reason: 'altered' | 'key-altered' | 'key-destroyed';
  },
): string {
  expect(res.status).toBe(500);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse((res.body as Buffer).toString()) as OciBody;
  expect(body.errors).toHaveLength(1);
  const [error] = body.errors;
  expect(error).toMatchObject({ code: 'UNKNOWN', detail });
  expect(error!.message).toContain(
    `the stored ${detail.subject} ${detail.digest} failed its integrity check`,
  );
  expect(error!.message).toMatch(
    /It was not served\. An administrator can restore (it|the database) from a backup/,
  );
  return error!.message;
}

describe('stored image data that fails its integrity check is refused in words (issue 18)', () => {
  let server: TestServer;
  const { stream: logStream, lines: logLines } = captureLog();
  const logged = (...parts: string[]) =>
    logLines.some((line) => parts.every((part) => line.includes(part)));

  beforeAll(async () => {
    server = await startTestServer({
      logStream,
    });
    for (const name of ['vault', 'keyless']) {
      await server.api().post(apiPaths.namespaces()).send({ name, region: 'local' }).expect(201);
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('a tampered manifest row: /v2 GET and HEAD and /api answer 500 saying so, nothing changes, other images still pull', async () => {
    // BERTH_TEST_ENGINE=postgres runs it on PostgreSQL.
    expect(server.databaseUrl !== null).toBe(process.env.BERTH_TEST_ENGINE === 'postgres');
    const a = await pushArtifact(server, 'vault/app', 'integrity-a');
    const b = await pushArtifact(server, 'vault/app', 'integrity-b');
    await putManifest(server, 'vault/app', 'v1', a).expect(201);
    const row = await manifestRow(server, 'vault/app', a.digest);
    const original = Buffer.from(row.content!);
    expect(original.subarray(0, SEALED_MANIFEST_MAGIC.length).equals(SEALED_MANIFEST_MAGIC)).toBe(
      true,
    );
    const flipped = Buffer.from(original);
    flipped[SEALED_MANIFEST_MAGIC.length + 20]! ^= 0x01;
    await setManifestContent(server, row.id, flipped);
    const before = [await server.dump(), server.blobFiles()];
    logLines.length = 0;

    const expected = { subject: 'manifest', digest: a.digest, reason: 'altered' } as const;
    for (const reference of [a.digest, 'v1']) {
      const res = await get(server, `/v2/vault/app/manifests/${reference}`);
      const message = ociIntegrityError(res, expected);
      expect(message).toMatch(
        /do not open under its namespace's key \(they were altered, or copied/,
      );
      // Neither the plaintext nor the stored bytes go out.
      expect((res.body as Buffer).includes(a.bytes.subarray(0, 40))).toBe(false);
      expect((res.body as Buffer).includes(flipped.subarray(12, 52))).toBe(false);
      expect(res.headers['docker-content-digest']).toBeUndefined();
    }
    const head = await server.api().head(`/v2/vault/app/manifests/${a.digest}`);
    expect(head.status).toBe(500);
    expect(head.headers['docker-content-digest']).toBeUndefined();

    // Logged where it was found (with the namespace) and with the request that met it.
    const row2 = await manifestRow(server, 'vault/app', a.digest);
    await expect
      .poll(() =>
        logged(
          'a sealed manifest failed to authenticate',
          a.digest,
          `"namespaceId":${row2.namespaceId}`,
        ),
      )
      .toBe(true);
    expect(logged('failed its integrity check', a.digest, '"reason":"altered"')).toBe(true);

    // The console's reads: the same words, under a code of their own.
    const ociMessage = ociIntegrityError(
      await get(server, `/v2/vault/app/manifests/${a.digest}`),
      expected,
    );
    for (const url of [
      apiPaths.image('vault', 'app', a.digest),
      apiPaths.imageManifest('vault', 'app', a.digest),
    ]) {
      const res = await server.api().get(url).expect(500);
      expect(res.body).toEqual({
        error: { code: 'INTEGRITY_FAILURE', message: ociMessage, details: expected },
      });
    }

    // Nothing was changed by the refusals; the other image and the blobs still pull.
    expect([await server.dump(), server.blobFiles()]).toEqual(before);
    const other = await get(server, `/v2/vault/app/manifests/${b.digest}`).expect(200);
    expect((other.body as Buffer).equals(b.bytes)).toBe(true);
    await server
      .api()
      .get(apiPaths.image('vault', 'app', b.digest))
      .expect(200);
    const layer = (JSON.parse(a.bytes.toString()) as { layers: { digest: string }[] }).layers[0]!;
    expect((await pullBlob(server, 'vault/app', layer.digest)).toString()).toBe(
      'layer of integrity-a',
    );

    // Pushing the same manifest again does not replace the stored row (the message says to
    // restore from a backup, not to push again).
    await putManifest(server, 'vault/app', a.digest, a).expect(201);
    expect((await get(server, `/v2/vault/app/manifests/${a.digest}`)).status).toBe(500);

    // Restored from a backup: served again.
    await setManifestContent(server, row.id, original);
    const back = await get(server, `/v2/vault/app/manifests/${a.digest}`).expect(200);
    expect((back.body as Buffer).equals(a.bytes)).toBe(true);
    await server.api().head(`/v2/vault/app/manifests/${a.digest}`).expect(200);
  });

  it("another image's sealed row moved into a manifest's place, and a referrer whose row was altered, say which digest; the referrers list still lists it", async () => {
    const a = await pushArtifact(server, 'vault/moved', 'moved-a');
    const b = await pushArtifact(server, 'vault/moved', 'moved-b');
    const rowA = await manifestRow(server, 'vault/moved', a.digest);
    const rowB = await manifestRow(server, 'vault/moved', b.digest);
    await setManifestContent(server, rowA.id, Buffer.from(rowB.content!));
    ociIntegrityError(await get(server, `/v2/vault/moved/manifests/${a.digest}`), {
      subject: 'manifest',
      digest: a.digest,
      reason: 'altered',
    });
    await get(server, `/v2/vault/moved/manifests/${b.digest}`).expect(200);

    const subject = await pushArtifact(server, 'vault/signed', 'signed-subject');
    const referrer = await pushArtifact(server, 'vault/signed', 'signed-sbom', {
      extra: {
        artifactType: 'application/vnd.example.sbom',
        subject: { mediaType: MANIFEST_TYPE, digest: subject.digest, size: subject.bytes.length },
      },
    });
    const signature = await pushArtifact(server, 'vault/signed', 'signed-signature', {
      extra: {
        artifactType: 'application/vnd.example.signature',
        annotations: { 'org.example.signed-by': 'ci' },
        subject: { mediaType: MANIFEST_TYPE, digest: subject.digest, size: subject.bytes.length },
      },
    });
    const row = await manifestRow(server, 'vault/signed', referrer.digest);
    const flipped = Buffer.from(row.content!);
    flipped[flipped.length - 1]! ^= 0x01; // the tag
    await setManifestContent(server, row.id, flipped);
    ociIntegrityError(await get(server, `/v2/vault/signed/manifests/${referrer.digest}`), {
      subject: 'manifest',
      digest: referrer.digest,
      reason: 'altered',
    });
    // The list goes on: the intact signature with its annotations, the damaged referrer from
    // its clear columns (no annotations), so a client finds one and is refused the other.
    const res = await get(server, `/v2/vault/signed/referrers/${subject.digest}`).expect(200);
    const listed = (
      JSON.parse((res.body as Buffer).toString()) as {
        manifests: { digest: string; artifactType?: string; annotations?: unknown }[];
      }
    ).manifests;
    expect(listed.find((m) => m.digest === signature.digest)).toMatchObject({
      artifactType: 'application/vnd.example.signature',
      annotations: { 'org.example.signed-by': 'ci' },
    });
    const damaged = listed.find((m) => m.digest === referrer.digest);
    expect(damaged).toMatchObject({ artifactType: 'application/vnd.example.sbom' });
    expect(damaged).not.toHaveProperty('annotations');
    expect(logged('a sealed manifest failed to authenticate', referrer.digest)).toBe(true);
    // Filtered by type, each is listed under its own.
    const sboms = await get(
      server,
      `/v2/vault/signed/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`,
    ).expect(200);
    expect(
      (JSON.parse((sboms.body as Buffer).toString()) as { manifests: { digest: string }[] })
        .manifests,
    ).toEqual([expect.objectContaining({ digest: referrer.digest })]);
    // The subject itself is intact.
    await get(server, `/v2/vault/signed/manifests/${subject.digest}`).expect(200);
  });

  it('a blob whose first segment does not authenticate gets a 500 before any byte; a later one cuts the response', async () => {
    const bytes = crypto.randomBytes(3 * S);
    const digest = await pushBlob(server, 'vault/blobs', bytes);
    const intact = crypto.randomBytes(S + 5);
    const intactDigest = await pushBlob(server, 'vault/blobs', intact);
    const file = blobFile(server, digest);
    const original = fs.readFileSync(file);
    const expected = { subject: 'blob', digest, reason: 'altered' } as const;

    const tampered = Buffer.from(original);
    tampered[HEADER_BYTES + 100]! ^= 0x01; // inside segment 0
    fs.writeFileSync(file, tampered);
    logLines.length = 0;
    const res = await get(server, `/v2/vault/blobs/blobs/${digest}`);
    const message = ociIntegrityError(res, expected);
    expect(message).toMatch(/do not authenticate under its key \(they were altered, truncated/);
    expect((res.body as Buffer).includes(bytes.subarray(0, 64))).toBe(false);
    // None of the blob's headers describe the error, and no cache keeps it.
    for (const name of ['docker-content-digest', 'cache-control', 'accept-ranges']) {
      expect(res.headers[name], name).toBeUndefined();
    }
    expect(res.headers.etag ?? '').not.toContain(digest);
    expect(Number(res.headers['content-length'])).toBe((res.body as Buffer).length);
    await expect.poll(() => logged('an encrypted blob failed to authenticate', digest)).toBe(true);
    expect(logged('failed its integrity check', digest)).toBe(true);

    // A blob of one segment (decrypted as a stream rather than by positioned reads): the same.
    const small = crypto.randomBytes(1000);
    const smallDigest = await pushBlob(server, 'vault/blobs', small);
    const smallFile = blobFile(server, smallDigest);
    const smallTampered = fs.readFileSync(smallFile);
    smallTampered[HEADER_BYTES + 30]! ^= 0x01;
    fs.writeFileSync(smallFile, smallTampered);
    const smallRes = await get(server, `/v2/vault/blobs/blobs/${smallDigest}`);
    ociIntegrityError(smallRes, { subject: 'blob', digest: smallDigest, reason: 'altered' });
    expect((smallRes.body as Buffer).includes(small.subarray(0, 64))).toBe(false);

    // A Range that starts in the altered segment is refused whole; one that does not reach it
    // is served.
    const ranged = await get(server, `/v2/vault/blobs/blobs/${digest}`, `bytes=10-${S + 10}`);
    ociIntegrityError(ranged, expected);
    await get(server, `/v2/vault/blobs/blobs/${digest}`, `bytes=${S}-${2 * S - 1}`)
      .expect(206)
      .then((ok) => expect((ok.body as Buffer).equals(bytes.subarray(S, 2 * S))).toBe(true));

    // A segment read after the status went out can only cut the response short. The first
    // read may take several segments (up to 1 MiB), so the altered one is far past it.
    const big = crypto.randomBytes(20 * S);
    const bigDigest = await pushBlob(server, 'vault/blobs', big);
    const bigFile = blobFile(server, bigDigest);
    const later = fs.readFileSync(bigFile);
    later[HEADER_BYTES + 18 * (S + SEGMENT_OVERHEAD) + 100]! ^= 0x01; // inside segment 18
    fs.writeFileSync(bigFile, later);
    const cut = await fetch(`${server.url}/v2/vault/blobs/blobs/${bigDigest}`, {
      headers: { Authorization: `Bearer ${server.adminKey}` },
    });
    expect(cut.status).toBe(200);
    const body = await cut.arrayBuffer().then(Buffer.from, () => null);
    expect(body === null || body.length < big.length).toBe(true);

    // The other blob was never affected; restored, this one reads whole.
    expect((await pullBlob(server, 'vault/blobs', intactDigest)).equals(intact)).toBe(true);
    fs.writeFileSync(file, original);
    expect((await pullBlob(server, 'vault/blobs', digest)).equals(bytes)).toBe(true);
  });

  it("an image whose config blob was altered still shows its details, with the config's failure", async () => {
    const image = await pushArtifact(server, 'vault/configured', 'configured');
    const config = (JSON.parse(image.bytes.toString()) as { config: { digest: string } }).config;
    const file = blobFile(server, config.digest);
    const tampered = fs.readFileSync(file);
    tampered[HEADER_BYTES + 5]! ^= 0x01;
    fs.writeFileSync(file, tampered);
    const res = await server
      .api()
      .get(apiPaths.image('vault', 'configured', image.digest))
      .expect(200);
    expect(res.body.config).toBeNull();
    expect(res.body.configError).toEqual({
      code: 'INTEGRITY_FAILURE',
      message: expect.stringContaining(
        `the stored blob ${config.digest} failed its integrity check: its encrypted bytes do not authenticate`,
      ),
    });
    expect(res.body.layers).toHaveLength(1);
  });

  it('a blob whose key no longer exists says so, not that it was altered', async () => {
    const bytes = crypto.randomBytes(S + 7);
    const digest = await pushBlob(server, 'vault/orphan', bytes);
    const wraps = await server.store.db
      .selectFrom('blob_key_wraps')
      .selectAll()
      .where('digest', '=', digest)
      .execute();
    expect(wraps.length).toBeGreaterThan(0);
    await server.store.db.deleteFrom('blob_key_wraps').where('digest', '=', digest).execute();
    const res = await get(server, `/v2/vault/orphan/blobs/${digest}`);
    const message = ociIntegrityError(res, { subject: 'blob', digest, reason: 'key-destroyed' });
    expect(message).toMatch(/no key that opens it exists any more/);
    expect(message).toMatch(
      /backup taken before the key was destroyed, with the root key of that time/,
    );
    expect((res.body as Buffer).includes(bytes.subarray(0, 64))).toBe(false);
    await server.store.db.insertInto('blob_key_wraps').values(wraps).execute();
    expect((await pullBlob(server, 'vault/orphan', digest)).equals(bytes)).toBe(true);
  });

  it("a blob whose key's stored wrap was altered says a key row was, not its bytes, and pulls again once it is back", async () => {
    const bytes = crypto.randomBytes(S + 11);
    const digest = await pushBlob(server, 'vault/wrapped', bytes);
    const [wrap] = await server.store.db
      .selectFrom('blob_key_wraps')
      .selectAll()
      .where('digest', '=', digest)
      .execute();
    const altered = Buffer.from(wrap!.wrapped_key, 'base64');
    altered[altered.length - 1]! ^= 0x01;
    const setWrap = (wrapped: string) =>
      server.store.db
        .updateTable('blob_key_wraps')
        .set({ wrapped_key: wrapped })
        .where('digest', '=', digest)
        .where('namespace_id', '=', wrap!.namespace_id)
        .execute();
    await setWrap(altered.toString('base64'));
    const res = await get(server, `/v2/vault/wrapped/blobs/${digest}`);
    const message = ociIntegrityError(res, { subject: 'blob', digest, reason: 'key-altered' });
    expect(message).toMatch(/a stored key that opens it does not authenticate/);
    expect(message).toMatch(/restore the database from a backup taken before the change/);
    expect((res.body as Buffer).includes(bytes.subarray(0, 64))).toBe(false);
    expect(logged('failed its integrity check', digest, 'key-altered')).toBe(true);
    await setWrap(wrap!.wrapped_key);
    expect((await pullBlob(server, 'vault/wrapped', digest)).equals(bytes)).toBe(true);
  });

  it('a manifest whose namespace key row was altered says a key row was, on /v2 and /api', async () => {
    await server.api().post(apiPaths.namespaces()).send({ name: 'rekeyed', region: 'local' });
    const pushed = await pushArtifact(server, 'rekeyed/app', 'rekeyed');
    const row = await manifestRow(server, 'rekeyed/app', pushed.digest);
    const key = await server.store.db
      .selectFrom('namespace_keys')
      .selectAll()
      .where('namespace_id', '=', row.namespaceId)
      .executeTakeFirstOrThrow();
    const altered = Buffer.from(key.wrapped_key, 'base64');
    altered[altered.length - 1]! ^= 0x01;
    await server.store.db
      .updateTable('namespace_keys')
      .set({ wrapped_key: altered.toString('base64') })
      .where('namespace_id', '=', row.namespaceId)
      .execute();
    // A restart: the running server keeps unwrapped namespace keys for a few seconds.
    await server.close();
    server = await startTestServer({ dataDir: server.dataDir, logStream });
    const expected = { subject: 'manifest', digest: pushed.digest, reason: 'key-altered' } as const;
    const message = ociIntegrityError(
      await get(server, `/v2/rekeyed/app/manifests/${pushed.digest}`),
      expected,
    );
    expect(message).toMatch(/a stored key that opens it does not authenticate/);
    const res = await server
      .api()
      .get(apiPaths.image('rekeyed', 'app', pushed.digest))
      .expect(500);
    expect(res.body).toEqual({ error: { code: 'INTEGRITY_FAILURE', message, details: expected } });
  });

  it('a manifest whose namespace key no longer exists says so, on /v2 and /api', async () => {
    const pushed = await pushArtifact(server, 'keyless/app', 'keyless');
    const row = await manifestRow(server, 'keyless/app', pushed.digest);
    await server.store.db
      .deleteFrom('namespace_keys')
      .where('namespace_id', '=', row.namespaceId)
      .execute();
    // A restart: the running server keeps unwrapped namespace keys for a few seconds.
    await server.close();
    server = await startTestServer({ dataDir: server.dataDir });
    const expected = {
      subject: 'manifest',
      digest: pushed.digest,
      reason: 'key-destroyed',
    } as const;
    const message = ociIntegrityError(
      await get(server, `/v2/keyless/app/manifests/${pushed.digest}`),
      expected,
    );
    expect(message).toMatch(/sealed under its namespace's key, which no longer exists/);
    const res = await server
      .api()
      .get(apiPaths.image('keyless', 'app', pushed.digest))
      .expect(500);
    expect(res.body).toEqual({ error: { code: 'INTEGRITY_FAILURE', message, details: expected } });
  });
});

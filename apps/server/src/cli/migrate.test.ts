import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { parseS3Location } from '@berth/store';
import { createS3Client } from '@berth/store/s3';
import { type CephRgw, cephUnavailable, startCephRgw } from '@berth/store/testing/ceph-rgw';
import { createTestDatabase } from '@berth/store/testing/postgres';
import { hasSkopeo } from '../testing/skopeo.js';
import {
  expectHoldsSource,
  expectServesLiveImages,
  fillSource,
  liveManifestsInSqlite,
  type SourceContent,
} from '../testing/installation-copy.js';
import { type CliResult, runServerCli } from '../testing/server-cli.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * `berth migrate`: an embedded installation (SQLite + blob files) moved into a real PostgreSQL
 * and a real S3 server (Ceph RGW), run as the operator runs it (the built CLI, a child
 * process), and served from there by a server that pulls every image back byte for byte.
 */
const BUCKET = 'berth-moves';
const unavailable =
  cephUnavailable() ??
  (hasSkopeo() ? null : 'skopeo is not installed') ??
  // The source must be SQLite: the test servers' engine switch would make it PostgreSQL.
  (process.env.BERTH_TEST_ENGINE === 'postgres' ? 'the source must be SQLite' : null);

const postgresUrl = inject('postgresUrl');

describe.skipIf(unavailable !== null || !postgresUrl)(
  `berth migrate (${unavailable ?? 'PostgreSQL + Ceph RGW'})`,
  () => {
    let rgw: CephRgw;
    let s3: S3Client;
    let work: string;
    let source: TestServer;
    let sourceDir: string;
    let content: SourceContent;
    const sourceViews: Record<string, unknown> = {};
    const drops: (() => Promise<void>)[] = [];
    let prefixes = 0;

    const s3Address = (prefix: string) => `s3://${BUCKET}/${prefix}?endpoint=${rgw.endpoint}`;
    const freshPrefix = () => `move-${++prefixes}`;

    const cli = (args: string[], env?: Record<string, string>) =>
      runServerCli(
        'migrate',
        args,
        { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, ...env },
        120_000,
      );

    async function emptyDatabase(): Promise<string> {
      const db = await createTestDatabase(postgresUrl!, { empty: true });
      drops.push(db.drop);
      return db.url;
    }

    async function tablesIn(url: string): Promise<string[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
        );
        return rows.map((r) => r.name).sort();
      } finally {
        await client.end();
      }
    }

    async function keysUnder(prefix: string): Promise<string[]> {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
      return (listed.Contents ?? []).map((o) => o.Key!).sort();
    }

    /** One sentence on one line, with no stack trace. */
    function expectOneSentence(result: CliResult, words: string): void {
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(words);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }

    async function views(server: TestServer): Promise<Record<string, unknown>> {
      const namespaces = (await server.api().get(`${apiPaths.namespaces()}?limit=100`).expect(200))
        .body as { items: { name: string }[] };
      const out: Record<string, unknown> = { namespaces };
      for (const ns of namespaces.items) {
        out[ns.name] = (
          await server
            .api()
            .get(`${apiPaths.repositories(ns.name)}?limit=100`)
            .expect(200)
        ).body;
      }
      return out;
    }

    beforeAll(async () => {
      rgw = await startCephRgw();
      // The in-process server reads them from the SDK's usual chain, as an operator sets them.
      process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
      s3 = createS3Client(parseS3Location(`s3://${BUCKET}?endpoint=${rgw.endpoint}`), {
        accessKeyId: rgw.accessKeyId,
        secretAccessKey: rgw.secretAccessKey,
      });
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-migrate-'));

      // Plaintext blobs, so the checks below can compare the target's bytes with the files and
      // damage a file's content; encrypted blobs are copied as stored bytes (copy-blobs.test.ts).
      source = await startTestServer({ demo: true, env: { BERTH_ENCRYPT_IMAGE_DATA: 'false' } });
      sourceDir = source.dataDir;
      content = await fillSource(source, work, {
        namespace: 'movers',
        project: 'moving-day',
        seed: 'migrate',
        keptLayerBytes: 300 * 1024,
        trashedLayerBytes: 100 * 1024,
      });
      Object.assign(sourceViews, await views(source));
      // Stopped, as the migration requires; its data directory stays.
      await source.close();
    }, 300_000);

    afterAll(async () => {
      for (const drop of drops) await drop().catch(() => undefined);
      s3?.destroy();
      await rgw?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
      if (sourceDir) fs.rmSync(sourceDir, { recursive: true, force: true });
    }, 60_000);

    it('refuses, in one sentence and before writing anything, what it cannot do', async () => {
      const database = await emptyDatabase();
      const prefix = freshPrefix();
      const both = (db: string, blobs = s3Address(prefix)) => [
        '--data-dir',
        sourceDir,
        '--to-database',
        db,
        '--to-blob-store',
        blobs,
      ];

      expectOneSentence(await cli(['--data-dir', sourceDir]), 'nothing to do');
      expectOneSentence(await cli(both('mysql://berth@db/berth')), 'must start with postgres://');
      const unreachable = await cli(both('postgres://berth:hunter2@127.0.0.1:1/berth'));
      expectOneSentence(unreachable, 'cannot reach the server (ECONNREFUSED)');
      expect(unreachable.stderr).not.toContain('hunter2');
      expectOneSentence(
        await cli(both(database, `s3://no-such-bucket/x?endpoint=${rgw.endpoint}`)),
        'the bucket does not exist',
      );

      // A database with Berth's schema and one row in it.
      const filled = await createTestDatabase(postgresUrl!);
      drops.push(filled.drop);
      const client = new pg.Client({ connectionString: filled.url });
      await client.connect();
      await client.query(`INSERT INTO regions (name, created_at) VALUES ('elsewhere', 0)`);
      await client.end();
      expectOneSentence(await cli(both(filled.url)), 'already holds Berth data (rows in regions)');

      // A Berth still running on the data directory.
      const running = await startTestServer();
      try {
        expectOneSentence(
          await cli([
            '--data-dir',
            running.dataDir,
            '--to-database',
            database,
            '--to-blob-store',
            s3Address(prefix),
          ]),
          'stop Berth first',
        );
      } finally {
        await running.stop();
      }

      expect(await tablesIn(database)).toEqual([]);
      expect(await keysUnder(prefix)).toEqual([]);
    }, 120_000);

    it('moves everything: every image pulls byte for byte, counts and sizes agree, the trash restores, secrets open', async () => {
      const database = await emptyDatabase();
      const prefix = freshPrefix();
      const result = await cli([
        '--data-dir',
        sourceDir,
        '--to-database',
        database,
        '--to-blob-store',
        s3Address(prefix),
      ]);
      expect(result.stderr).toMatch(/blobs \d+\/\d+/);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`BERTH_ROOT_KEY_FILE=${path.join(sourceDir, 'root.key')}`);

      // A new machine: an empty data directory, the settings and the root key.
      const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-moved-'));
      // The admin's API key was moved with the rest: the same key works on the new set-up.
      fs.copyFileSync(
        path.join(sourceDir, 'test-admin.key'),
        path.join(targetDir, 'test-admin.key'),
      );
      const target = await startTestServer({
        dataDir: targetDir,
        env: {
          BERTH_DATABASE_URL: database,
          BERTH_BLOB_STORE: s3Address(prefix),
          BERTH_ROOT_KEY_FILE: path.join(sourceDir, 'root.key'),
        },
      });
      try {
        expect(target.blobFiles()).toEqual([]);
        expect(await views(target)).toEqual(sourceViews);

        // Every live manifest and every blob it references, from the new set-up, against
        // the source's bytes.
        const manifests = liveManifestsInSqlite(path.join(sourceDir, 'berth.db'));
        expect(manifests.length).toBeGreaterThan(100);
        await expectServesLiveImages(target, manifests, async (_repo, digest) => {
          const hex = digest.slice('sha256:'.length);
          return fs.readFileSync(path.join(sourceDir, 'blobs', 'sha256', hex.slice(0, 2), hex));
        });

        // And with a real client; project secrets open under the source's root key; the trash
        // came along: the trashed image restores, with its tag, and pulls. (On PostgreSQL the
        // restore waits for restore-while-deleting.ts's port: json_each is SQLite's.)
        await expectHoldsSource(target, content, work);
      } finally {
        await target.stop();
      }
    }, 600_000);

    it('fails on a damaged blob file, names it, and publishes nothing under its name', async () => {
      const damagedDir = path.join(work, 'damaged');
      fs.cpSync(sourceDir, damagedDir, { recursive: true });
      const layer = content.kept.layers[0]!;
      const hex = layer.digest.slice('sha256:'.length);
      const file = path.join(damagedDir, 'blobs', 'sha256', hex.slice(0, 2), hex);
      const bytes = fs.readFileSync(file);
      bytes[10] = bytes[10]! ^ 0xff;
      fs.writeFileSync(file, bytes);

      const database = await emptyDatabase();
      const prefix = freshPrefix();
      const result = await cli([
        '--data-dir',
        damagedDir,
        '--to-database',
        database,
        '--to-blob-store',
        s3Address(prefix),
      ]);
      expect(result.code).toBe(1);
      const last = result.stderr.trim().split('\n').at(-1)!;
      expect(last).toContain(layer.digest);
      expect(last).toContain('the file is damaged');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      const keys = await keysUnder(prefix);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys).not.toContain(`${prefix}/blobs/sha256/${hex}`);
      // The metadata was not copied.
      expect(await tablesIn(database)).toEqual([]);
    }, 300_000);
  },
);

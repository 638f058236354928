import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { parseS3Location } from '@berth/store';
import { createS3Client } from '@berth/store/s3';
import { type CephRgw, cephUnavailable, startCephRgw } from '@berth/store/testing/ceph-rgw';
import { createTestDatabase } from '@berth/store/testing/postgres';
import { randomImage, writeLayout } from '../testing/oci-layout.js';
import { generateRootKey } from '../services/projects/keyring.js';
import { hasSkopeo, pushLayout } from '../testing/skopeo.js';
import {
  expectHoldsSource,
  expectPulls,
  fillSource,
  type SourceContent,
} from '../testing/installation-copy.js';
import { runServerCli } from '../testing/server-cli.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * `berth restore` of a backup of an embedded installation into a real PostgreSQL and a real
 * S3 server (Ceph RGW), served from there by a server that pulls the images back byte for byte.
 */
const BUCKET = 'berth-restores';
const unavailable =
  cephUnavailable() ??
  (hasSkopeo() ? null : 'skopeo is not installed') ??
  (process.env.BERTH_TEST_ENGINE === 'postgres' ? 'the source must be SQLite' : null);
const postgresUrl = inject('postgresUrl');

describe.skipIf(unavailable !== null || !postgresUrl)(
  `berth restore into PostgreSQL + S3 (${unavailable ?? 'Ceph RGW'})`,
  () => {
    let rgw: CephRgw;
    let s3: S3Client;
    let work: string;
    let source: TestServer;
    let backup: string;
    let content: SourceContent;
    const drops: (() => Promise<void>)[] = [];

    const s3Address = (prefix: string) => `s3://${BUCKET}/${prefix}?endpoint=${rgw.endpoint}`;

    const cli = (command: 'backup' | 'restore', args: string[], extra?: Record<string, string>) =>
      runServerCli(command, args, {
        AWS_ACCESS_KEY_ID: rgw.accessKeyId,
        AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
        ...extra,
      });

    async function keysUnder(prefix: string): Promise<string[]> {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
      return (listed.Contents ?? []).map((o) => o.Key!).sort();
    }

    async function rowsIn(url: string, table: string): Promise<number> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table}`);
        return Number(rows[0]!.n);
      } finally {
        await client.end();
      }
    }

    beforeAll(async () => {
      rgw = await startCephRgw();
      process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
      s3 = createS3Client(parseS3Location(`s3://${BUCKET}?endpoint=${rgw.endpoint}`), {
        accessKeyId: rgw.accessKeyId,
        secretAccessKey: rgw.secretAccessKey,
      });
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-restore-pg-'));

      source = await startTestServer();
      content = await fillSource(source, work, {
        namespace: 'restorers',
        project: 'restored-project',
        seed: 'restore-pg',
        keptLayerBytes: 200 * 1024,
        trashedLayerBytes: 60 * 1024,
      });
      // Taken while the server runs.
      const taken = await cli('backup', [
        path.join(work, 'backups'),
        '--data-dir',
        source.dataDir,
        '--output',
        'json',
      ]);
      expect(taken.code, taken.stderr).toBe(0);
      backup = (JSON.parse(taken.stdout) as { backup: string }).backup;
    }, 300_000);

    afterAll(async () => {
      for (const drop of drops) await drop().catch(() => undefined);
      s3?.destroy();
      await rgw?.stop();
      await source?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }, 60_000);

    it('restores into an empty database and bucket prefix: images pull byte for byte, trash and secrets come back', async () => {
      const database = await createTestDatabase(postgresUrl!, { empty: true });
      drops.push(database.drop);
      const keyFile = path.join(source.dataDir, 'root.key');
      const targetDir = path.join(work, 'restored');
      const restored = await cli('restore', [
        backup,
        '--data-dir',
        targetDir,
        '--to-database',
        database.url,
        '--to-blob-store',
        s3Address('restored'),
        '--root-key-file',
        keyFile,
        '--output',
        'json',
      ]);
      expect(restored.code, restored.stderr).toBe(0);
      const manifest = JSON.parse(fs.readFileSync(path.join(backup, 'manifest.json'), 'utf8')) as {
        blobs: unknown[];
        counts: Record<string, number>;
      };
      expect((await keysUnder('restored/blobs/')).length).toBe(manifest.blobs.length);
      for (const table of [
        'users',
        'api_keys',
        'audit_events',
        'projects',
        'trash_entries',
        'manifests',
      ]) {
        expect(await rowsIn(database.url, table), table).toBe(manifest.counts[table]);
      }

      // Restoring again into what is now filled is refused, and changes nothing.
      const again = await cli('restore', [
        backup,
        '--data-dir',
        path.join(work, 'again'),
        '--to-database',
        database.url,
        '--to-blob-store',
        s3Address('again'),
        '--root-key-file',
        keyFile,
      ]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already holds Berth data');
      const intoFilledPrefix = await cli('restore', [
        backup,
        '--data-dir',
        path.join(work, 'again'),
        '--to-blob-store',
        s3Address('restored'),
        '--root-key-file',
        keyFile,
      ]);
      expect(intoFilledPrefix.code).toBe(1);
      expect(intoFilledPrefix.stderr).toContain('already holds blobs');
      expect(await keysUnder('again')).toEqual([]);
      expect(fs.existsSync(path.join(work, 'again'))).toBe(false);

      fs.copyFileSync(
        path.join(source.dataDir, 'test-admin.key'),
        path.join(targetDir, 'test-admin.key'),
      );
      const target = await startTestServer({
        dataDir: targetDir,
        env: {
          BERTH_DATABASE_URL: database.url,
          BERTH_BLOB_STORE: s3Address('restored'),
          BERTH_ROOT_KEY_FILE: keyFile,
        },
      });
      try {
        expect(target.blobFiles()).toEqual([]);
        await expectHoldsSource(target, content, work);
      } finally {
        await target.close();
      }
    }, 600_000);

    it('backs up into S3 (incrementally), verifies and lists from there, and restores from it', async () => {
      const keyFile = path.join(source.dataDir, 'root.key');
      const target = s3Address('kept-backups');
      const first = await cli('backup', [target, '--data-dir', source.dataDir, '--output', 'json']);
      expect(first.code, first.stderr).toBe(0);
      const summary = JSON.parse(first.stdout) as {
        id: string;
        backup: string;
        blobs: number;
        blobsCopied: number;
      };
      expect(summary.backup).toBe(`s3://${BUCKET}/kept-backups/${summary.id}/`);
      expect(summary.blobsCopied).toBe(summary.blobs);
      // The layout of a directory target, as keys.
      const keys = await keysUnder('kept-backups/');
      expect(keys).toContain('kept-backups/berth-backup.json');
      expect(keys).toContain(`kept-backups/${summary.id}/manifest.json`);
      expect(keys).toContain(`kept-backups/${summary.id}/berth.db`);
      expect(keys.filter((k) => k.startsWith('kept-backups/blobs/sha256/'))).toHaveLength(
        summary.blobs,
      );

      // Incremental: a second backup copies no blob the first holds.
      const second = await cli('backup', [
        target,
        '--data-dir',
        source.dataDir,
        '--output',
        'json',
      ]);
      expect(second.code, second.stderr).toBe(0);
      const again = JSON.parse(second.stdout) as { id: string; blobsCopied: number };
      expect(again.blobsCopied).toBe(0);
      const listed = await cli('backup', ['list', target, '--output', 'json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(
        (JSON.parse(listed.stdout) as { backups: { id: string }[] }).backups.map((b) => b.id),
      ).toEqual([summary.id, again.id]);
      const verified = await cli('backup', ['verify', target]);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toContain(`backup ${again.id} is whole`);

      // A prefix holding something else is refused.
      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'not-backups/x', Body: Buffer.from('x') }),
      );
      const refused = await cli('backup', [s3Address('not-backups'), '--data-dir', source.dataDir]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is neither empty nor a Berth backup target');

      const restoredDir = path.join(work, 'restored-from-s3');
      const restored = await cli('restore', [
        `${s3Address(`kept-backups/${summary.id}`)}`,
        '--data-dir',
        restoredDir,
        '--root-key-file',
        keyFile,
      ]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain(`restored backup ${summary.id}`);
      fs.copyFileSync(
        path.join(source.dataDir, 'test-admin.key'),
        path.join(restoredDir, 'test-admin.key'),
      );
      const copy = await startTestServer({
        dataDir: restoredDir,
        env: { BERTH_ROOT_KEY_FILE: keyFile },
      });
      try {
        await expectPulls(copy, 'restorers/app:1.0', content.kept, work);
      } finally {
        await copy.close();
      }

      // A damaged blob in S3 fails verify, which names it.
      const manifest = JSON.parse(
        await (
          await s3.send(
            new GetObjectCommand({
              Bucket: BUCKET,
              Key: `kept-backups/${summary.id}/manifest.json`,
            }),
          )
        ).Body!.transformToString(),
      ) as { blobs: { digest: string; sha256: string; size: number }[] };
      const victim = manifest.blobs[0]!;
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `kept-backups/blobs/sha256/${victim.sha256.slice(0, 2)}/${victim.sha256}`,
          Body: Buffer.alloc(victim.size, 1),
        }),
      );
      const damaged = await cli('backup', ['verify', s3Address(`kept-backups/${summary.id}`)]);
      expect(damaged.code).toBe(1);
      expect(damaged.stderr).toContain(`blob ${victim.digest} is damaged`);
    }, 600_000);

    it('backs up a PostgreSQL + S3 installation into S3 while skopeo pushes, and restores it into a fresh PostgreSQL + S3 prefix', async () => {
      const keyFile = path.join(work, 'pg-s3-root.key');
      fs.writeFileSync(keyFile, `${generateRootKey().toString('base64')}\n`, { mode: 0o600 });
      const sourceDb = await createTestDatabase(postgresUrl!);
      drops.push(sourceDb.drop);
      const installation = {
        BERTH_DATABASE_URL: sourceDb.url,
        BERTH_BLOB_STORE: s3Address('pg-source'),
        BERTH_ROOT_KEY_FILE: keyFile,
      };
      const pgSource = await startTestServer({ env: installation });
      const pushed: { tag: string; digest: string; image: ReturnType<typeof randomImage> }[] = [];
      try {
        await pgSource
          .api()
          .post(apiPaths.namespaces())
          .send({ name: 'pgkeepers', region: 'local' })
          .expect(201);
        const host = pgSource.url.replace('http://', '');
        const creds = { creds: `${ADMIN.username}:${pgSource.adminKey}` };
        const push = async (i: number) => {
          const image = randomImage({ seed: `pg-s3-${i}`, layers: 2, layerBytes: 64 * 1024 });
          const layout = path.join(work, `pg-s3-push-${i}`);
          writeLayout(layout, [{ manifest: image, ref: 'image' }]);
          expect(await pushLayout(layout, 'image', `${host}/pgkeepers/app:${i}`, creds)).toBe(
            image.digest,
          );
          pushed.push({ tag: String(i), digest: image.digest, image });
        };
        await push(0);
        let backupDone = false;
        const loop = (async () => {
          for (let i = 1; !backupDone || i < 3; i++) await push(i);
        })();
        const target = s3Address('pg-backups');
        const taken = await cli(
          'backup',
          [target, '--data-dir', pgSource.dataDir, '--output', 'json'],
          installation,
        );
        backupDone = true;
        await loop;
        expect(taken.code, taken.stderr).toBe(0);
        const summary = JSON.parse(taken.stdout) as { id: string; database: { file: string } };
        expect(summary.database.file).toBe('berth.pgdump');
        const verified = await cli('backup', ['verify', target]);
        expect(verified.code, verified.stderr).toBe(0);

        const restoredDb = await createTestDatabase(postgresUrl!, { empty: true });
        drops.push(restoredDb.drop);
        const restoredDir = path.join(work, 'pg-s3-restored');
        const restored = await cli('restore', [
          target,
          '--data-dir',
          restoredDir,
          '--to-database',
          restoredDb.url,
          '--to-blob-store',
          s3Address('pg-restored'),
          '--root-key-file',
          keyFile,
        ]);
        expect(restored.code, restored.stderr).toBe(0);
        fs.copyFileSync(
          path.join(pgSource.dataDir, 'test-admin.key'),
          path.join(restoredDir, 'test-admin.key'),
        );
        const copy = await startTestServer({
          dataDir: restoredDir,
          env: {
            BERTH_DATABASE_URL: restoredDb.url,
            BERTH_BLOB_STORE: s3Address('pg-restored'),
            BERTH_ROOT_KEY_FILE: keyFile,
          },
        });
        try {
          const client = new pg.Client({ connectionString: restoredDb.url });
          await client.connect();
          const tags = await client
            .query<{ name: string }>(
              `SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = 'app'`,
            )
            .finally(() => client.end());
          // The first push, and every later one the snapshot caught, pull byte for byte.
          expect(tags.rows.map((r) => r.name)).toContain('0');
          for (const { name } of tags.rows) {
            const p = pushed.find((x) => x.tag === name)!;
            await expectPulls(copy, `pgkeepers/app:${name}`, p.image, work);
          }
        } finally {
          await copy.close();
        }
      } finally {
        await pgSource.stop();
      }
    }, 600_000);
  },
);

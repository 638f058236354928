import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '@berth/store/testing/postgres';
import { generateRootKey } from '../services/projects/keyring.js';
import { randomImage } from '../testing/oci-layout.js';
import { hasSkopeo } from '../testing/skopeo.js';
import {
  expectHoldsSource,
  expectPulls,
  whilePushing,
  expectServesLiveImages,
  fillSource,
  liveManifestsInPostgres,
  type SourceContent,
} from '../testing/installation-copy.js';
import { pullBlob } from '../testing/registry-client.js';
import { runServerCli } from '../testing/server-cli.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * `berth backup` of an installation on a real PostgreSQL (pg_dump of an exported snapshot,
 * the blob list read in the same snapshot) while real skopeo keeps pushing, `verify`, and
 * `berth restore` into a fresh PostgreSQL, served by a server that pulls every image back.
 */
const unavailable = hasSkopeo() ? null : 'skopeo is not installed';
const postgresUrl = inject('postgresUrl');

const cli = (command: 'backup' | 'restore', args: string[], env?: Record<string, string>) =>
  runServerCli(command, args, env);

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(unavailable !== null || !postgresUrl)(
  `berth backup / restore of a PostgreSQL installation (${unavailable ?? 'PostgreSQL + skopeo'})`,
  () => {
    let source: TestServer;
    let sourceUrl: string;
    let work: string;
    let keyFile: string;
    let content: SourceContent;
    const pushedDuringBackup: { tag: string; image: ReturnType<typeof randomImage> }[] = [];
    const drops: (() => Promise<void>)[] = [];

    async function database(empty: boolean): Promise<string> {
      const db = await createTestDatabase(postgresUrl!, { empty });
      drops.push(db.drop);
      return db.url;
    }

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-backup-pg-'));
      sourceUrl = await database(false);
      // On PostgreSQL every process must be given the root key; the restore needs it too.
      keyFile = path.join(work, 'root.key');
      fs.writeFileSync(keyFile, `${generateRootKey().toString('base64')}\n`, { mode: 0o600 });
      source = await startTestServer({
        env: { BERTH_DATABASE_URL: sourceUrl, BERTH_ROOT_KEY_FILE: keyFile },
      });
      content = await fillSource(source, work, {
        namespace: 'keepers',
        project: 'backed-up',
        seed: 'pg-backup',
        keptLayerBytes: 200 * 1024,
        trashedLayerBytes: 50 * 1024,
      });
    }, 300_000);

    afterAll(async () => {
      await source?.stop();
      for (const drop of drops) await drop().catch(() => undefined);
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }, 60_000);

    it('backs up while skopeo pushes, verifies, refuses SQLite, and restores into a fresh PostgreSQL that pulls byte for byte', async () => {
      const target = path.join(work, 'backups');
      const { result: taken, pushed } = await whilePushing(
        source,
        work,
        { repository: 'keepers/loop', seed: 'pg-during' },
        () =>
          cli('backup', [target, '--data-dir', source.dataDir, '--output', 'json'], {
            BERTH_DATABASE_URL: sourceUrl,
          }),
      );
      pushedDuringBackup.push(...pushed);
      expect(taken.code, taken.stderr).toBe(0);
      const summary = JSON.parse(taken.stdout) as {
        backup: string;
        blobs: number;
        database: { file: string };
        rootKeyIds: string[];
      };
      const backup = summary.backup;
      expect(summary.database.file).toBe('berth.pgdump');
      expect(summary.rootKeyIds).toHaveLength(1);
      const manifest = JSON.parse(fs.readFileSync(path.join(backup, 'manifest.json'), 'utf8')) as {
        engine: string;
        counts: Record<string, number>;
        database: { sha256: string; size: number };
      };
      expect(manifest.engine).toBe('postgres');

      const verified = await cli('backup', ['verify', backup]);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toContain('is whole');

      // A pg_dump archive does not go into SQLite: refused in words, nothing created.
      const intoSqlite = await cli('restore', [
        backup,
        '--data-dir',
        path.join(work, 'sqlite'),
        '--root-key-file',
        keyFile,
      ]);
      expect(intoSqlite.code).toBe(1);
      expect(intoSqlite.stderr).toContain('restoring it into SQLite is not supported');
      expect(fs.existsSync(path.join(work, 'sqlite'))).toBe(false);
      // Nor into a database that has tables.
      const migrated = await database(false);
      const intoTables = await cli('restore', [
        backup,
        '--data-dir',
        path.join(work, 'tables'),
        '--to-database',
        migrated,
        '--root-key-file',
        keyFile,
      ]);
      expect(intoTables.code).toBe(1);
      expect(intoTables.stderr).toContain('restores into a database with no tables');
      expect(fs.existsSync(path.join(work, 'tables'))).toBe(false);

      const restoredUrl = await database(true);
      const restoredDir = path.join(work, 'restored');
      const restored = await cli('restore', [
        backup,
        '--data-dir',
        restoredDir,
        '--to-database',
        restoredUrl,
        '--root-key-file',
        keyFile,
      ]);
      expect(restored.code, restored.stderr).toBe(0);
      for (const table of ['users', 'projects', 'trash_entries', 'manifests', 'blobs']) {
        const [row] = await query<{ n: string }>(restoredUrl, `SELECT COUNT(*) AS n FROM ${table}`);
        expect(Number(row!.n), table).toBe(manifest.counts[table]);
      }

      fs.copyFileSync(
        path.join(source.dataDir, 'test-admin.key'),
        path.join(restoredDir, 'test-admin.key'),
      );
      const copy = await startTestServer({
        dataDir: restoredDir,
        env: { BERTH_DATABASE_URL: restoredUrl, BERTH_ROOT_KEY_FILE: keyFile },
      });
      try {
        const manifests = await liveManifestsInPostgres(restoredUrl);
        expect(manifests.length).toBeGreaterThan(1);
        await expectServesLiveImages(copy, manifests, (repo, digest) =>
          pullBlob(source, repo, digest),
        );
        // Images pushed during the backup that the snapshot holds pull with skopeo.
        const inSnapshot = await query<{ name: string }>(
          restoredUrl,
          `SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = 'loop'`,
        );
        expect(inSnapshot.length).toBeGreaterThan(0);
        for (const { name } of inSnapshot) {
          const pushed = pushedDuringBackup.find((p) => p.tag === name)!;
          await expectPulls(copy, `keepers/loop:${name}`, pushed.image, work);
        }
        await expectHoldsSource(copy, content, work);
      } finally {
        await copy.close();
      }

      // A dump pg_restore cannot read fails verify even when the manifest's checksum matches it.
      const dump = path.join(backup, 'berth.pgdump');
      const garbage = Buffer.from('not a pg_dump archive\n');
      fs.writeFileSync(dump, garbage);
      const file = path.join(backup, 'manifest.json');
      const edited = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof manifest;
      edited.database.sha256 = createHash('sha256').update(garbage).digest('hex');
      edited.database.size = garbage.length;
      fs.writeFileSync(file, JSON.stringify(edited));
      const damaged = await cli('backup', ['verify', backup]);
      expect(damaged.code).toBe(1);
      expect(damaged.stderr).toContain('pg_restore cannot read the dump');
    }, 600_000);
  },
);

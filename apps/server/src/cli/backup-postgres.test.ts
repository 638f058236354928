import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { createTestDatabase } from '@berth/store/testing/postgres';
import { generateRootKey } from '../services/projects/keyring.js';
import { layoutBlob, layoutRefDigest, randomImage, writeLayout } from '../testing/oci-layout.js';
import { createProject, type FilledSecrets, fillProject } from '../testing/projects.js';
import { hasSkopeo, pullToLayout, pushLayout } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * `berth backup` of an installation on a real PostgreSQL (pg_dump of an exported snapshot,
 * the blob list read in the same snapshot) while real skopeo keeps pushing, `verify`, and
 * `berth restore` into a fresh PostgreSQL, served by a server that pulls every image back.
 */
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli');
const unavailable = hasSkopeo() ? null : 'skopeo is not installed';
const postgresUrl = inject('postgresUrl');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(
  command: 'backup' | 'restore',
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of [
    'BERTH_DATA_DIR',
    'BERTH_ROOT_KEY',
    'BERTH_ROOT_KEY_FILE',
    'BERTH_BLOB_STORE',
    'BERTH_DATABASE_URL',
  ]) {
    if (!(name in env)) delete childEnv[name];
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(DIST, `${command}.js`), ...args],
      { env: childEnv, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? -1) : 0;
        resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
      },
    );
  });
}

function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

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
    let host: string;
    let creds: { creds: string };
    let projectId: string;
    let secrets: FilledSecrets;
    let kept: ReturnType<typeof randomImage>;
    let trashed: ReturnType<typeof randomImage>;
    const pushedDuringBackup: { tag: string; digest: string }[] = [];
    const drops: (() => Promise<void>)[] = [];

    async function push(image: ReturnType<typeof randomImage>, ref: string): Promise<void> {
      const layout = fs.mkdtempSync(path.join(work, 'push-'));
      writeLayout(layout, [{ manifest: image, ref: 'image' }]);
      expect(await pushLayout(layout, 'image', `${host}/keepers/${ref}`, creds)).toBe(image.digest);
      fs.rmSync(layout, { recursive: true, force: true });
    }

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
      await source
        .api()
        .post(apiPaths.namespaces())
        .send({ name: 'keepers', region: 'local' })
        .expect(201);
      host = source.url.replace('http://', '');
      creds = { creds: `${ADMIN.username}:${source.adminKey}` };
      kept = randomImage({ seed: 'pg-backup-kept', layers: 2, layerBytes: 200 * 1024 });
      trashed = randomImage({ seed: 'pg-backup-trashed', layers: 1, layerBytes: 50 * 1024 });
      await push(kept, 'app:1.0');
      await push(trashed, 'app:old');
      await source.api().delete(`/v2/keepers/app/manifests/${trashed.digest}`).expect(202);
      projectId = (await createProject(source, 'backed-up')).id;
      secrets = await fillProject(source, projectId);
    }, 300_000);

    afterAll(async () => {
      await source?.stop();
      for (const drop of drops) await drop().catch(() => undefined);
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }, 60_000);

    it('backs up while skopeo pushes, verifies, refuses SQLite, and restores into a fresh PostgreSQL that pulls byte for byte', async () => {
      const target = path.join(work, 'backups');
      let backupDone = false;
      const loop = (async () => {
        for (let i = 0; !backupDone || i < 2; i++) {
          const image = randomImage({ seed: `pg-during-${i}`, layers: 2, layerBytes: 64 * 1024 });
          await push(image, `loop:${i}`);
          pushedDuringBackup.push({ tag: String(i), digest: image.digest });
        }
      })();
      while (pushedDuringBackup.length < 1) await new Promise((r) => setTimeout(r, 50));
      const taken = await cli(
        'backup',
        [target, '--data-dir', source.dataDir, '--output', 'json'],
        { BERTH_DATABASE_URL: sourceUrl },
      );
      backupDone = true;
      await loop;
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
        const manifests = await query<{
          id: string;
          digest: string;
          content: Buffer;
          repo: string;
        }>(
          restoredUrl,
          `SELECT m.id, m.digest, m.content, n.name || '/' || r.name AS repo
             FROM manifests m JOIN repositories r ON r.id = m.repository_id
             JOIN namespaces n ON n.id = r.namespace_id WHERE m.state = 'live'`,
        );
        const links = await query<{ manifest_id: string; digest: string }>(
          restoredUrl,
          'SELECT manifest_id, blob_digest AS digest FROM manifest_blobs',
        );
        expect(manifests.length).toBeGreaterThan(1);
        for (const m of manifests) {
          const got = await copy
            .api()
            .get(`/v2/${m.repo}/manifests/${m.digest}`)
            .buffer(true)
            .parse(binary)
            .expect(200);
          expect((got.body as Buffer).equals(m.content), m.digest).toBe(true);
          for (const { digest } of links.filter((l) => String(l.manifest_id) === String(m.id))) {
            const blob = await copy
              .api()
              .get(`/v2/${m.repo}/blobs/${digest}`)
              .buffer(true)
              .parse(binary)
              .expect(200);
            const original = await source
              .api()
              .get(`/v2/${m.repo}/blobs/${digest}`)
              .buffer(true)
              .parse(binary)
              .expect(200);
            expect((blob.body as Buffer).equals(original.body as Buffer), digest).toBe(true);
            expect(
              `sha256:${createHash('sha256')
                .update(blob.body as Buffer)
                .digest('hex')}`,
            ).toBe(digest);
          }
        }
        // Images pushed during the backup that the snapshot holds pull with skopeo.
        const inSnapshot = await query<{ name: string }>(
          restoredUrl,
          `SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = 'loop'`,
        );
        expect(inSnapshot.length).toBeGreaterThan(0);
        const copyHost = copy.url.replace('http://', '');
        const copyCreds = { creds: `${ADMIN.username}:${copy.adminKey}` };
        for (const { name } of inSnapshot) {
          const pushed = pushedDuringBackup.find((p) => p.tag === name)!;
          const pulled = path.join(work, `pulled-loop-${name}`);
          expect(
            await pullToLayout(`${copyHost}/keepers/loop:${name}`, pulled, 'p', copyCreds),
          ).toBe(pushed.digest);
        }
        const pulled = path.join(work, 'pulled-kept');
        expect(await pullToLayout(`${copyHost}/keepers/app:1.0`, pulled, 'p', copyCreds)).toBe(
          kept.digest,
        );
        expect(layoutRefDigest(pulled, 'p')).toBe(kept.digest);
        for (const layer of kept.layers)
          expect(layoutBlob(pulled, layer.digest).equals(Buffer.from(layer.bytes))).toBe(true);
        expect(await copy.services.projects.secretValues(projectId, 'api')).toEqual({
          type: 'generic',
          data: { API_TOKEN: secrets.apiToken },
        });
        await copy
          .api()
          .post(apiPaths.trashRestore('keepers'))
          .send({ repository: 'app', digest: trashed.digest })
          .expect(200);
        const back = path.join(work, 'pulled-trashed');
        expect(await pullToLayout(`${copyHost}/keepers/app:old`, back, 'p', copyCreds)).toBe(
          trashed.digest,
        );
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

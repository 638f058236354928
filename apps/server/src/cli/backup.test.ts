import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { generateRootKey } from '../services/projects/keyring.js';
import { layoutBlob, layoutRefDigest, randomImage, writeLayout } from '../testing/oci-layout.js';
import {
  createProject,
  type FilledSecrets,
  fillProject,
  TEST_REGISTRY,
} from '../testing/projects.js';
import { hasSkopeo, pullToLayout, pushLayout } from '../testing/skopeo.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * `berth backup` and `berth restore` as an operator runs them (the built CLIs, child
 * processes) against a real server on a real socket that real skopeo keeps pushing to while
 * the backup runs; the restored installation is started and every image pulled back.
 */
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli');
const unavailable =
  (hasSkopeo() ? null : 'skopeo is not installed') ??
  (process.env.BERTH_TEST_ENGINE === 'postgres' ? 'the source is SQLite' : null);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(
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

/** Every file under `dir`, relative, with its bytes' sha256: "nothing changed" made checkable. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, rel);
    if (fs.statSync(file).isFile()) {
      out[rel] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    }
  }
  return out;
}

describe.skipIf(unavailable !== null)(
  `berth backup / restore (${unavailable ?? 'SQLite + skopeo'})`,
  () => {
    let source: TestServer;
    let work: string;
    let target: string;
    let host: string;
    let creds: { creds: string };
    let projectId: string;
    let secrets: FilledSecrets;
    let kept: ReturnType<typeof randomImage>;
    let trashed: ReturnType<typeof randomImage>;
    let firstBackup: string;
    const pushedDuringBackup: { tag: string; digest: string }[] = [];

    async function push(image: ReturnType<typeof randomImage>, ref: string): Promise<void> {
      const layout = fs.mkdtempSync(path.join(work, 'push-'));
      writeLayout(layout, [{ manifest: image, ref: 'image' }]);
      expect(await pushLayout(layout, 'image', `${host}/keepers/${ref}`, creds)).toBe(image.digest);
      fs.rmSync(layout, { recursive: true, force: true });
    }

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-backup-'));
      target = path.join(work, 'backups');
      source = await startTestServer({ demo: true });
      await source
        .api()
        .post(apiPaths.namespaces())
        .send({ name: 'keepers', region: 'local' })
        .expect(201);
      host = source.url.replace('http://', '');
      creds = { creds: `${ADMIN.username}:${source.adminKey}` };
      kept = randomImage({ seed: 'backup-kept', layers: 2, layerBytes: 200 * 1024 });
      trashed = randomImage({ seed: 'backup-trashed', layers: 1, layerBytes: 50 * 1024 });
      await push(kept, 'app:1.0');
      await push(trashed, 'app:old');
      await source.api().delete(`/v2/keepers/app/manifests/${trashed.digest}`).expect(202);
      projectId = (await createProject(source, 'backed-up')).id;
      secrets = await fillProject(source, projectId);
    }, 300_000);

    afterAll(async () => {
      await source?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }, 60_000);

    it('takes a consistent backup while skopeo pushes in a loop, and restores it whole', async () => {
      // skopeo pushes a new image after another until the backup has finished.
      let backupDone = false;
      const loop = (async () => {
        for (let i = 0; !backupDone || i < 2; i++) {
          const image = randomImage({ seed: `during-${i}`, layers: 2, layerBytes: 64 * 1024 });
          await push(image, `loop:${i}`);
          pushedDuringBackup.push({ tag: String(i), digest: image.digest });
        }
      })();
      // Let the loop get going, so the snapshot lands between pushes.
      while (pushedDuringBackup.length < 1) await new Promise((r) => setTimeout(r, 50));
      const result = await cli('backup', [
        target,
        '--data-dir',
        source.dataDir,
        '--output',
        'json',
      ]);
      backupDone = true;
      await loop;
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as {
        backup: string;
        blobs: number;
        blobsCopied: number;
        rootKeyIds: string[];
      };
      firstBackup = summary.backup;
      expect(summary.blobsCopied).toBe(summary.blobs);
      expect(summary.rootKeyIds).toHaveLength(1);
      expect(fs.readdirSync(target).filter((n) => n.startsWith('.partial'))).toEqual([]);
      // Key material never goes into a backup.
      const key = fs.readFileSync(path.join(source.dataDir, 'root.key'), 'utf8').trim();
      expect(JSON.stringify(tree(target))).not.toContain(key);
      expect(fs.readFileSync(path.join(firstBackup, 'manifest.json'), 'utf8')).not.toContain(key);

      const verified = await cli('backup', ['verify', firstBackup]);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toContain('is whole');

      const restoredDir = path.join(work, 'restored');
      const restored = await cli('restore', [
        firstBackup,
        '--data-dir',
        restoredDir,
        '--root-key-file',
        path.join(source.dataDir, 'root.key'),
      ]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain('restored backup');

      // The API key came back with the users; the test harness finds it beside the data.
      fs.copyFileSync(
        path.join(source.dataDir, 'test-admin.key'),
        path.join(restoredDir, 'test-admin.key'),
      );
      const copy = await startTestServer({
        dataDir: restoredDir,
        env: { BERTH_ROOT_KEY_FILE: path.join(source.dataDir, 'root.key') },
      });
      try {
        // Every live manifest of the restored installation, and every blob it references, pulls
        // back with the source's bytes.
        const db = new SqliteDatabase(path.join(restoredDir, 'berth.db'), { readonly: true });
        const manifests = db
          .prepare(
            `SELECT m.id, m.digest, m.content, n.name || '/' || r.name AS repo
             FROM manifests m JOIN repositories r ON r.id = m.repository_id
             JOIN namespaces n ON n.id = r.namespace_id WHERE m.state = 'live'`,
          )
          .all() as { id: number; digest: string; content: Buffer; repo: string }[];
        const blobsOf = db.prepare(
          'SELECT blob_digest AS digest FROM manifest_blobs WHERE manifest_id = ?',
        );
        expect(manifests.length).toBeGreaterThan(100);
        const checked = new Set<string>();
        for (const m of manifests) {
          const got = await copy
            .api()
            .get(`/v2/${m.repo}/manifests/${m.digest}`)
            .buffer(true)
            .parse(binary)
            .expect(200);
          expect((got.body as Buffer).equals(m.content), m.digest).toBe(true);
          for (const { digest } of blobsOf.all(m.id) as { digest: string }[]) {
            if (checked.has(digest)) continue;
            checked.add(digest);
            const blob = await copy
              .api()
              .get(`/v2/${m.repo}/blobs/${digest}`)
              .buffer(true)
              .parse(binary)
              .expect(200);
            // Against what the source serves (stored bytes may be ciphertext at rest).
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
        // The images pushed during the backup that the snapshot holds pull with skopeo.
        const inSnapshot = db
          .prepare(
            `SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = 'loop'`,
          )
          .all() as { name: string }[];
        db.close();
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

        // Projects and their secrets open under the same root key.
        expect(await copy.services.projects.secretValues(projectId, 'api')).toEqual({
          type: 'generic',
          data: { API_TOKEN: secrets.apiToken },
        });
        expect(await copy.services.projects.secretValues(projectId, 'pull')).toMatchObject({
          server: TEST_REGISTRY,
          password: secrets.password,
        });
        // The trash came along: the trashed image restores with its tag and pulls.
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
    }, 600_000);

    it('copies only new blobs on a second backup', async () => {
      const fresh = randomImage({ seed: 'backup-second', layers: 2, layerBytes: 30 * 1024 });
      await push(fresh, 'second:1');
      const result = await cli('backup', [
        target,
        '--data-dir',
        source.dataDir,
        '--output',
        'json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as {
        blobs: number;
        blobsCopied: number;
        blobsPresent: number;
      };
      // Two layers and a config; everything else was in the first backup (or pushed after it).
      const afterFirst = pushedDuringBackup.length * 3;
      expect(summary.blobsCopied).toBeGreaterThanOrEqual(3);
      expect(summary.blobsCopied).toBeLessThanOrEqual(3 + afterFirst);
      expect(summary.blobsPresent + summary.blobsCopied).toBe(summary.blobs);
      const listed = await cli('backup', ['list', target, '--output', 'json']);
      expect((JSON.parse(listed.stdout) as { backups: unknown[] }).backups).toHaveLength(2);
    }, 300_000);

    it('fails verify, naming the problem, on a damaged blob, a damaged database or a missing manifest', async () => {
      const damage = (name: string) => {
        const copyTarget = path.join(work, name);
        fs.cpSync(target, copyTarget, { recursive: true });
        return path.join(copyTarget, path.basename(firstBackup));
      };
      const manifest = JSON.parse(
        fs.readFileSync(path.join(firstBackup, 'manifest.json'), 'utf8'),
      ) as {
        blobs: { digest: string; sha256: string }[];
      };
      const victim = manifest.blobs.find((b) => b.digest === kept.layers[0]!.digest)!;

      const blobDamaged = damage('damaged-blob');
      const file = path.join(
        path.dirname(blobDamaged),
        'blobs',
        'sha256',
        victim.sha256.slice(0, 2),
        victim.sha256,
      );
      const bytes = fs.readFileSync(file);
      bytes[100] = bytes[100]! ^ 0xff;
      fs.writeFileSync(file, bytes);
      const badBlob = await cli('backup', ['verify', blobDamaged]);
      expect(badBlob.code).toBe(1);
      expect(badBlob.stderr).toContain(`blob ${victim.digest} is damaged`);
      const asJson = await cli('backup', ['verify', blobDamaged, '--output', 'json']);
      expect(asJson.code).toBe(1);
      expect((JSON.parse(asJson.stdout) as { problems: string[] }).problems).toHaveLength(1);
      // And a restore of it stops, leaving nothing behind.
      const into = path.join(work, 'restore-damaged');
      const restoreDamaged = await cli('restore', [
        blobDamaged,
        '--data-dir',
        into,
        '--root-key-file',
        path.join(source.dataDir, 'root.key'),
      ]);
      expect(restoreDamaged.code).toBe(1);
      expect(restoreDamaged.stderr).toContain(victim.digest);
      expect(fs.existsSync(into)).toBe(false);

      const blobMissing = damage('missing-blob');
      fs.rmSync(
        path.join(
          path.dirname(blobMissing),
          'blobs',
          'sha256',
          victim.sha256.slice(0, 2),
          victim.sha256,
        ),
      );
      const missing = await cli('backup', ['verify', blobMissing]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`blob ${victim.digest} is missing`);

      const dbDamaged = damage('damaged-db');
      const dbFile = path.join(dbDamaged, 'berth.db');
      const db = fs.readFileSync(dbFile);
      db[db.length - 10] = db[db.length - 10]! ^ 0xff;
      fs.writeFileSync(dbFile, db);
      const badDb = await cli('backup', ['verify', dbDamaged]);
      expect(badDb.code).toBe(1);
      expect(badDb.stderr).toContain('the database file');
      expect(badDb.stderr).toContain('is damaged');

      const noManifest = damage('no-manifest');
      fs.rmSync(path.join(noManifest, 'manifest.json'));
      const none = await cli('backup', ['verify', noManifest]);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('has no manifest.json');

      const good = await cli('backup', ['verify', firstBackup]);
      expect(good.code, good.stderr).toBe(0);
    }, 300_000);

    it('refuses a non-empty target, a missing or wrong root key, and bad usage, changing nothing', async () => {
      const keyFile = path.join(source.dataDir, 'root.key');
      const busy = path.join(work, 'busy');
      fs.mkdirSync(busy);
      fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
      const before = tree(busy);
      const refused = await cli('restore', [
        firstBackup,
        '--data-dir',
        busy,
        '--root-key-file',
        keyFile,
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is not empty');
      expect(tree(busy)).toEqual(before);

      const empty = path.join(work, 'empty');
      fs.mkdirSync(empty);
      const noKey = await cli('restore', [firstBackup, '--data-dir', empty]);
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toMatch(/wrapped by root key\(s\) [0-9a-f]{16}/);
      const wrongKeyFile = path.join(work, 'wrong.key');
      fs.writeFileSync(wrongKeyFile, `${generateRootKey().toString('base64')}\n`);
      const wrongKey = await cli('restore', [
        firstBackup,
        '--data-dir',
        empty,
        '--root-key-file',
        wrongKeyFile,
      ]);
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.stderr).toContain('cannot unwrap');
      expect(fs.readdirSync(empty)).toEqual([]);

      const targetBefore = tree(target);
      expect((await cli('backup', ['verify'])).code).toBe(2);
      expect((await cli('backup', [target, '--bogus'])).code).toBe(2);
      expect((await cli('restore', [firstBackup])).code).toBe(2);
      const notATarget = await cli('backup', [busy, '--data-dir', source.dataDir]);
      expect(notATarget.code).toBe(1);
      expect(notATarget.stderr).toContain('neither empty nor a Berth backup target');
      expect(tree(busy)).toEqual(before);
      expect((await cli('backup', ['--help'])).code).toBe(0);
      expect((await cli('restore', ['--help'])).code).toBe(0);
      expect(tree(target)).toEqual(targetBefore);
    }, 120_000);
  },
);

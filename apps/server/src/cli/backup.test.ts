import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRootKey } from '../services/projects/keyring.js';
import { randomImage } from '../testing/oci-layout.js';
import { hasSkopeo } from '../testing/skopeo.js';
import {
  expectHoldsSource,
  expectPulls,
  pushImage,
  whilePushing,
  expectServesLiveImages,
  fillSource,
  liveManifestsInSqlite,
  type SourceContent,
} from '../testing/installation-copy.js';
import { pullBlob } from '../testing/registry-client.js';
import { runServerCli } from '../testing/server-cli.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

/*
 * `berth backup` and `berth restore` as an operator runs them (the built CLIs, child
 * processes) against a real server on a real socket that real skopeo keeps pushing to while
 * the backup runs; the restored installation is started and every image pulled back.
 */
const unavailable =
  (hasSkopeo() ? null : 'skopeo is not installed') ??
  (process.env.BERTH_TEST_ENGINE === 'postgres' ? 'the source is SQLite' : null);

const cli = (command: 'backup' | 'restore', args: string[], env?: Record<string, string>) =>
  runServerCli(command, args, env);

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
    let content: SourceContent;
    /** `berth backup TARGET` of the source, its result as JSON. */
    const backupSource = () =>
      cli('backup', [target, '--data-dir', source.dataDir, '--output', 'json']);
    /** `berth restore BACKUP --data-dir DIR` with the source's root key file. */
    const restoreWithKey = (backup: string, dir: string) =>
      cli('restore', [
        backup,
        '--data-dir',
        dir,
        '--root-key-file',
        path.join(source.dataDir, 'root.key'),
      ]);
    let firstBackup: string;
    const pushedDuringBackup: { tag: string; image: ReturnType<typeof randomImage> }[] = [];

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-backup-'));
      target = path.join(work, 'backups');
      source = await startTestServer({ demo: true });
      content = await fillSource(source, work, {
        namespace: 'keepers',
        project: 'backed-up',
        seed: 'backup',
        keptLayerBytes: 200 * 1024,
        trashedLayerBytes: 50 * 1024,
      });
    }, 300_000);

    afterAll(async () => {
      await source?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }, 60_000);

    it('takes a consistent backup while skopeo pushes in a loop, and restores it whole', async () => {
      // skopeo pushes a new image after another until the backup has finished.
      const { result, pushed } = await whilePushing(
        source,
        work,
        { repository: 'keepers/loop', seed: 'during' },
        backupSource,
      );
      pushedDuringBackup.push(...pushed);
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
      const restored = await restoreWithKey(firstBackup, restoredDir);
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
        // back with the source's bytes: what the source serves (stored bytes may be ciphertext
        // at rest).
        const restoredDb = path.join(restoredDir, 'berth.db');
        const manifests = liveManifestsInSqlite(restoredDb);
        expect(manifests.length).toBeGreaterThan(100);
        await expectServesLiveImages(copy, manifests, (repo, digest) =>
          pullBlob(source, repo, digest),
        );
        const db = new SqliteDatabase(restoredDb, { readonly: true });
        // The images pushed during the backup that the snapshot holds pull with skopeo.
        const inSnapshot = db
          .prepare(
            `SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = 'loop'`,
          )
          .all() as { name: string }[];
        db.close();
        expect(inSnapshot.length).toBeGreaterThan(0);
        for (const { name } of inSnapshot) {
          const pushed = pushedDuringBackup.find((p) => p.tag === name)!;
          await expectPulls(copy, `keepers/loop:${name}`, pushed.image, work);
        }
        // The images, the project's secrets (under the same root key) and the trash.
        await expectHoldsSource(copy, content, work);
      } finally {
        await copy.close();
      }
    }, 600_000);

    it('copies only new blobs on a second backup', async () => {
      const fresh = randomImage({ seed: 'backup-second', layers: 2, layerBytes: 30 * 1024 });
      await pushImage(source, 'keepers/second:1', fresh, work);
      const result = await backupSource();
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
      const victim = manifest.blobs.find((b) => b.digest === content.kept.layers[0]!.digest)!;

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
      const restoreDamaged = await restoreWithKey(blobDamaged, into);
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
      const busy = path.join(work, 'busy');
      fs.mkdirSync(busy);
      fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
      const before = tree(busy);
      const refused = await restoreWithKey(firstBackup, busy);
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

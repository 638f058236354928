import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileRules } from '@berth/domain';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bulkLoadSynthetic } from '../bulk-load.js';
import { openSqlite, type SqliteHandle } from '../connect.js';
import { evaluateRepositories, scannedImage } from './evaluate.js';

/** More images than one evaluation batch (5,000), in one repository. */
const BIG = 11_000;
let dir: string;
let handle: SqliteHandle;
let big: { id: number; namespace_id: number };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-evaluate-'));
  handle = await openSqlite(path.join(dir, 'berth.db'));
  bulkLoadSynthetic(handle.raw, {
    namespaces: 1,
    repositoriesPerNamespace: 3,
    images: BIG + 200,
    bigRepositoryImages: BIG,
    region: 'local',
    now: Date.UTC(2026, 0, 15),
    seed: 3,
  });
  big = handle.raw
    .prepare(`SELECT id, namespace_id FROM repositories WHERE name = 'big/monorepo'`)
    .get() as typeof big;
});

afterAll(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const rules = compileRules({
  keepCount: 10,
  retainUntagged: false,
  excludeTags: [],
  excludeRepositories: [],
});

it('reads a repository larger than a batch in ranges, letting the event loop turn, and sees each image once with its tags', async () => {
  const order: string[] = [];
  setImmediate(() => order.push('turn'));
  const seen: { key: number; tags: string[] }[] = [];
  for await (const { verdicts } of evaluateRepositories(handle.db, big.namespace_id, rules, [], {
    ids: new Set([big.id]),
  })) {
    order.push('verdicts');
    for (const v of verdicts) {
      const image = scannedImage(v);
      seen.push({ key: image.key, tags: [...image.tags].sort() });
    }
  }
  // One read of the whole repository would decide it before any timer or request got a turn.
  expect(order).toEqual(['turn', 'verdicts']);
  const listed = handle.raw
    .prepare(`SELECT id FROM manifests WHERE repository_id = ? AND listed = 1 ORDER BY id`)
    .all(big.id) as { id: number }[];
  expect(listed.length).toBeGreaterThan(5_000);
  expect(seen.map((s) => s.key).sort((a, b) => a - b)).toEqual(listed.map((r) => r.id));
  const tags = new Map<number, string[]>();
  for (const t of handle.raw
    .prepare(`SELECT manifest_id, name FROM tags WHERE repository_id = ? ORDER BY name`)
    .all(big.id) as { manifest_id: number; name: string }[]) {
    tags.set(t.manifest_id, [...(tags.get(t.manifest_id) ?? []), t.name]);
  }
  expect(tags.size).toBeGreaterThan(0);
  for (const s of seen) expect(s.tags).toEqual(tags.get(s.key) ?? []);
});

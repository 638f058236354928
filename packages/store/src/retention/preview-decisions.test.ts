import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RetentionRules } from '@berth/domain';
import { createStore } from '../store.js';
import {
  type TestDatabase,
  loadSynthetic,
  openTestDatabase,
  selectRows,
  testEngines,
} from '../testing/engines.js';
import { PreviewCache } from './preview-cache.js';
import { allocateColumns } from './preview-codec.js';

const NOW = Date.UTC(2026, 0, 15);
const DAY = 86_400_000;
const DATASET = {
  namespaces: 1,
  repositoriesPerNamespace: 12,
  images: 1500,
  bigRepositoryImages: 300,
  region: 'local',
  now: NOW,
  seed: 11,
};
const RULES: RetentionRules = {
  keepCount: 3,
  retainUntagged: false,
  excludeTags: [],
  excludeRepositories: [],
  protectUnscannedDays: null,
};
const ctx = { actor: 'tester', now: NOW };

describe.each(testEngines())('a preview’s decisions on %s', (engine) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await openTestDatabase(engine);
    await loadSynthetic(database, DATASET);
  });
  afterEach(() => database.dispose());

  /** Every decision of a preview, page by page, as a store answers it. */
  async function allPages(store: ReturnType<typeof createStore>, id: string, limit: number) {
    const out: unknown[] = [];
    for (let offset: number | null = 0; offset !== null;) {
      const page = await store.retention.previewItems('bench-0001', id, { offset, limit });
      out.push(...page.items.map((i) => [i.repository, i.digest, i.decision, i.rank]));
      offset = page.nextOffset;
    }
    return out;
  }

  it('are the same in a process that did not make the preview (read back from the database)', async () => {
    const maker = createStore(database.handle.db);
    const preview = await maker.retention.createPreview('bench-0001', RULES, [], ctx, DAY);
    const made = await allPages(maker, preview.id, 500);
    // Another process: a store of its own over the same database, nothing in its memory.
    const other = createStore(database.handle.db);
    expect(await other.retention.getPreview('bench-0001', preview.id)).toEqual(preview);
    const read = await allPages(other, preview.id, 500);
    expect(read).toHaveLength(preview.summary.totals.images);
    expect(read).toEqual(made);
    const deleted = read.filter((r) => (r as string[])[2] === 'delete');
    expect(deleted).toHaveLength(preview.summary.totals.delete);
    expect(preview.summary.totals.delete).toBeGreaterThan(0);
  });

  it('come with what the row says now: a confirmation made elsewhere shows', async () => {
    const store = createStore(database.handle.db);
    const preview = await store.retention.createPreview('bench-0001', RULES, [], ctx, DAY);
    expect((await store.retention.getPreview('bench-0001', preview.id)).runId).toBeNull();
    // As another process's confirmation leaves it.
    await selectRows(
      database.handle.db,
      `UPDATE retention_previews SET run_id = 42 WHERE id = '${preview.id}'`,
    );
    const read = await store.retention.getPreview('bench-0001', preview.id);
    expect(read.runId).toBe(42);
    expect(read.summary).toEqual(preview.summary);
  });

  it('are not served once the preview is purged, though the process still holds them', async () => {
    const store = createStore(database.handle.db);
    const preview = await store.retention.createPreview('bench-0001', RULES, [], ctx, DAY);
    await store.retention.previewItems('bench-0001', preview.id, { offset: 0, limit: 10 });
    expect(await store.retention.purgePreviews(NOW + 2 * DAY)).toBe(1);
    await expect(
      store.retention.previewItems('bench-0001', preview.id, { offset: 0, limit: 10 }),
    ).rejects.toMatchObject({ code: 'PREVIEW_UNKNOWN' });
  });

  it.runIf(engine === 'postgres')(
    'are stored compressed with lz4 where PostgreSQL has it',
    async () => {
      const store = createStore(database.handle.db);
      const preview = await store.retention.createPreview('bench-0001', RULES, [], ctx, DAY);
      const [lz4] = await selectRows(
        database.handle.db,
        `SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`,
      );
      const [row] = await selectRows<{ method: string | null }>(
        database.handle.db,
        `SELECT pg_column_compression(items) AS method FROM retention_previews WHERE id = '${preview.id}'`,
      );
      expect(row?.method).toBe(lz4 ? 'lz4' : 'pglz');
    },
  );
});

describe('PreviewCache', () => {
  const columns = (images: number) => allocateColumns(images);

  it('drops the least recently used previews to stay within its bytes, and refuses one too big', () => {
    const cache = new PreviewCache<{ n: number }>(21 * 250 + 100);
    const a = columns(100);
    const b = columns(100);
    cache.keep('a', { columns: a });
    cache.keep('b', { columns: b });
    expect(cache.get('a')?.columns).toBe(a); // a is now the most recently used
    cache.keep('a', { summary: { n: 1 }, summaryBytes: 100 }); // a's parts add up
    expect(cache.size).toBe(21 * 200 + 100);
    cache.keep('c', { columns: columns(100) }); // 300 images do not fit in 250: b goes
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual({ columns: a, summary: { n: 1 }, summaryBytes: 100 });
    expect(cache.size).toBe(21 * 200 + 100);
    cache.keep('huge', { columns: columns(260) });
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toBe(21 * 200 + 100);
    cache.keep('a', { columns: columns(50) }); // replacing a part counts it once
    expect(cache.size).toBe(21 * 150 + 100);
  });
});

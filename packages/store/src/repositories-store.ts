import { sql } from 'kysely';
import type { Db } from './database.js';
import { type NamespaceVisibility, visibleTo } from './namespaces-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { containsText } from './like.js';
import { engineOf } from './store-handle.js';
import { resolveNamespace } from './resolve.js';

export type RepositorySortKey = 'name' | 'imageCount' | 'sizeBytes' | 'lastPushedAt';

const SORT_COLUMN = {
  name: 'name',
  imageCount: 'image_count',
  sizeBytes: 'size_bytes',
  lastPushedAt: 'last_pushed_at',
} as const;

const DEFAULT_ORDER: Record<RepositorySortKey, 'asc' | 'desc'> = {
  name: 'asc',
  imageCount: 'desc',
  sizeBytes: 'desc',
  lastPushedAt: 'desc',
};

export interface RepositoryRecord {
  name: string;
  imageCount: number;
  sizeBytes: number;
  lastPushedAt: number | null;
}

export function createRepositoriesStore(db: Db) {
  return {
    /**
     * Full names (`<namespace>/<repository>`) of repositories with a live image that contain
     * `text`, in name order, across the namespaces `visibility` lets through (all without
     * one), with how many match in all. For the registry's search endpoint.
     */
    async search(query: {
      text: string;
      limit: number;
      offset: number;
      visibility?: NamespaceVisibility;
    }): Promise<{ total: number; names: string[] }> {
      const full = sql<string>`namespaces.name || '/' || repositories.name`;
      let qb = db
        .selectFrom('repositories')
        .innerJoin('namespaces', 'namespaces.id', 'repositories.namespace_id')
        .where('repositories.image_count', '>', 0);
      if (query.text) qb = qb.where(containsText(full, query.text, engineOf(db)));
      if (query.visibility) qb = qb.where(visibleTo(query.visibility));
      const [count, rows] = await Promise.all([
        qb.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
        qb.select(full.as('name')).orderBy(full).limit(query.limit).offset(query.offset).execute(),
      ]);
      return { total: Number(count?.n ?? 0), names: rows.map((r) => r.name) };
    },

    /**
     * Keyset pagination over (sort column, name); name is unique per namespace. Only
     * repositories with at least one live image are listed: a repository whose images
     * are all in the trash reappears when one is restored.
     */
    async list(
      namespace: string,
      query: {
        q?: string;
        sort: RepositorySortKey;
        order?: 'asc' | 'desc';
        cursor?: string;
        limit: number;
      },
    ) {
      const ns = await resolveNamespace(db, namespace);
      const column = SORT_COLUMN[query.sort];
      const order = query.order ?? DEFAULT_ORDER[query.sort];
      const cmp = order === 'asc' ? '>' : '<';
      const after = decodeCursor(query.cursor, [
        query.sort === 'name' ? 'string' : 'number',
        'string',
      ]);
      let qb = db
        .selectFrom('repositories')
        .select(['name', 'image_count', 'size_bytes', 'last_pushed_at'])
        .where('namespace_id', '=', ns.id)
        .where('image_count', '>', 0)
        .orderBy(column, order)
        .orderBy('name', order)
        .limit(query.limit + 1);
      if (query.q) qb = qb.where(containsText('name', query.q, engineOf(db)));
      if (after) {
        qb =
          column === 'name'
            ? qb.where('name', cmp, String(after[1]))
            : qb.where((eb) =>
                eb(
                  eb.refTuple(column, 'name'),
                  cmp,
                  eb.tuple(after[0] as number, String(after[1])),
                ),
              );
      }
      const rows = await qb.execute();
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const lastKey = (r: (typeof rows)[number]): number | string =>
        column === 'name'
          ? r.name
          : column === 'image_count'
            ? r.image_count
            : column === 'size_bytes'
              ? r.size_bytes
              : r.last_pushed_at;
      return {
        items: page.map((r): RepositoryRecord => ({
          name: r.name,
          imageCount: r.image_count,
          sizeBytes: r.size_bytes,
          lastPushedAt: r.last_pushed_at > 0 ? r.last_pushed_at : null,
        })),
        nextCursor:
          rows.length > query.limit && last ? encodeCursor([lastKey(last), last.name]) : null,
      };
    },
  };
}

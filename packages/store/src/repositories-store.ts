import type { Db } from './database.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { containsText } from './like.js';
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
      if (query.q) qb = qb.where(containsText('name', query.q));
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

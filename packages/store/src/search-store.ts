import { sql } from 'kysely';
import type { Db } from './database.js';
import { type NamespaceVisibility, visibleTo } from './namespaces-store.js';
import { LISTED } from './listed.js';
import { engineOf } from './store-handle.js';

/**
 * Prefix lookups for the console's search box, each a range scan of an index. Namespaces by
 * name; repositories and tags through each visible namespace's repositories by name, then
 * the repository's tags (primary key): a miss costs one seek per visible repository, and hits
 * come in (namespace, repository, name) order, so LIMIT stops the walk without a sort.
 * Digests too, through the (repository_id, digest) key: an index of digests alone would
 * answer a miss in one seek, but costs every bulk delete (see digestsQuery).
 */
export interface SearchScope {
  /** Absent for a caller who sees every namespace (an admin without a narrowed key). */
  visibility?: NamespaceVisibility;
  /** Rows to return; callers ask for one more than they show to know there are more. */
  limit: number;
}

/** Narrows where a repository search or tag search looks: one namespace, or one repository. */
export interface SearchWithin {
  namespace?: string;
  repository?: string;
}

/**
 * Upper bound of a prefix range. Names, tags and digests are ASCII, so every string that
 * starts with `prefix` sorts below it in SQLite's binary collation and PostgreSQL's "C".
 */
const afterPrefix = (prefix: string) => `${prefix}\uffff`;

function visibleNamespaces(db: Db, scope: SearchScope) {
  let qb = db.selectFrom('namespaces').where('namespaces.deleting', '=', 0);
  if (scope.visibility) qb = qb.where(visibleTo(scope.visibility));
  return qb;
}

/**
 * Namespaces, then their repositories, then what the caller joins to them: CROSS JOIN is
 * how SQLite is told to keep that order. Without statistics (a first start) it would
 * otherwise walk every tag in the database and look each one's repository up.
 */
function visibleRepositories(db: Db, scope: SearchScope, within: SearchWithin) {
  let qb = visibleNamespaces(db, scope)
    .crossJoin('repositories as r')
    .whereRef('r.namespace_id', '=', 'namespaces.id');
  if (within.namespace !== undefined) qb = qb.where('namespaces.name', '=', within.namespace);
  if (within.repository !== undefined) qb = qb.where('r.name', '=', within.repository);
  return qb;
}

export function namespacesQuery(db: Db, prefix: string, scope: SearchScope) {
  return visibleNamespaces(db, scope)
    .select('namespaces.name as namespace')
    .where('namespaces.name', '>=', prefix)
    .where('namespaces.name', '<', afterPrefix(prefix))
    .orderBy('namespaces.name')
    .limit(scope.limit);
}

export function repositoriesQuery(
  db: Db,
  prefix: string,
  scope: SearchScope,
  within: SearchWithin = {},
) {
  return (
    visibleRepositories(db, scope, within)
      .select(['namespaces.name as namespace', 'r.name as repository'])
      .where('r.name', '>=', prefix)
      .where('r.name', '<', afterPrefix(prefix))
      // Unary plus keeps the planner off the (namespace_id, image_count) index: with it the
      // rows come out by count and need a sort before the LIMIT; by name they need none.
      .where(sql<number>`+r.image_count`, '>', 0)
      .orderBy('namespaces.name')
      .orderBy('r.name')
      .limit(scope.limit)
  );
}

export function tagsQuery(db: Db, prefix: string, scope: SearchScope, within: SearchWithin = {}) {
  // Tags are removed when their image goes to the trash, so every tag names a live image.
  const repositories = visibleRepositories(db, scope, within);
  const joined =
    engineOf(db) === 'postgres'
      ? // PostgreSQL takes no join-order hint: without the LATERAL it scans every tag for the
        // range (80 ms for a miss at a million images); with it, one seek per repository.
        repositories.innerJoinLateral(
          (eb) =>
            eb
              .selectFrom('tags as t')
              .select(['t.name', 't.manifest_id'])
              .whereRef('t.repository_id', '=', 'r.id')
              .where('t.name', '>=', prefix)
              .where('t.name', '<', afterPrefix(prefix))
              .orderBy('t.name')
              .limit(scope.limit)
              .as('t'),
          (join) => join.onTrue(),
        )
      : repositories
          .crossJoin('tags as t')
          .whereRef('t.repository_id', '=', 'r.id')
          .where('t.name', '>=', prefix)
          .where('t.name', '<', afterPrefix(prefix));
  return joined
    .crossJoin('manifests as m')
    .whereRef('m.id', '=', 't.manifest_id')
    .select([
      'namespaces.name as namespace',
      'r.name as repository',
      't.name as tag',
      'm.digest as digest',
    ])
    .orderBy('namespaces.name')
    .orderBy('r.name')
    .orderBy('t.name')
    .limit(scope.limit);
}

export function digestsQuery(db: Db, prefix: string, scope: SearchScope) {
  // One seek of the unique (repository_id, digest) index per visible repository, as tags seek
  // (repository_id, name). An index on the digest alone would answer in one seek, but its
  // random keys made a namespace delete 77 % slower at a million images (8.2 s → 14.5 s for
  // 95,156 images; migration 0015 dropped it for the same reason): a miss costs ~17 ms over
  // 10,000 repositories instead, and far less for anyone who sees fewer.
  const repositories = visibleRepositories(db, scope, {});
  const joined =
    engineOf(db) === 'postgres'
      ? // As for tags: PostgreSQL would scan every manifest (230 ms) without the LATERAL.
        repositories.innerJoinLateral(
          (eb) =>
            eb
              .selectFrom('manifests as m')
              .select(['m.id', 'm.digest'])
              .whereRef('m.repository_id', '=', 'r.id')
              .where('m.digest', '>=', prefix)
              .where('m.digest', '<', afterPrefix(prefix))
              .where('m.listed', '=', LISTED)
              .orderBy('m.digest')
              .limit(scope.limit)
              .as('m'),
          (join) => join.onTrue(),
        )
      : repositories
          .crossJoin('manifests as m')
          .whereRef('m.repository_id', '=', 'r.id')
          .where('m.digest', '>=', prefix)
          .where('m.digest', '<', afterPrefix(prefix))
          // What listings call an image: live and top-level.
          .where('m.listed', '=', LISTED);
  return (
    joined
      .select(['namespaces.name as namespace', 'r.name as repository', 'm.id', 'm.digest'])
      // The order the seeks come in: no sort, and LIMIT ends the walk at the first matches.
      .orderBy('namespaces.name')
      .orderBy('r.name')
      .orderBy('m.digest')
      .limit(scope.limit)
  );
}

/** Tags shown beside a digest result to tell it apart. */
const TAGS_PER_DIGEST = 3;

export function createSearchStore(db: Db) {
  return {
    async namespaces(prefix: string, scope: SearchScope): Promise<string[]> {
      const rows = await namespacesQuery(db, prefix, scope).execute();
      return rows.map((r) => r.namespace);
    },

    async repositories(
      prefix: string,
      scope: SearchScope,
      within: SearchWithin = {},
    ): Promise<{ namespace: string; repository: string }[]> {
      return repositoriesQuery(db, prefix, scope, within).execute();
    },

    async tags(
      prefix: string,
      scope: SearchScope,
      within: SearchWithin = {},
    ): Promise<{ namespace: string; repository: string; tag: string; digest: string }[]> {
      return tagsQuery(db, prefix, scope, within).execute();
    },

    async digests(
      prefix: string,
      scope: SearchScope,
    ): Promise<{ namespace: string; repository: string; digest: string; tags: string[] }[]> {
      const rows = await digestsQuery(db, prefix, scope).execute();
      if (rows.length === 0) return [];
      const tagRows = await db
        .selectFrom('tags')
        .select(['manifest_id', 'name'])
        .where(
          'manifest_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('manifest_id')
        .orderBy('name')
        .execute();
      const tagsOf = new Map<number, string[]>();
      for (const t of tagRows) {
        const list = tagsOf.get(t.manifest_id) ?? [];
        if (list.length < TAGS_PER_DIGEST) list.push(t.name);
        tagsOf.set(t.manifest_id, list);
      }
      return rows.map((r) => ({
        namespace: r.namespace,
        repository: r.repository,
        digest: r.digest,
        tags: tagsOf.get(r.id) ?? [],
      }));
    },
  };
}

export type SearchStore = ReturnType<typeof createSearchStore>;

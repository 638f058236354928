import { sql } from 'kysely';
import type { Db } from './database.js';
import { type NamespaceVisibility, visibleTo } from './namespaces-store.js';

/**
 * Prefix lookups for the console's search box, each a range scan of an index. Namespaces by
 * name; repositories and tags through each visible namespace's repositories by name, then
 * the repository's tags (primary key): a miss costs one seek per visible repository, and hits
 * come in (namespace, repository, name) order, so LIMIT stops the walk without a sort.
 * Digests are the exception: seeking a fresh prefix in every repository reads a different
 * leaf each time, so they have an index of their own (migration 0016) and come in digest order.
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
  return visibleRepositories(db, scope, within)
    .crossJoin('tags as t')
    .whereRef('t.repository_id', '=', 'r.id')
    .crossJoin('manifests as m')
    .whereRef('m.id', '=', 't.manifest_id')
    .select([
      'namespaces.name as namespace',
      'r.name as repository',
      't.name as tag',
      'm.digest as digest',
    ])
    .where('t.name', '>=', prefix)
    .where('t.name', '<', afterPrefix(prefix))
    .orderBy('namespaces.name')
    .orderBy('r.name')
    .orderBy('t.name')
    .limit(scope.limit);
}

export function digestsQuery(db: Db, prefix: string, scope: SearchScope) {
  // Led by the digest index (migration 0016): a prefix of 4 hex digits or more matches a
  // handful of images in a million, each then checked against its namespace's visibility.
  // CROSS JOIN keeps the digest index outermost: with a million-image registry's statistics
  // SQLite otherwise seeks (repository_id, digest) once per repository (17 ms for a miss).
  let qb = db
    .selectFrom('manifests as m')
    .crossJoin('repositories as r')
    .whereRef('r.id', '=', 'm.repository_id')
    .crossJoin('namespaces')
    .whereRef('namespaces.id', '=', 'r.namespace_id')
    .select(['namespaces.name as namespace', 'r.name as repository', 'm.id', 'm.digest'])
    .where('m.digest', '>=', prefix)
    .where('m.digest', '<', afterPrefix(prefix))
    // What listings call an image: live and top-level.
    .where('m.listed', '=', 1)
    .where('namespaces.deleting', '=', 0);
  if (scope.visibility) qb = qb.where(visibleTo(scope.visibility));
  return qb.orderBy('m.digest').orderBy('m.id').limit(scope.limit);
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

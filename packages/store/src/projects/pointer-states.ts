import { type ImageReference, isLocalRegistry } from '@berth/domain';
import type { Db } from '../database.js';

export type PointerStateName = 'present' | 'trashed' | 'missing' | 'external';

export interface PointerState {
  state: PointerStateName;
  /** The digest the pointer resolves to here, when present or trashed. */
  resolvedDigest: string | null;
}

const key = (...parts: (string | number)[]) => parts.join('\0');

/**
 * Where each pointer leads, in four queries for the whole list. A pointer with a digest is
 * looked up by digest (the digest is what is pulled, even with a tag beside it); a tag alone
 * is present while a live image holds it, trashed when the image that last held it is in the
 * trash, and missing otherwise.
 */
export async function resolvePointerStates(
  db: Db,
  pointers: readonly ImageReference[],
  localHosts: readonly string[],
): Promise<PointerState[]> {
  const local = pointers.filter((p) => isLocalRegistry(p.registry, localHosts));
  const repositoryIds = new Map<string, number>();
  if (local.length > 0) {
    const rows = await db
      .selectFrom('repositories as r')
      .innerJoin('namespaces as n', 'n.id', 'r.namespace_id')
      .select(['r.id', 'n.name as namespace', 'r.name'])
      .where('n.name', 'in', [...new Set(local.map((p) => p.namespace))])
      .where('r.name', 'in', [...new Set(local.map((p) => p.repository))])
      .execute();
    for (const r of rows) repositoryIds.set(key(r.namespace, r.name), r.id);
  }
  const ids = [...new Set(repositoryIds.values())];
  const byDigest = local.filter((p) => p.digest !== null).map((p) => p.digest as string);
  const byTag = local
    .filter((p) => p.digest === null && p.tag !== null)
    .map((p) => p.tag as string);

  const liveTags = new Map<string, string>();
  const trashedTags = new Map<string, string>();
  const manifests = new Map<string, 'live' | 'trashed'>();
  if (ids.length > 0 && byTag.length > 0) {
    const tags = [...new Set(byTag)];
    const live = await db
      .selectFrom('tags as t')
      .innerJoin('manifests as m', 'm.id', 't.manifest_id')
      .select(['t.repository_id', 't.name', 'm.digest'])
      .where('t.repository_id', 'in', ids)
      .where('t.name', 'in', tags)
      .where('m.state', '=', 'live')
      .execute();
    for (const r of live) liveTags.set(key(r.repository_id, r.name), r.digest);
    const trashed = await db
      .selectFrom('trash_tags as tt')
      .innerJoin('trash_entries as e', 'e.id', 'tt.trash_entry_id')
      .select(['tt.repository_id', 'tt.tag', 'e.digest'])
      .where('tt.repository_id', 'in', ids)
      .where('tt.tag', 'in', tags)
      // Newest last: the image that held the tag most recently wins.
      .orderBy('tt.deleted_at')
      .orderBy('e.id')
      .execute();
    for (const r of trashed) trashedTags.set(key(r.repository_id, r.tag), r.digest);
  }
  if (ids.length > 0 && byDigest.length > 0) {
    const rows = await db
      .selectFrom('manifests')
      .select(['repository_id', 'digest', 'state'])
      .where('repository_id', 'in', ids)
      .where('digest', 'in', [...new Set(byDigest)])
      .execute();
    for (const r of rows) manifests.set(key(r.repository_id, r.digest), r.state);
  }

  return pointers.map((p): PointerState => {
    if (!isLocalRegistry(p.registry, localHosts))
      return { state: 'external', resolvedDigest: null };
    const repo = repositoryIds.get(key(p.namespace, p.repository));
    const missing: PointerState = { state: 'missing', resolvedDigest: null };
    if (repo === undefined) return missing;
    if (p.digest !== null) {
      const state = manifests.get(key(repo, p.digest));
      if (state === 'live') return { state: 'present', resolvedDigest: p.digest };
      if (state === 'trashed') return { state: 'trashed', resolvedDigest: p.digest };
      return missing;
    }
    const tag = p.tag ?? 'latest';
    const live = liveTags.get(key(repo, tag));
    if (live !== undefined) return { state: 'present', resolvedDigest: live };
    const trashed = trashedTags.get(key(repo, tag));
    if (trashed !== undefined) return { state: 'trashed', resolvedDigest: trashed };
    return missing;
  });
}

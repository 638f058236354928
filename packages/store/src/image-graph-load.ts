import type { ImageGraph } from '@berth/domain';
import type { Db, ManifestState } from './database.js';
import { chunks } from './blob-reclaim.js';
import { listOf } from './sql-lists.js';

export interface GraphNode {
  digest: string;
  state: ManifestState;
  trashEntryId: number | null;
}

export interface LoadedGraph {
  /** Children, parents and attachments of the manifests reached; `live` from their state. */
  graph: ImageGraph<number>;
  nodes: Map<number, GraphNode>;
}

/**
 * Reads the image graph around `seeds` in one repository: their descendants through every
 * level of child indexes, the referrers and tag signatures of each, and every index holding
 * any of them (so the domain can tell a child another live index still uses). One round of
 * queries per level; indexes nest at most MAX_INDEX_DEPTH levels.
 */
export async function loadImageGraph(
  db: Db,
  repositoryId: number,
  seeds: readonly { id: number; digest: string; state: ManifestState }[],
): Promise<LoadedGraph> {
  const nodes = new Map<number, GraphNode>();
  const children = new Map<number, number[]>();
  const parents = new Map<number, number[]>();
  const attached = new Map<number, number[]>();
  const push = (map: Map<number, number[]>, key: number, value: number) => {
    const list = map.get(key);
    if (!list) map.set(key, [value]);
    else if (!list.includes(value)) list.push(value);
  };
  for (const s of seeds) nodes.set(s.id, { digest: s.digest, state: s.state, trashEntryId: null });
  let frontier = seeds.map((s) => s.id);
  while (frontier.length > 0) {
    const next: number[] = [];
    const reach = (id: number, node: GraphNode) => {
      if (nodes.has(id)) return;
      nodes.set(id, node);
      next.push(id);
    };
    for (const chunk of chunks(frontier)) {
      const kids = await db
        .selectFrom('manifest_children as mc')
        .innerJoin('manifests as m', 'm.id', 'mc.child_id')
        .select(['mc.parent_id', 'mc.child_id', 'm.digest', 'm.state', 'm.trash_entry_id'])
        .where('mc.parent_id', 'in', listOf(db, chunk))
        .orderBy('mc.parent_id')
        .orderBy('mc.position')
        .execute();
      for (const k of kids) {
        push(children, k.parent_id, k.child_id);
        reach(k.child_id, { digest: k.digest, state: k.state, trashEntryId: k.trash_entry_id });
      }
      const byDigest = new Map(chunk.map((id) => [nodes.get(id)?.digest ?? '', id]));
      const digests = [...byDigest.keys()];
      // A UNION of two indexed lookups: with an OR SQLite scans every manifest of the
      // repository, once per chunk of a bulk delete.
      const attachedBy = (column: 'subject_digest' | 'signs_digest') =>
        db
          .selectFrom('manifests')
          .select([
            'id',
            'digest',
            'state',
            'trash_entry_id',
            'subject_digest',
            'signs_digest',
            'pushed_at',
          ])
          .where('repository_id', '=', repositoryId)
          .where(column, 'in', listOf(db, digests, 'text'));
      const refs = await attachedBy('subject_digest')
        .union(attachedBy('signs_digest'))
        .orderBy('pushed_at')
        .orderBy('id')
        .execute();
      for (const r of refs) {
        for (const about of [r.subject_digest, r.signs_digest]) {
          const subject = about === null ? undefined : byDigest.get(about);
          if (subject === undefined || subject === r.id) continue;
          push(attached, subject, r.id);
          reach(r.id, { digest: r.digest, state: r.state, trashEntryId: r.trash_entry_id });
        }
      }
    }
    frontier = next;
  }
  const parentState = new Map<number, ManifestState>();
  for (const chunk of chunks([...nodes.keys()])) {
    const rows = await db
      .selectFrom('manifest_children as mc')
      .innerJoin('manifests as p', 'p.id', 'mc.parent_id')
      .select(['mc.parent_id', 'mc.child_id', 'p.state'])
      .where('mc.child_id', 'in', listOf(db, chunk))
      .execute();
    for (const r of rows) {
      push(parents, r.child_id, r.parent_id);
      parentState.set(r.parent_id, r.state);
    }
  }
  const live = (id: number) => (nodes.get(id)?.state ?? parentState.get(id)) === 'live';
  return { graph: { children, parents, attached, live }, nodes };
}

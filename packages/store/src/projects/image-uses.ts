import { sql } from 'kysely';
import { type ImagePointer, MAX_INDEX_DEPTH } from '@berth/domain';
import type { Db, WorkloadKind } from '../database.js';

/** A project workload that points at an image in this registry. */
export interface ImageUseRecord {
  projectId: string;
  project: string;
  region: string;
  kind: WorkloadKind;
  name: string;
  projectDeleted: boolean;
}

interface PointerRow {
  project_id: string;
  project: string;
  region: string;
  status: string;
  kind: WorkloadKind;
  name: string;
  image_repository: string;
  image_tag: string | null;
  image_digest: string | null;
}

/**
 * Pointers count only when their registry is one of this registry's hosts; hosts compare
 * without case, as DNS does.
 */
function pointersInto(db: Db, namespace: string, localHosts: readonly string[]) {
  const hosts = localHosts.map((h) => h.toLowerCase());
  return db
    .selectFrom('project_workloads as w')
    .innerJoin('projects as p', 'p.id', 'w.project_id')
    .select([
      'w.project_id',
      'p.name as project',
      'p.region',
      'p.status',
      'w.kind',
      'w.name',
      'w.image_repository',
      'w.image_tag',
      'w.image_digest',
    ])
    .where('w.image_namespace', '=', namespace)
    .where(sql<string>`lower(w.image_registry)`, 'in', hosts.length > 0 ? hosts : [''])
    .orderBy('p.name')
    .orderBy('w.kind')
    .orderBy('w.name');
}

function useOf(row: PointerRow): ImageUseRecord {
  return {
    projectId: row.project_id,
    project: row.project,
    region: row.region,
    kind: row.kind,
    name: row.name,
    projectDeleted: row.status === 'deleted',
  };
}

export function describeUse(use: ImageUseRecord): string {
  return `project ${use.project}${use.projectDeleted ? ' (deleted, restorable)' : ''}, ${
    use.kind === 'template' ? 'job template' : use.kind
  } ${use.name}`;
}

/**
 * Index digests that hold a given platform image (a child manifest) in a repository, at any
 * level of nesting: a pointer to one platform of a multi-arch image uses the index it came
 * from too, and the index holding that one.
 */
async function parentsOf(
  db: Db,
  namespace: string,
  repository: string,
  childDigests: readonly string[],
): Promise<Map<string, string[]>> {
  const direct = new Map<string, string[]>();
  let frontier = [...new Set(childDigests)];
  for (let depth = 0; frontier.length > 0 && depth <= MAX_INDEX_DEPTH; depth++) {
    const rows = await db
      .selectFrom('manifests as child')
      .innerJoin('repositories as r', 'r.id', 'child.repository_id')
      .innerJoin('namespaces as n', 'n.id', 'r.namespace_id')
      .innerJoin('manifest_children as mc', 'mc.child_id', 'child.id')
      .innerJoin('manifests as parent', 'parent.id', 'mc.parent_id')
      .select(['child.digest as child', 'parent.digest as parent'])
      .where('n.name', '=', namespace)
      .where('r.name', '=', repository)
      .where('child.digest', 'in', frontier)
      .execute();
    frontier = [];
    for (const row of rows) {
      const list = direct.get(row.child) ?? [];
      list.push(row.parent);
      direct.set(row.child, list);
      if (!direct.has(row.parent)) frontier.push(row.parent);
    }
    frontier = [...new Set(frontier)];
  }
  const parents = new Map<string, string[]>();
  for (const child of new Set(childDigests)) {
    const seen = new Set<string>();
    const walk = (d: string) => {
      for (const p of direct.get(d) ?? []) {
        if (seen.has(p)) continue;
        seen.add(p);
        walk(p);
      }
    };
    walk(child);
    if (seen.size > 0) parents.set(child, [...seen]);
  }
  return parents;
}

export function createImageUsesStore(db: Db) {
  return {
    /**
     * Which workloads use each of a page of images: a pointer by digest (a digest is what is
     * pulled, even when a tag is written beside it) uses that image, or the index holding that
     * platform image; a pointer by tag alone uses whichever image holds the tag now.
     */
    async ofImages(
      namespace: string,
      repository: string,
      images: readonly { digest: string; tags: readonly string[] }[],
      localHosts: readonly string[],
    ): Promise<Map<string, ImageUseRecord[]>> {
      const uses = new Map<string, ImageUseRecord[]>();
      if (images.length === 0) return uses;
      const rows = await pointersInto(db, namespace, localHosts)
        .where('w.image_repository', '=', repository)
        .execute();
      if (rows.length === 0) return uses;
      const byTag = new Map<string, string>();
      const digests = new Set<string>();
      for (const image of images) {
        digests.add(image.digest);
        for (const tag of image.tags) byTag.set(tag, image.digest);
      }
      const unmatched = rows
        .map((r) => r.image_digest)
        .filter((d): d is string => d !== null && !digests.has(d));
      const parents = await parentsOf(db, namespace, repository, [...new Set(unmatched)]);
      const add = (digest: string, row: PointerRow) => {
        const list = uses.get(digest) ?? [];
        list.push(useOf(row));
        uses.set(digest, list);
      };
      for (const row of rows) {
        if (row.image_digest !== null) {
          if (digests.has(row.image_digest)) add(row.image_digest, row);
          for (const parent of parents.get(row.image_digest) ?? []) {
            if (digests.has(parent)) add(parent, row);
          }
        } else if (row.image_tag !== null) {
          const holder = byTag.get(row.image_tag);
          if (holder !== undefined) add(holder, row);
        }
      }
      return uses;
    },

    /**
     * Every pointer into a namespace, for retention: soft-deleted projects count, since a
     * restore must find its images. A pointer to a platform image also protects its index.
     */
    async pointersForNamespace(
      namespace: string,
      localHosts: readonly string[],
    ): Promise<ImagePointer[]> {
      const rows = await pointersInto(db, namespace, localHosts).execute();
      const pointers: ImagePointer[] = [];
      const digestsByRepository = new Map<string, Set<string>>();
      for (const row of rows) {
        const usedBy = describeUse(useOf(row));
        if (row.image_digest !== null) {
          pointers.push({
            repository: row.image_repository,
            reference: { digest: row.image_digest },
            usedBy,
          });
          const set = digestsByRepository.get(row.image_repository) ?? new Set<string>();
          set.add(row.image_digest);
          digestsByRepository.set(row.image_repository, set);
        } else if (row.image_tag !== null) {
          pointers.push({
            repository: row.image_repository,
            reference: { tag: row.image_tag },
            usedBy,
          });
        }
      }
      const direct = [...pointers];
      for (const [repository, digests] of digestsByRepository) {
        const parents = await parentsOf(db, namespace, repository, [...digests]);
        for (const pointer of direct) {
          if (pointer.repository !== repository || !('digest' in pointer.reference)) continue;
          for (const parent of parents.get(pointer.reference.digest) ?? []) {
            pointers.push({ repository, reference: { digest: parent }, usedBy: pointer.usedBy });
          }
        }
      }
      return pointers;
    },
  };
}

import { ConflictError } from '@berth/domain';
import { sql } from 'kysely';
import type { Db } from '../database.js';
import { engineOf } from '../store-handle.js';

/*
 * A repository delete fills its set after it is recorded, from the images listed then, so an
 * image restored into the repository while it runs would be deleted again by it (or, restored
 * behind its chunks, left as the one image of a repository the person deleted). What an
 * administrator expects instead: while a repository is being deleted, nothing is restored into
 * it; the request is refused with the operation to wait for, and tried again once it has ended
 * (or after a failed delete was undone). The other way round too: while a restore operation
 * brings images back into a repository, the repository cannot be deleted.
 */

interface Deleting {
  operationId: number;
  repositoryId: number;
  repository: string;
  undoing: boolean;
}

/** Repositories of this namespace that a running repository delete works on. */
async function repositoriesBeingDeleted(trx: Db, namespaceId: number): Promise<Deleting[]> {
  // operations_state (state, id) holds the few running operations; their params name the
  // repositories.
  // params is JSON kept as text on both engines; PostgreSQL reads it as jsonb.
  const repositories =
    engineOf(trx) === 'postgres'
      ? sql`jsonb_array_elements(CAST(o.params AS jsonb) -> 'repositories') j (value)`
      : sql`json_each(o.params, '$.repositories') j`;
  const rows = await sql<{ id: number; undo: string | null; repo_id: number; repo: string }>`
    SELECT o.id, o.undo, j.value ->> 'id' AS repo_id, j.value ->> 'name' AS repo
    FROM operations o, ${repositories}
    WHERE o.state = 'running' AND o.kind = 'repository.delete' AND o.namespace_id = ${namespaceId}`.execute(
    trx,
  );
  return rows.rows.map((r) => ({
    operationId: r.id,
    repositoryId: Number(r.repo_id),
    repository: r.repo,
    undoing: r.undo !== null,
  }));
}

function refusal(namespace: string, d: Deleting): ConflictError {
  const what = d.undoing
    ? `its delete failed and is being undone by operation ${d.operationId}`
    : `it is being deleted by operation ${d.operationId}`;
  return new ConflictError(
    'REPOSITORY_BEING_DELETED',
    `nothing can be restored into ${namespace}/${d.repository} while ${what}; try again once that operation has ended`,
    { repository: d.repository, operationId: String(d.operationId) },
  );
}

/**
 * Inside the restore's own transaction (so no delete starts between the check and the
 * restore): refuses a restore into any of these repositories while one is being deleted.
 */
export async function refuseRestoreIntoDeleting(
  trx: Db,
  ns: { id: number; name: string },
  repositoryIds: readonly number[],
): Promise<void> {
  const deleting = await repositoriesBeingDeleted(trx, ns.id);
  const hit = deleting.find((d) => repositoryIds.includes(d.repositoryId));
  if (hit) throw refusal(ns.name, hit);
}

/** The same for a run restore: refused when the run has images in the trash of one of them. */
export async function refuseRunRestoreIntoDeleting(
  trx: Db,
  ns: { id: number; name: string },
  runId: number,
): Promise<void> {
  for (const d of await repositoriesBeingDeleted(trx, ns.id)) {
    if (await runHasEntriesIn(trx, runId, d.repositoryId)) throw refusal(ns.name, d);
  }
}

/** Whether retention run `runId` has images of this repository in the trash. */
async function runHasEntriesIn(trx: Db, runId: number, repositoryId: number): Promise<boolean> {
  const held = await trx
    .selectFrom('trash_entries')
    .select('id')
    .where('retention_run_id', '=', runId)
    .where('repository_id', '=', repositoryId)
    .limit(1)
    .executeTakeFirst();
  return held !== undefined;
}

/**
 * Inside the delete's own transaction (so no restore starts between the check and the
 * delete): refuses deleting any of these repositories while a restore operation (restore
 * repository, or a run restore with images in one of them) brings images back into it, or
 * while a failed repository delete or retention confirm is being undone and puts images back
 * into it (a delete started meanwhile would list only what the undo had put back so far, and
 * leave the rest of the repository live once the undo ends).
 */
export async function refuseDeleteWhileRestoring(
  trx: Db,
  ns: { id: number; name: string },
  repositories: readonly { id: number; name: string }[],
): Promise<void> {
  const fields =
    engineOf(trx) === 'postgres'
      ? sql`CAST(params AS jsonb) ->> 'repositoryId' AS repo_id,
      CAST(params AS jsonb) ->> 'runId' AS run_id,
      CAST(params AS jsonb) -> 'repositories' #>> '{}' AS repositories`
      : sql`params ->> '$.repositoryId' AS repo_id,
      params ->> '$.runId' AS run_id, params -> '$.repositories' AS repositories`;
  const running = await sql<{
    id: number;
    kind: string;
    undoing: number | boolean;
    repo_id: number | string | null;
    run_id: number | string | null;
    repositories: string | null;
  }>`
    SELECT id, kind, undo IS NOT NULL AS undoing, ${fields}
    FROM operations
    WHERE state = 'running' AND namespace_id = ${ns.id}
      AND (kind IN ('trash.restore', 'retention.run.restore')
        OR (undo IS NOT NULL AND kind IN ('repository.delete', 'retention.confirm')))`.execute(trx);
  for (const op of running.rows) {
    for (const repo of repositories) {
      if (!(await restoresInto(trx, op, repo.id))) continue;
      const how = op.undoing
        ? `operation ${op.id} failed and is being undone, which puts images back into it`
        : `operation ${op.id} restores images into it`;
      throw new ConflictError(
        'REPOSITORY_BEING_RESTORED',
        `${ns.name}/${repo.name} cannot be deleted while ${how}; try again once that operation has ended`,
        { repository: repo.name, operationId: String(op.id) },
      );
    }
  }
}

/** Whether running operation `op` (a restore, or an undo) brings images into `repositoryId`. */
async function restoresInto(
  trx: Db,
  op: {
    kind: string;
    repo_id: number | string | null;
    run_id: number | string | null;
    repositories: string | null;
  },
  repositoryId: number,
): Promise<boolean> {
  switch (op.kind) {
    case 'trash.restore':
      return Number(op.repo_id) === repositoryId;
    case 'repository.delete': {
      const repos = JSON.parse(op.repositories ?? '[]') as { id: number }[];
      return repos.some((r) => r.id === repositoryId);
    }
    default:
      // A run restore, or a retention confirm's undo: the run's entries say which repositories.
      return runHasEntriesIn(trx, Number(op.run_id), repositoryId);
  }
}

import { NotFoundError } from '@berth/domain';
import type { Db } from '../database.js';
import type { ActionContext } from '../context.js';
import { recordAudit } from '../audit-store.js';
import { manifestColumns } from '../images-store.js';
import { resolveNamespace, resolveRepository } from '../resolve.js';
import { trashImages } from '../trash-images.js';
import { listOf } from '../sql-lists.js';
import { rolledBack } from './trashing-undo.js';
import { refuseDeleteWhileRestoring } from './restore-while-deleting.js';
import {
  type ChunkOutcome,
  type OperationRecord,
  type ItemSource,
  createOperation,
  operationItemsAfter,
} from './operations-store.js';
import { LISTED } from '../listed.js';

/*
 * Deleting repositories (every live image of each to the trash) as an operation: the images
 * are fixed when it starts (bounded by the last manifest id then), so one pushed meanwhile
 * stays; chunks trash them set-based.
 */

interface Params {
  repositories: { id: number; name: string }[];
  /** The last manifest id at the start: the set is filled after it, and nothing newer joins. */
  upTo?: number;
}

interface Progress {
  after: number;
  /** Per repository id: images and bytes trashed so far. */
  trashed: Record<string, { images: number; sizeBytes: number }>;
}

export interface RepositoriesTrashedResult {
  repositories: { name: string; images: number; sizeBytes: number }[];
  images: number;
  sizeBytes: number;
}

/**
 * Starts the delete of `repositories` of `namespace`: checks them, and records the operation,
 * claimed by `owner`, whose set (every listed image of each, by repository then id) the runner
 * fills in pieces from repositoryDeleteItems before its first chunk.
 */
export async function startRepositoryDelete(
  db: Db,
  namespace: string,
  repositories: readonly string[],
  ctx: ActionContext,
  claim: { owner: string; leaseMs: number },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ns = await resolveNamespace(trx, namespace);
    const repos: { id: number; name: string; imageCount: number }[] = [];
    for (const name of [...new Set(repositories)]) {
      const repo = await resolveRepository(trx, ns, name);
      if (repo.image_count === 0) {
        throw new NotFoundError(
          'REPOSITORY_EMPTY',
          `repository "${namespace}/${name}" has no images to delete`,
        );
      }
      repos.push({ id: repo.id, name: repo.name, imageCount: repo.image_count });
    }
    await refuseDeleteWhileRestoring(trx, ns, repos);
    const last = await trx
      .selectFrom('manifests')
      .select((eb) => eb.fn.max<number | null>('id').as('id'))
      .executeTakeFirst();
    const id = await createOperation(trx, {
      kind: 'repository.delete',
      namespace,
      namespaceId: ns.id,
      target: repos.map((r) => `${namespace}/${r.name}`).join(', '),
      actor: ctx.actor,
      params: {
        repositories: repos.map(({ id, name }) => ({ id, name })),
        upTo: Number(last?.id ?? 0),
      } satisfies Params,
      now: ctx.now,
      ...claim,
      // What the counters say now; the set, filled in pieces by the runner, settles it.
      filledLater: { expected: repos.reduce((n, r) => n + r.imageCount, 0) },
    });
    return id;
  });
}

/**
 * The set of a repository delete, filled in pieces after its start (store.operations.fillStep):
 * per repository (part), its listed images up to the last manifest id at the start, by id.
 */
export function repositoryDeleteItems(
  trx: Db,
  op: OperationRecord,
  part: number,
  afterId: number,
): ItemSource | null {
  const { repositories, upTo } = op.params as Params;
  const repo = repositories[part];
  if (!repo || upTo === undefined) return null;
  return trx
    .selectFrom('manifests')
    .select(['id as item_id', 'revision'])
    .where('repository_id', '=', repo.id)
    .where('listed', '=', LISTED)
    .where('id', '>', afterId)
    .where('id', '<=', upTo);
}

/** One chunk: the next `budget` images of the set that are still live images go to the trash. */
export async function repositoryDeleteChunk(
  trx: Db,
  op: OperationRecord,
  budget: number,
  now: number,
): Promise<ChunkOutcome> {
  const params = op.params as Params;
  const progress = (op.progress as Progress | null) ?? { after: 0, trashed: {} };
  const items = await operationItemsAfter(trx, op.id, progress.after, budget);
  const namespaceId = op.namespaceId ?? 0;
  const rows = await trx
    .selectFrom('manifests')
    .select(manifestColumns)
    .where(
      'id',
      'in',
      listOf(
        trx,
        items.map((i) => i.itemId),
      ),
    )
    .where('state', '=', 'live')
    .where('listed', '=', LISTED)
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const trashed = { ...progress.trashed };
  for (const repo of params.repositories) {
    // In the set's order, so the attribution of shared children is the one-by-one one.
    const seeds = items
      .map((i) => byId.get(i.itemId))
      .filter((m) => m !== undefined && m.repository_id === repo.id)
      .map((m) => m!);
    if (seeds.length === 0) continue;
    const out = await trashImages(
      trx,
      { namespaceId, repositoryId: repo.id, repositoryName: repo.name },
      seeds,
      'repository-deleted',
      { actor: op.actor, now },
      { unavailable: 'skip', operationId: op.id },
    );
    const sofar = trashed[repo.id] ?? { images: 0, sizeBytes: 0 };
    trashed[repo.id] = {
      images: sofar.images + out.length,
      sizeBytes: sofar.sizeBytes + out.reduce((s, t) => s + t.sizeBytes, 0),
    };
  }
  const after = items.at(-1)?.seq ?? progress.after;
  return {
    handled: items.length,
    progress: { after, trashed } satisfies Progress,
    finished: after >= op.total || items.length < budget,
  };
}

/** The result body (what the endpoint answers when it fits one chunk) and the audit entry. */
export async function finishRepositoryDelete(
  trx: Db,
  op: OperationRecord,
  now: number,
): Promise<RepositoriesTrashedResult> {
  const params = op.params as Params;
  const progress = (op.progress as Progress | null) ?? { after: 0, trashed: {} };
  const repositories = params.repositories.map((r) => ({
    name: r.name,
    images: progress.trashed[r.id]?.images ?? 0,
    sizeBytes: progress.trashed[r.id]?.sizeBytes ?? 0,
  }));
  const totals = {
    repositories,
    images: repositories.reduce((s, r) => s + r.images, 0),
    sizeBytes: repositories.reduce((s, r) => s + r.sizeBytes, 0),
  };
  await recordAudit(trx, now, {
    actor: op.actor,
    action: 'repository.delete',
    target: op.namespace,
    outcome: 'success',
    details: { ...totals, operationId: String(op.id) },
  });
  return totals;
}

/**
 * A failed delete has been undone (what its chunks had moved is back, see undoTrashingChunk):
 * the audit entry says why it failed and how many images went back.
 */
export async function failRepositoryDelete(
  trx: Db,
  op: OperationRecord,
  error: { code: string; message: string },
  now: number,
): Promise<void> {
  await recordAudit(trx, now, {
    actor: op.actor,
    action: 'repository.delete',
    target: op.namespace,
    outcome: 'failure',
    details: {
      repositories: (op.params as Params).repositories.map((r) => r.name),
      error: error.message,
      rolledBack: rolledBack(op),
      operationId: String(op.id),
    },
  });
}

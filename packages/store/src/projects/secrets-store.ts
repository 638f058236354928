import { ConflictError } from '@berth/domain';
import type { Selectable } from 'kysely';
import type { Db, ProjectSecretsTable } from '../database.js';
import type { ActionContext } from '../context.js';
import { auditChild, childExists, childKinds, childUnknown, requireRoom } from './child-kinds.js';
import { parseJson, projectUnknown, requireActiveProject, requireProject } from './project-rows.js';

export type SecretType = ProjectSecretsTable['type'];

/**
 * A secret as the caller sealed it. `id` is fresh for every write and bound into the
 * ciphertext, so a sealed value cannot be replayed into another secret or an older version.
 */
export interface SealedSecretInput {
  id: string;
  type: SecretType;
  /** Key names of the values (shown); the values themselves are only in `sealed`. */
  keys: string[];
  server: string | null;
  username: string | null;
  sealed: Uint8Array;
}

/** What may be shown of a secret. */
export interface SecretRecord {
  name: string;
  type: SecretType;
  keys: string[];
  server: string | null;
  username: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A secret with what opening it takes: its sealed values and its project's wrapped data key. */
export interface SealedSecretRecord {
  projectId: string;
  secretId: string;
  type: SecretType;
  server: string | null;
  username: string | null;
  sealed: Uint8Array;
  keyId: string;
  wrappedDataKey: Uint8Array;
}

const shown = ['name', 'type', 'keys', 'server', 'username', 'created_at', 'updated_at'] as const;

function toRecord(r: Pick<Selectable<ProjectSecretsTable>, (typeof shown)[number]>): SecretRecord {
  return {
    name: r.name,
    type: r.type,
    keys: parseJson<string[]>(r.keys),
    server: r.server,
    username: r.username,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Audit entries name the secret and its keys, never a value. */
const auditDetails = (input: SealedSecretInput) => ({
  type: input.type,
  keys: input.keys,
  ...(input.server !== null ? { server: input.server } : {}),
});

export function createSecretsStore(db: Db) {
  const kind = childKinds.secret;
  const one = (trx: Db, projectId: string, name: string) =>
    trx
      .selectFrom('project_secrets')
      .select(shown)
      .where('project_id', '=', projectId)
      .where('name', '=', name);
  const written = async (trx: Db, projectId: string, name: string) =>
    toRecord(await one(trx, projectId, name).executeTakeFirstOrThrow());

  return {
    async list(projectId: string): Promise<SecretRecord[]> {
      await requireProject(db, projectId);
      const rows = await db
        .selectFrom('project_secrets')
        .select(shown)
        .where('project_id', '=', projectId)
        .orderBy('name')
        .execute();
      return rows.map(toRecord);
    },

    async get(projectId: string, name: string): Promise<SecretRecord> {
      const project = await requireProject(db, projectId);
      const row = await one(db, projectId, name).executeTakeFirst();
      if (!row) throw childUnknown(kind, project, name);
      return toRecord(row);
    },

    /** For the platform runtime (never over HTTP): what opening the secret takes. */
    async sealed(projectId: string, name: string): Promise<SealedSecretRecord> {
      const row = await db
        .selectFrom('projects as p')
        .leftJoin('project_secrets as s', (join) =>
          join.onRef('s.project_id', '=', 'p.id').on('s.name', '=', name),
        )
        .select([
          'p.name as project',
          'p.key_id',
          'p.data_key',
          's.id',
          's.type',
          's.server',
          's.username',
          's.sealed',
        ])
        .where('p.id', '=', projectId)
        .executeTakeFirst();
      if (!row) throw projectUnknown(projectId);
      if (row.id === null || row.type === null || row.sealed === null) {
        throw childUnknown(kind, { name: row.project }, name);
      }
      return {
        projectId,
        secretId: row.id,
        type: row.type,
        server: row.server,
        username: row.username,
        sealed: row.sealed,
        keyId: row.key_id,
        wrappedDataKey: row.data_key,
      };
    },

    async create(
      projectId: string,
      name: string,
      input: SealedSecretInput,
      ctx: ActionContext,
    ): Promise<SecretRecord> {
      return db.transaction().execute(async (trx) => {
        const project = await requireActiveProject(trx, projectId);
        if (await one(trx, projectId, name).executeTakeFirst()) {
          throw childExists(kind, project, name);
        }
        requireRoom(kind, project, project.counts.secrets);
        await trx
          .insertInto('project_secrets')
          .values({
            project_id: projectId,
            name,
            id: input.id,
            type: input.type,
            keys: JSON.stringify(input.keys),
            server: input.server,
            username: input.username,
            sealed: input.sealed,
            created_at: ctx.now,
            updated_at: ctx.now,
          })
          .execute();
        await auditChild(trx, ctx, project, kind, 'create', name, auditDetails(input));
        return written(trx, projectId, name);
      });
    },

    /** Replaces every value; the type stays what it was created as. */
    async replace(
      projectId: string,
      name: string,
      input: SealedSecretInput,
      ctx: ActionContext,
    ): Promise<SecretRecord> {
      return db.transaction().execute(async (trx) => {
        const project = await requireActiveProject(trx, projectId);
        const current = await one(trx, projectId, name).executeTakeFirst();
        if (!current) throw childUnknown(kind, project, name);
        if (current.type !== input.type) {
          throw new ConflictError(
            'SECRET_TYPE_FIXED',
            `secret "${name}" is a ${current.type} secret and stays one; delete it and create a ${input.type} secret instead`,
          );
        }
        await trx
          .updateTable('project_secrets')
          .set({
            id: input.id,
            keys: JSON.stringify(input.keys),
            server: input.server,
            username: input.username,
            sealed: input.sealed,
            updated_at: ctx.now,
          })
          .where('project_id', '=', projectId)
          .where('name', '=', name)
          .execute();
        await auditChild(trx, ctx, project, kind, 'update', name, auditDetails(input));
        return written(trx, projectId, name);
      });
    },

    async remove(projectId: string, name: string, ctx: ActionContext): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const project = await requireActiveProject(trx, projectId);
        const current = await one(trx, projectId, name).executeTakeFirst();
        if (!current) throw childUnknown(kind, project, name);
        await trx
          .deleteFrom('project_secrets')
          .where('project_id', '=', projectId)
          .where('name', '=', name)
          .execute();
        await auditChild(trx, ctx, project, kind, 'delete', name, {
          type: current.type,
          keys: parseJson<string[]>(current.keys),
        });
      });
    },
  };
}

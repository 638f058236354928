import type { Db, ProjectStatus } from '../database.js';
import { projectUnknown } from './project-rows.js';

export interface WrappedProjectKey {
  /** Fingerprint of the root key that wrapped it. */
  keyId: string;
  wrapped: Uint8Array;
}

export interface ProjectKeyRecord extends WrappedProjectKey {
  id: string;
}

/** The wrapped data keys: read to seal and open secrets, and re-wrapped by a root key rotation. */
export function createProjectKeysStore(db: Db) {
  return {
    async dataKey(projectId: string): Promise<WrappedProjectKey & { status: ProjectStatus }> {
      const row = await db
        .selectFrom('projects')
        .select(['key_id', 'data_key', 'status'])
        .where('id', '=', projectId)
        .executeTakeFirst();
      if (!row) throw projectUnknown(projectId);
      return { keyId: row.key_id, wrapped: row.data_key, status: row.status };
    },

    /** The root keys (by fingerprint) that wrap stored data keys: each must be configured. */
    async keyIds(): Promise<string[]> {
      const rows = await db.selectFrom('projects').select('key_id').distinct().execute();
      return rows.map((r) => r.key_id);
    },

    /** Every project's wrapped data key, in id order (the rotation walks them). */
    async dataKeys(): Promise<ProjectKeyRecord[]> {
      const rows = await db
        .selectFrom('projects')
        .select(['id', 'key_id', 'data_key'])
        .orderBy('id')
        .execute();
      return rows.map((r) => ({ id: r.id, keyId: r.key_id, wrapped: r.data_key }));
    },

    /**
     * Stores a re-wrapped data key, only if the project still holds the one that was
     * re-wrapped: a concurrent rotation or a purge in between makes this a no-op (false).
     */
    async replaceDataKey(id: string, fromKeyId: string, to: WrappedProjectKey): Promise<boolean> {
      const result = await db
        .updateTable('projects')
        .set({ key_id: to.keyId, data_key: to.wrapped })
        .where('id', '=', id)
        .where('key_id', '=', fromKeyId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

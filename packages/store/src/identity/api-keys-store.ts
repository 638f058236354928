import { ConflictError, type KeyAccess, NotFoundError } from '@berth/domain';
import type { ApiKeysTable, Db } from '../database.js';
import type { ActionContext } from '../context.js';
import { recordAudit } from '../audit-store.js';
import { type UserRecord, toUserRecord } from './users-store.js';

export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  access: KeyAccess;
  namespaces: string[] | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

function toKeyRecord(r: ApiKeysTable): ApiKeyRecord {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    access: r.access === 'read-write' ? 'read-write' : 'read-only',
    namespaces: r.namespaces ? (JSON.parse(r.namespaces) as string[]) : null,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export interface NewApiKey {
  id: string;
  userId: string;
  username: string;
  name: string;
  secretHash: string;
  access: KeyAccess;
  namespaces: string[] | null;
}

export function createApiKeysStore(db: Db) {
  return {
    async listOf(userId: string): Promise<ApiKeyRecord[]> {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toKeyRecord);
    },

    async create(input: NewApiKey, ctx: ActionContext): Promise<ApiKeyRecord> {
      return db.transaction().execute(async (trx) => {
        const clash = await trx
          .selectFrom('api_keys')
          .select('id')
          .where('user_id', '=', input.userId)
          .where('name', '=', input.name)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (clash) {
          throw new ConflictError('API_KEY_EXISTS', `you already have a key named "${input.name}"`);
        }
        await trx
          .insertInto('api_keys')
          .values({
            id: input.id,
            user_id: input.userId,
            name: input.name,
            secret_hash: input.secretHash,
            access: input.access,
            namespaces: input.namespaces ? JSON.stringify(input.namespaces) : null,
            created_at: ctx.now,
            last_used_at: null,
            revoked_at: null,
          })
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'api-key.create',
          target: `${input.username}/${input.name}`,
          outcome: 'success',
          details: { keyId: input.id, access: input.access, namespaces: input.namespaces },
        });
        const row = await trx
          .selectFrom('api_keys')
          .selectAll()
          .where('id', '=', input.id)
          .executeTakeFirstOrThrow();
        return toKeyRecord(row);
      });
    },

    async revoke(userId: string, username: string, id: string, ctx: ActionContext): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('api_keys')
          .selectAll()
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (!row) throw new NotFoundError('API_KEY_UNKNOWN', `you have no API key "${id}"`);
        if (row.revoked_at !== null) return;
        await trx
          .updateTable('api_keys')
          .set({ revoked_at: ctx.now })
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'api-key.revoke',
          target: `${username}/${row.name}`,
          outcome: 'success',
          details: { keyId: id },
        });
      });
    },

    /**
     * The key and its owner, for checking a presented secret; revoked keys included. One
     * query: registry clients present a key with every request.
     */
    async findWithOwner(
      id: string,
    ): Promise<{ key: ApiKeyRecord; secretHash: string; owner: UserRecord } | null> {
      const row = await db
        .selectFrom('api_keys as k')
        .innerJoin('users', 'users.id', 'k.user_id')
        .selectAll('users')
        .select([
          'k.id as key_id',
          'k.user_id as key_user_id',
          'k.name as key_name',
          'k.secret_hash as key_secret_hash',
          'k.access as key_access',
          'k.namespaces as key_namespaces',
          'k.created_at as key_created_at',
          'k.last_used_at as key_last_used_at',
          'k.revoked_at as key_revoked_at',
        ])
        .where('k.id', '=', id)
        .executeTakeFirst();
      if (!row) return null;
      const key = toKeyRecord({
        id: row.key_id,
        user_id: row.key_user_id,
        name: row.key_name,
        secret_hash: row.key_secret_hash,
        access: row.key_access,
        namespaces: row.key_namespaces,
        created_at: row.key_created_at,
        last_used_at: row.key_last_used_at,
        revoked_at: row.key_revoked_at,
      });
      return { key, secretHash: row.key_secret_hash, owner: toUserRecord(row) };
    },

    async markUsed(id: string, now: number): Promise<void> {
      await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
    },
  };
}

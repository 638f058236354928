import type { Db } from '../database.js';
import { type AuditEvent, recordAudit } from '../audit-store.js';
import { type UserRecord, toUserRecord } from './users-store.js';

export interface SessionRecord {
  tokenHash: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  user: UserRecord;
}

export function createSessionsStore(db: Db) {
  return {
    /**
     * A sign-in: the session row, the user's last sign-in time and the audit entry, in one
     * transaction, so a failure (a full disk, say) leaves no session that was never audited.
     */
    async create(
      s: {
        tokenHash: string;
        userId: string;
        csrfToken: string;
        now: number;
        expiresAt: number;
      },
      audit: AuditEvent,
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('sessions')
          .values({
            token_hash: s.tokenHash,
            user_id: s.userId,
            csrf_token: s.csrfToken,
            created_at: s.now,
            last_seen_at: s.now,
            expires_at: s.expiresAt,
          })
          .execute();
        await trx
          .updateTable('users')
          .set({ last_login_at: s.now })
          .where('id', '=', s.userId)
          .execute();
        await recordAudit(trx, s.now, audit);
      });
    },

    /** A sign-out: the session goes and the audit entry is written, together. */
    async close(tokenHash: string, now: number, audit: AuditEvent): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
        await recordAudit(trx, now, audit);
      });
    },

    async find(tokenHash: string): Promise<SessionRecord | null> {
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('users')
        .select([
          'sessions.token_hash',
          'sessions.csrf_token',
          'sessions.created_at as session_created_at',
          'sessions.last_seen_at',
          'sessions.expires_at',
        ])
        .where('sessions.token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) return null;
      return {
        tokenHash: row.token_hash,
        csrfToken: row.csrf_token,
        createdAt: row.session_created_at,
        lastSeenAt: row.last_seen_at,
        expiresAt: row.expires_at,
        user: toUserRecord(row),
      };
    },

    async touch(tokenHash: string, now: number): Promise<void> {
      await db
        .updateTable('sessions')
        .set({ last_seen_at: now })
        .where('token_hash', '=', tokenHash)
        .execute();
    },

    async delete(tokenHash: string): Promise<void> {
      await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
    },

    /** Sessions past their absolute or idle end; returns how many went. */
    async deleteExpired(now: number, idleMs: number): Promise<number> {
      const result = await db
        .deleteFrom('sessions')
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - idleMs)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

import { type SqlBool, type Expression, sql } from 'kysely';
import type { Db } from './database.js';
import { currentRequestId } from './audit-context.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { startsWithText } from './like.js';
import { type Engine, engineOf } from './store-handle.js';

export interface AuditEvent {
  actor: string;
  action: string;
  target: string;
  outcome: 'success' | 'failure';
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  outcome: 'success' | 'failure';
  requestId: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditQuery {
  /** Prefix of the actor ("user:alice", "key:alice/", "policy:"). */
  actor?: string;
  /** Prefix of the action ("namespace.", "session.login"). */
  action?: string;
  /** Entries whose target is the namespace or something in it. */
  namespace?: string;
  outcome?: 'success' | 'failure';
  from?: number;
  to?: number;
}

/** Written inside the same transaction as the change it records. */
export async function recordAudit(db: Db, at: number, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      at,
      actor: event.actor,
      action: event.action,
      target: event.target,
      outcome: event.outcome,
      details: event.details ? JSON.stringify(event.details) : null,
      request_id: currentRequestId(),
    })
    .execute();
}

function filters(q: AuditQuery, engine: Engine): Expression<SqlBool>[] {
  const startsWith = (column: string, text: string) => startsWithText(column, text, engine);
  const where: Expression<SqlBool>[] = [];
  if (q.actor) where.push(startsWith('actor', q.actor));
  if (q.action) where.push(startsWith('action', q.action));
  if (q.namespace) {
    where.push(
      sql<SqlBool>`(target = ${q.namespace} or ${startsWith('target', `${q.namespace}/`)})`,
    );
  }
  if (q.outcome) where.push(sql<SqlBool>`outcome = ${q.outcome}`);
  if (q.from !== undefined) where.push(sql<SqlBool>`at >= ${q.from}`);
  if (q.to !== undefined) where.push(sql<SqlBool>`at <= ${q.to}`);
  return where;
}

type AuditRow = {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  request_id: string | null;
  details: string | null;
};

function toRecord(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    outcome: r.outcome === 'failure' ? 'failure' : 'success',
    requestId: r.request_id,
    details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
  };
}

export function createAuditStore(db: Db) {
  const engine = engineOf(db);
  const select = (q: AuditQuery) =>
    db
      .selectFrom('audit_events')
      .selectAll()
      .where((eb) => eb.and(filters(q, engine)))
      .orderBy('at', 'desc')
      .orderBy('id', 'desc');
  return {
    record: (at: number, event: AuditEvent) => recordAudit(db, at, event),

    /** Newest first, a keyset page at a time. */
    async list(q: AuditQuery & { cursor?: string; limit?: number } = {}) {
      const limit = q.limit ?? 100;
      const after = decodeCursor(q.cursor, ['number', 'number']);
      let qb = select(q).limit(limit + 1);
      if (after) {
        const [at, id] = after;
        qb = qb.where((eb) =>
          eb.or([
            eb('at', '<', Number(at)),
            eb.and([eb('at', '=', Number(at)), eb('id', '<', Number(id))]),
          ]),
        );
      }
      const rows = await qb.execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toRecord),
        nextCursor: rows.length > limit && last ? encodeCursor([last.at, last.id]) : null,
      };
    },

    /** Every matching entry, newest first, in batches: for exports that must not load all at once. */
    async *stream(q: AuditQuery, max: number, batch = 1000): AsyncGenerator<AuditRecord> {
      let cursor: string | undefined;
      let sent = 0;
      while (sent < max) {
        const page = await this.list({ ...q, cursor, limit: Math.min(batch, max - sent) });
        for (const item of page.items) yield item;
        sent += page.items.length;
        if (!page.nextCursor) return;
        cursor = page.nextCursor;
      }
    },
  };
}

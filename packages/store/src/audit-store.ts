import type { Db } from './database.js';

export interface AuditEvent {
  actor: string;
  action: string;
  target: string;
  outcome: 'success' | 'failure';
  details?: Record<string, unknown>;
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
    })
    .execute();
}

export function createAuditStore(db: Db) {
  return {
    record: (at: number, event: AuditEvent) => recordAudit(db, at, event),
    async list(limit = 100) {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        ...r,
        details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
      }));
    },
  };
}

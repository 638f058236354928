import type { AuditEvent, AuditFilter, AuditList } from '@berth/contract';
import { AUDIT_CSV_MAX_ROWS } from '@berth/contract';
import type { AuditQuery, AuditRecord } from '@berth/store';
import type { ServiceDeps } from './deps.js';
import { iso } from './iso.js';
import { csvLine } from './csv.js';

function toEvent(r: AuditRecord): AuditEvent {
  return { ...r, at: iso(r.at) };
}

function toQuery(f: AuditFilter): AuditQuery {
  return {
    actor: f.actor,
    action: f.action,
    namespace: f.namespace,
    outcome: f.outcome,
    from: f.from ? Date.parse(f.from) : undefined,
    to: f.to ? Date.parse(f.to) : undefined,
  };
}

export function createAuditService({ store }: ServiceDeps) {
  return {
    async list(filter: AuditFilter, page: { cursor?: string; limit: number }): Promise<AuditList> {
      const result = await store.audit.list({ ...toQuery(filter), ...page });
      return { items: result.items.map(toEvent), nextCursor: result.nextCursor };
    },

    /**
     * The CSV export a line at a time: the header, then every matching entry up to the
     * export limit, newest first, read from the store in batches.
     */
    async *csvLines(filter: AuditFilter): AsyncGenerator<string> {
      yield csvLine(['time', 'actor', 'action', 'target', 'outcome', 'request_id', 'details']);
      for await (const r of store.audit.stream(toQuery(filter), AUDIT_CSV_MAX_ROWS)) {
        yield csvLine([
          iso(r.at),
          r.actor,
          r.action,
          r.target,
          r.outcome,
          r.requestId ?? '',
          r.details ? JSON.stringify(r.details) : '',
        ]);
      }
    },
  };
}

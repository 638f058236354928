import { z } from 'zod';
import { cursorParam, isoDate, limitParam, page } from './common.js';

export const auditOutcome = z.enum(['success', 'failure']);

export const auditEvent = z.object({
  id: z.number().int(),
  at: isoDate,
  /** user:<name>, key:<user>/<key name>, policy:<namespace>, system:<job>, anonymous. */
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  outcome: auditOutcome,
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});
export type AuditEvent = z.infer<typeof auditEvent>;

const filterText = z.string().max(128).optional();
/** Filters are ANDed; actor and action match a prefix, namespace matches its targets. */
export const auditFilter = z.object({
  actor: filterText,
  action: filterText,
  namespace: z.string().max(64).optional(),
  outcome: auditOutcome.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export type AuditFilter = z.input<typeof auditFilter>;

export const auditListQuery = auditFilter.extend({ cursor: cursorParam, limit: limitParam });
export type AuditListQuery = z.input<typeof auditListQuery>;
export const auditList = page(auditEvent);
export type AuditList = z.infer<typeof auditList>;

/** The CSV export stops at this many rows; narrow the filters for more. */
export const AUDIT_CSV_MAX_ROWS = 100_000;

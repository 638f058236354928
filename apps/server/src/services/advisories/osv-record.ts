import { z } from 'zod';
import {
  type OsvAffected,
  type OsvRange,
  ecosystemBase,
  normalizePackageName,
  severityOf,
} from '@berth/domain';

const RANGE_TYPES: ReadonlySet<string> = new Set(['ECOSYSTEM', 'SEMVER', 'GIT']);
import type { StoredAdvisory } from '@berth/store';

/** Longest text kept of an advisory's summary and details (some details run to pages). */
const MAX_SUMMARY = 1_000;
const MAX_DETAILS = 20_000;

/**
 * The fields of an OSV record (https://ossf.github.io/osv-schema/) Berth reads; anything else
 * a record holds is ignored. Limits keep a hostile file from growing the database unbounded.
 */
const event = z.union([
  z.object({ introduced: z.string().max(256) }),
  z.object({ fixed: z.string().max(256) }),
  z.object({ last_affected: z.string().max(256) }),
  z.object({ limit: z.string().max(256) }),
]);
const range = z.object({
  type: z.string().max(32),
  events: z.array(event).max(10_000),
});
const affected = z.object({
  package: z
    .object({
      ecosystem: z.string().min(1).max(128),
      name: z.string().min(1).max(512),
      purl: z.string().max(1024).optional(),
    })
    .optional(),
  ranges: z.array(range).max(1_000).optional(),
  versions: z.array(z.string().max(256)).max(100_000).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
  ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
});
const timestamp = z.iso.datetime({ offset: true });
export const osvRecordSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'an OSV id is letters, digits and . _ : -'),
  modified: timestamp,
  published: timestamp.optional(),
  withdrawn: timestamp.optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  aliases: z.array(z.string().max(200)).max(1_000).optional(),
  severity: z
    .array(z.object({ type: z.string().max(32), score: z.string().max(512) }))
    .max(20)
    .optional(),
  affected: z.array(affected).max(10_000).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});
export type OsvRecordInput = z.infer<typeof osvRecordSchema>;

export type ParsedAdvisory = { advisory: StoredAdvisory } | { skipped: string };

/**
 * One record, as text, to what Berth stores; or why it is skipped. Only `affected` entries of
 * the ecosystems Berth matches are kept: a record about none of them is skipped.
 */
export function parseOsvRecord(text: string): ParsedAdvisory {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { skipped: 'not valid JSON' };
  }
  const parsed = osvRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    return { skipped: `not an OSV record${where}: ${issue?.message ?? 'invalid'}` };
  }
  const record = parsed.data;
  const matchable: OsvAffected[] = (record.affected ?? []).flatMap((a) =>
    a.package && ecosystemBase(a.package.ecosystem) !== null
      ? [
          {
            ...a,
            package: a.package,
            // Range types a later schema adds are left out: nothing here can evaluate them.
            ranges: (a.ranges ?? []).filter((r): r is OsvRange => RANGE_TYPES.has(r.type)),
          },
        ]
      : [],
  );
  if (matchable.length === 0) {
    return { skipped: `${record.id}: names no package of an ecosystem Berth matches` };
  }
  const { severity, score } = severityOf({ ...record, affected: matchable });
  return {
    advisory: {
      id: record.id,
      modified: Date.parse(record.modified),
      published: record.published ? Date.parse(record.published) : null,
      withdrawn: record.withdrawn ? Date.parse(record.withdrawn) : null,
      summary: (record.summary ?? '').slice(0, MAX_SUMMARY),
      details: (record.details ?? '').slice(0, MAX_DETAILS),
      aliases: record.aliases ?? [],
      severity,
      score,
      affected: matchable,
      packages: matchable.map((a) => ({
        ecosystem: a.package.ecosystem,
        // PyPI names compare after PEP 503 normalization; every other ecosystem's exactly.
        name: normalizePackageName(a.package.ecosystem, a.package.name),
      })),
    },
  };
}

import type { Db } from '../database.js';
import { recordAudit } from '../audit-store.js';
import { chunks } from '../blob-reclaim.js';

/** An advisory as Berth keeps it: the parts of an OSV record that matching and people need. */
export interface StoredAdvisory {
  id: string;
  /** Times in ms since the epoch. */
  modified: number;
  published: number | null;
  withdrawn: number | null;
  summary: string;
  details: string;
  aliases: string[];
  severity: string;
  score: number | null;
  /** The record's `affected` entries Berth can match, as OSV wrote them. */
  affected: unknown[];
  /** (ecosystem, name) of every package those entries name: what a scan looks them up by. */
  packages: { ecosystem: string; name: string }[];
}

export interface AdvisoryBatchResult {
  added: number;
  updated: number;
  unchanged: number;
}

export interface AdvisoryImportSummary extends AdvisoryBatchResult {
  source: string;
  skipped: number;
}

export interface AdvisoryDataStatus {
  advisories: number;
  ecosystems: { ecosystem: string; advisories: number }[];
  lastImport: (AdvisoryImportSummary & { finishedAt: number }) | null;
  /** The newest `modified` time among the advisories: how current the data itself is. */
  newestModified: number | null;
}

/**
 * Imports are incremental: a record already held with the same or a newer `modified` is left
 * as it is, so importing a whole export again changes nothing and re-importing an older one
 * never rolls an advisory back. Each batch is one short transaction.
 */
export function createAdvisoriesStore(db: Db) {
  return {
    async importBatch(
      records: readonly StoredAdvisory[],
      now: number,
    ): Promise<AdvisoryBatchResult> {
      const result: AdvisoryBatchResult = { added: 0, updated: 0, unchanged: 0 };
      if (records.length === 0) return result;
      // The last of a record given twice in one batch wins, as it would over two batches.
      const byId = new Map(records.map((r) => [r.id, r]));
      await db.transaction().execute(async (trx) => {
        const held = new Map<string, number>();
        for (const ids of chunks([...byId.keys()])) {
          const rows = await trx
            .selectFrom('advisories')
            .select(['id', 'modified'])
            .where('id', 'in', ids)
            .execute();
          for (const row of rows) held.set(row.id, Number(row.modified));
        }
        const changed: StoredAdvisory[] = [];
        for (const record of byId.values()) {
          const modified = held.get(record.id);
          if (modified === undefined) result.added++;
          else if (record.modified > modified) result.updated++;
          else {
            result.unchanged++;
            continue;
          }
          changed.push(record);
        }
        for (const batch of chunks(changed.map((r) => r.id))) {
          await trx.deleteFrom('advisory_packages').where('advisory_id', 'in', batch).execute();
          await trx.deleteFrom('advisories').where('id', 'in', batch).execute();
        }
        for (const batch of chunks(changed, 100)) {
          await trx
            .insertInto('advisories')
            .values(
              batch.map((r) => ({
                id: r.id,
                modified: r.modified,
                published: r.published,
                withdrawn: r.withdrawn,
                summary: r.summary,
                details: r.details,
                aliases: JSON.stringify(r.aliases),
                severity: r.severity,
                score: r.score,
                affected: JSON.stringify(r.affected),
                imported_at: now,
              })),
            )
            .execute();
        }
        const packages = changed.flatMap((r) => {
          const unique = new Map(r.packages.map((p) => [`${p.ecosystem}\n${p.name}`, p]));
          return [...unique.values()].map((p) => ({ ...p, advisory_id: r.id }));
        });
        for (const batch of chunks(packages, 300)) {
          await trx.insertInto('advisory_packages').values(batch).execute();
        }
      });
      return result;
    },

    /** Records a finished import and its audit entry together. */
    async recordImport(summary: AdvisoryImportSummary, actor: string, now: number): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('advisory_imports')
          .values({ finished_at: now, ...summary })
          .execute();
        await recordAudit(trx, now, {
          actor,
          action: 'advisories.import',
          target: summary.source,
          outcome: 'success',
          details: {
            added: summary.added,
            updated: summary.updated,
            unchanged: summary.unchanged,
            skipped: summary.skipped,
          },
        });
      });
    },

    /** An import that stopped (a path it could not read): audited, the status unchanged. */
    async recordFailedImport(
      source: string,
      reason: string,
      actor: string,
      now: number,
    ): Promise<void> {
      await recordAudit(db, now, {
        actor,
        action: 'advisories.import',
        target: source,
        outcome: 'failure',
        details: { reason },
      });
    },

    /** When the advisory data last changed (an import that added or updated any), or null. */
    async changedAt(): Promise<number | null> {
      const row = await db
        .selectFrom('advisory_imports')
        .select((eb) => eb.fn.max('finished_at').as('at'))
        .where((eb) => eb.or([eb('added', '>', 0), eb('updated', '>', 0)]))
        .executeTakeFirst();
      return row?.at === null || row?.at === undefined ? null : Number(row.at);
    },

    async status(): Promise<AdvisoryDataStatus> {
      const totals = await db
        .selectFrom('advisories')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('modified').as('newest')])
        .executeTakeFirstOrThrow();
      const ecosystems = await db
        .selectFrom('advisory_packages')
        .select((eb) => ['ecosystem', eb.fn.count<number>('advisory_id').distinct().as('n')])
        .groupBy('ecosystem')
        .orderBy('ecosystem')
        .execute();
      const last = await db
        .selectFrom('advisory_imports')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return {
        advisories: Number(totals.n),
        ecosystems: ecosystems.map((e) => ({ ecosystem: e.ecosystem, advisories: Number(e.n) })),
        lastImport: last
          ? {
              source: last.source,
              added: Number(last.added),
              updated: Number(last.updated),
              unchanged: Number(last.unchanged),
              skipped: Number(last.skipped),
              finishedAt: Number(last.finished_at),
            }
          : null,
        newestModified: totals.newest === null ? null : Number(totals.newest),
      };
    },

    /** The advisories that name any of these packages of one ecosystem, withdrawn ones left out. */
    async forPackages(ecosystem: string, names: readonly string[]): Promise<StoredAdvisory[]> {
      const found: StoredAdvisory[] = [];
      for (const batch of chunks([...new Set(names)])) {
        const rows = await db
          .selectFrom('advisory_packages as p')
          .innerJoin('advisories as a', 'a.id', 'p.advisory_id')
          .selectAll('a')
          .select(['p.name as package_name'])
          .where('p.ecosystem', '=', ecosystem)
          .where('p.name', 'in', batch)
          .where('a.withdrawn', 'is', null)
          .orderBy('a.id')
          .execute();
        for (const row of rows) {
          found.push({
            id: row.id,
            modified: Number(row.modified),
            published: row.published === null ? null : Number(row.published),
            withdrawn: null,
            summary: row.summary,
            details: row.details,
            aliases: JSON.parse(row.aliases) as string[],
            severity: row.severity,
            score: row.score === null ? null : Number(row.score),
            affected: JSON.parse(row.affected) as unknown[],
            packages: [{ ecosystem, name: row.package_name }],
          });
        }
      }
      return found;
    },
  };
}

export type AdvisoriesStore = ReturnType<typeof createAdvisoriesStore>;

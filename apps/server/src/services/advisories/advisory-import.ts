import type { AdvisoryImportSummary, StoredAdvisory, Store } from '@berth/store';
import { osvSourceEntries } from './advisory-sources.js';
import { parseOsvRecord } from './osv-record.js';

/** Records stored per transaction: each one short, so pushes and reads never wait long. */
const BATCH = 500;
/** Reasons kept for the report; the count of skipped records is always whole. */
const KEEP_REASONS = 20;

export interface AdvisoryImportReport extends AdvisoryImportSummary {
  /** The first few records skipped, and why (`origin: reason`). */
  reasons: string[];
}

/**
 * Imports every OSV record under the given paths (see osvSourceEntries), incrementally (see
 * the advisories store), and records the import with its audit entry. A record that cannot be
 * read or is not OSV is skipped and counted; a path that cannot be read at all stops the
 * import with a SourceError, keeping the batches already stored (each is whole on its own, and
 * importing again finishes the rest).
 */
export async function importAdvisories(
  store: Pick<Store, 'advisories'>,
  paths: readonly string[],
  ctx: { actor: string; now: () => number },
): Promise<AdvisoryImportReport> {
  const report: AdvisoryImportReport = {
    source: paths.join(' '),
    added: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    reasons: [],
  };
  const skip = (origin: string, reason: string) => {
    report.skipped++;
    if (report.reasons.length < KEEP_REASONS) report.reasons.push(`${origin}: ${reason}`);
  };
  let batch: StoredAdvisory[] = [];
  const flush = async () => {
    const result = await store.advisories.importBatch(batch, ctx.now());
    report.added += result.added;
    report.updated += result.updated;
    report.unchanged += result.unchanged;
    batch = [];
  };
  try {
    for await (const entry of osvSourceEntries(paths)) {
      if ('unreadable' in entry) {
        skip(entry.origin, entry.unreadable);
        continue;
      }
      const parsed = parseOsvRecord(entry.text);
      if ('skipped' in parsed) skip(entry.origin, parsed.skipped);
      else batch.push(parsed.advisory);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await store.advisories.recordFailedImport(report.source, reason, ctx.actor, ctx.now());
    throw err;
  }
  const { reasons: _reasons, ...summary } = report;
  await store.advisories.recordImport(summary, ctx.actor, ctx.now());
  return report;
}

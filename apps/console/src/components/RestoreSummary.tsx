import type { RestoreManyResult, RestoreResult } from '@berth/contract';
import { plural, pluralize, shortDigest } from '../lib/format';

/** How a tag that another image has taken since is named, before and after a restore. */
export function nowHeldBy(digest: string): string {
  return `now held by ${shortDigest(digest)}`;
}

/** What a restore brought back and, one per line, every tag it could not bring back and why. */
export function RestoreSummary({ results }: { results: RestoreResult[] }) {
  return (
    <div className="berth-restore-summary">
      {results.map(({ restored, skippedTags }) => (
        <div key={`${restored.repository}@${restored.digest}`}>
          <p>
            {restored.repository}@{shortDigest(restored.digest)}{' '}
            {restored.tags.length > 0
              ? `restored with ${plural(restored.tags.length, 'tag')} ${restored.tags.join(', ')}`
              : 'restored without tags'}
            .
          </p>
          {skippedTags.length > 0 ? (
            <ul className="berth-skipped-tags" aria-label="Tags not restored">
              {skippedTags.map((skipped) => (
                <li key={skipped.tag}>
                  Tag <strong>{skipped.tag}</strong> not restored: {skipped.reason}
                  {skipped.heldBy && !skipped.reason.includes(skipped.heldBy.slice(0, 19))
                    ? ` (${nowHeldBy(skipped.heldBy)})`
                    : ''}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ))}
    </div>
  );
}

export function hasSkippedTags(results: RestoreResult[]): boolean {
  return results.some((result) => result.skippedTags.length > 0);
}

/**
 * What a restore of many images brought back (a repository, a selection): the count, and
 * the tags it could not bring back with the reason for each, the first `limit` of them.
 */
export function RestoreManySummary({
  result,
  limit = 5,
}: {
  result: RestoreManyResult;
  limit?: number;
}) {
  const listed = result.skippedTags.slice(0, limit);
  const more = result.skippedTagCount - listed.length;
  return (
    <div className="berth-restore-summary">
      <p>
        {pluralize(result.restored, 'image')} back in{' '}
        {plural(result.restored, 'its repository', 'their repositories')}
        {result.skippedTagCount === 0
          ? plural(result.restored, ' with every tag it had', ' with every tag they had')
          : ''}
        .
      </p>
      {listed.length > 0 ? (
        <ul className="berth-skipped-tags" aria-label="Tags not restored">
          {listed.map((skipped) => (
            <li key={`${skipped.repository}@${skipped.digest}:${skipped.tag}`}>
              Tag <strong>{skipped.tag}</strong> of {skipped.repository}@
              {shortDigest(skipped.digest)} not restored: {skipped.reason}
            </li>
          ))}
          {more > 0 ? (
            <li className="berth-muted">and {pluralize(more, 'more tag')} not restored</li>
          ) : null}
        </ul>
      ) : null}
    </div>
  );
}

export function restoreManyTitle(result: RestoreManyResult, what: string): string {
  return result.skippedTagCount > 0
    ? `Restored ${what}, ${pluralize(result.skippedTagCount, 'tag')} not`
    : `Restored ${what}`;
}

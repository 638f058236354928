import type { RestoreResult } from '@berth/contract';
import { shortDigest } from '../lib/format';

/** What a restore brought back and, one per line, every tag it could not bring back and why. */
export function RestoreSummary({ results }: { results: RestoreResult[] }) {
  return (
    <div className="berth-restore-summary">
      {results.map(({ restored, skippedTags }) => (
        <div key={`${restored.repository}@${restored.digest}`}>
          <p>
            {restored.repository}@{shortDigest(restored.digest)}{' '}
            {restored.tags.length > 0
              ? `restored with ${restored.tags.length === 1 ? 'tag' : 'tags'} ${restored.tags.join(', ')}`
              : 'restored without tags'}
            .
          </p>
          {skippedTags.length > 0 ? (
            <ul className="berth-skipped-tags" aria-label="Tags not restored">
              {skippedTags.map((skipped) => (
                <li key={skipped.tag}>
                  Tag <strong>{skipped.tag}</strong> not restored: {skipped.reason}
                  {skipped.heldBy && !skipped.reason.includes(skipped.heldBy.slice(0, 19))
                    ? ` (now held by ${shortDigest(skipped.heldBy)})`
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

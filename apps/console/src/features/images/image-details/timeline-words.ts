import type { ImageTimelineEntry } from '@berth/contract';

const list = (tags: readonly string[]) => tags.join(', ');
const tagWord = (tags: readonly string[]) => (tags.length === 1 ? 'tag' : 'tags');

/** What an audit entry did to the image, in words (the audit page shows the raw action). */
export function describeTimelineEntry(entry: ImageTimelineEntry): string {
  const withTags = entry.tags.length > 0 ? ` with ${tagWord(entry.tags)} ${list(entry.tags)}` : '';
  const failed = entry.outcome === 'failure' ? ' (failed)' : '';
  switch (entry.action) {
    case 'image.delete':
      return `Moved to the trash${entry.reason === 'retention' ? ' by retention' : ''}${withTags}${failed}`;
    case 'image.restore':
      return `Restored from the trash${withTags}${failed}`;
    case 'tag.delete':
      return `${entry.tags.length === 1 ? 'Tag' : 'Tags'} ${list(entry.tags)} removed${failed}`;
    default:
      return `${entry.action}${failed}`;
  }
}

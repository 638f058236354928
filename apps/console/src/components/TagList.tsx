import { Tag } from '@carbon/react';

/** An image's tags, or a visibly different "untagged" when it has none. */
export function TagList({ tags }: { tags: readonly string[] }) {
  return (
    <div className="berth-tags">
      {tags.length > 0 ? (
        tags.map((tag) => (
          <Tag key={tag} type="blue" size="sm">
            {tag}
          </Tag>
        ))
      ) : (
        <Tag type="outline" size="sm" className="berth-untagged">
          untagged
        </Tag>
      )}
    </div>
  );
}

import { Tag } from '@carbon/react';
import { Link } from 'react-router';

/**
 * An image's tags, or a visibly different "untagged" when it has none. With `linkTo`, each tag
 * is a link (to the image's page): a tag is the name people look for.
 */
export function TagList({
  tags,
  linkTo,
}: {
  tags: readonly string[];
  linkTo?: (tag: string) => string;
}) {
  return (
    <div className="berth-tags">
      {tags.length > 0 ? (
        tags.map((tag) =>
          linkTo ? (
            <Link key={tag} to={linkTo(tag)} className="berth-tag-link">
              <Tag type="blue" size="sm">
                {tag}
              </Tag>
            </Link>
          ) : (
            <Tag key={tag} type="blue" size="sm">
              {tag}
            </Tag>
          ),
        )
      ) : (
        <Tag type="outline" size="sm" className="berth-untagged">
          untagged
        </Tag>
      )}
    </div>
  );
}

import type { SearchResults } from '@berth/contract';
import { routePaths } from '../../app/route-paths';

export type SearchGroupKey = 'namespaces' | 'repositories' | 'tags' | 'digests';

export interface SearchOption {
  /** Unique within one result set; also the option element's id suffix. */
  key: string;
  /** What the person reads and picks: the full name of what it opens. */
  label: string;
  /** Beside the label: a tag's digest, a digest's tags. */
  detail: string | null;
  href: string;
}

export interface SearchGroup {
  key: SearchGroupKey;
  title: string;
  options: SearchOption[];
  /** The group was cut at the server's limit. */
  more: boolean;
}

const TITLES: Record<SearchGroupKey, string> = {
  namespaces: 'Namespaces',
  repositories: 'Repositories',
  tags: 'Tags',
  digests: 'Digests',
};

/** `sha256:0123456789ab…`: enough of a digest to recognise it. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return digest.length > colon + 13 ? `${digest.slice(0, colon + 13)}…` : digest;
}

/**
 * Results as the drop-down shows them, each with where it leads. Tags and digests open their
 * repository's images filtered on them; an image details page would be the better target
 * once the console has one.
 */
export function searchGroups(results: SearchResults): SearchGroup[] {
  const groups: SearchGroup[] = [
    {
      key: 'namespaces',
      title: TITLES.namespaces,
      more: results.namespaces.more,
      options: results.namespaces.items.map((n) => ({
        key: `ns:${n.namespace}`,
        label: n.namespace,
        detail: null,
        href: routePaths.repositories(n.namespace),
      })),
    },
    {
      key: 'repositories',
      title: TITLES.repositories,
      more: results.repositories.more,
      options: results.repositories.items.map((r) => ({
        key: `repo:${r.namespace}/${r.repository}`,
        label: `${r.namespace}/${r.repository}`,
        detail: null,
        href: routePaths.images(r.namespace, r.repository),
      })),
    },
    {
      key: 'tags',
      title: TITLES.tags,
      more: results.tags.more,
      options: results.tags.items.map((t) => ({
        key: `tag:${t.namespace}/${t.repository}:${t.tag}`,
        label: `${t.namespace}/${t.repository}:${t.tag}`,
        detail: shortDigest(t.digest),
        href: routePaths.image(t.namespace, t.repository, t.digest),
      })),
    },
    {
      key: 'digests',
      title: TITLES.digests,
      more: results.digests.more,
      options: results.digests.items.map((d) => ({
        key: `digest:${d.namespace}/${d.repository}@${d.digest}`,
        label: `${d.namespace}/${d.repository}@${shortDigest(d.digest)}`,
        detail: d.tags.length > 0 ? d.tags.join(', ') : 'untagged',
        href: routePaths.image(d.namespace, d.repository, d.digest),
      })),
    },
  ];
  return groups.filter((g) => g.options.length > 0);
}

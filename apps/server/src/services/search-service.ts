import type { Principal } from '@berth/domain';
import type { SearchResults } from '@berth/contract';
import type { ServiceDeps } from './deps.js';
import type { AccessService } from './identity/access-service.js';

/**
 * What each group can match, checked before any lookup: text no name could start with is
 * not searched for (a miss costs a seek per visible repository for tags). Names are
 * lowercase by the OCI grammar; tags keep their case.
 */
const NAMESPACE_PREFIX = /^[a-z0-9_-]+$/;
const REPOSITORY_PREFIX = /^[a-z0-9][a-z0-9._/-]*$/;
const TAG_PREFIX = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
/** `sha256:<hex>`, `sha512:<hex>`, or bare hex taken as sha256. */
const DIGEST_PREFIX = /^(?:(sha256|sha512):)?([0-9a-f]+)$/;
/** Fewer hex digits would match thousands of images in a large registry. */
const MIN_DIGEST_HEX = 4;

function cut<T>(rows: T[], limit: number): { items: T[]; more: boolean } {
  return { items: rows.slice(0, limit), more: rows.length > limit };
}

/** `ns/repo:tagPrefix` (not a digest): the repository it names and the tag prefix. */
function repositoryAndTag(text: string) {
  const colon = text.lastIndexOf(':');
  const slash = text.indexOf('/');
  if (colon < 0 || slash < 0 || slash > colon) return null;
  const namespace = text.slice(0, slash).toLowerCase();
  const repository = text.slice(slash + 1, colon).toLowerCase();
  const tag = text.slice(colon + 1);
  if (!namespace || !repository || (tag !== '' && !TAG_PREFIX.test(tag))) return null;
  return { namespace, repository, tag };
}

/**
 * Search across the registry by prefix, for the console's header: namespaces, repositories
 * (by `ns/repo` or by the repository part alone), tags (or `ns/repo:tag`) and digests,
 * among the namespaces the caller may read, as the namespaces list decides.
 */
export function createSearchService({ store }: ServiceDeps, access: AccessService) {
  return {
    async search(
      principal: Principal,
      query: { q: string; limit: number },
    ): Promise<SearchResults> {
      const text = query.q;
      const lower = text.toLowerCase();
      const { visibility } = await access.namespaceListing(principal);
      // One row past the limit says whether the group has more.
      const scope = { limit: query.limit + 1, ...(visibility ? { visibility } : {}) };

      // The groups are independent reads: on PostgreSQL they run side by side on the pool's
      // connections, so a search takes as long as its slowest group, not their sum (a digest
      // prefix waited ~25 ms for the tags before its own ~25 ms at a million images).
      const namespacesGroup = async () =>
        NAMESPACE_PREFIX.test(lower)
          ? (await store.search.namespaces(lower, scope)).map((namespace) => ({ namespace }))
          : [];

      const repositoriesGroup = async () => {
        if (!REPOSITORY_PREFIX.test(lower)) return [];
        const repositories = await store.search.repositories(lower, scope);
        const slash = lower.indexOf('/');
        if (slash <= 0) return repositories;
        const within = await store.search.repositories(lower.slice(slash + 1), scope, {
          namespace: lower.slice(0, slash),
        });
        const byName = new Map(
          [...within, ...repositories].map((r) => [`${r.namespace}/${r.repository}`, r]),
        );
        // The order each query has: namespace, then repository, in code-point order.
        const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
        return [...byName.values()].sort(
          (a, b) => order(a.namespace, b.namespace) || order(a.repository, b.repository),
        );
      };

      const tagsGroup = async () => {
        const named = repositoryAndTag(text);
        if (named) {
          return store.search.tags(named.tag, scope, {
            namespace: named.namespace,
            repository: named.repository,
          });
        }
        return TAG_PREFIX.test(text) ? store.search.tags(text, scope) : [];
      };

      const digestsGroup = async () => {
        const digest = DIGEST_PREFIX.exec(lower);
        return digest && (digest[2] ?? '').length >= MIN_DIGEST_HEX
          ? store.search.digests(`${digest[1] ?? 'sha256'}:${digest[2]}`, scope)
          : [];
      };

      const [namespaces, repositories, tags, digests] = await Promise.all([
        namespacesGroup(),
        repositoriesGroup(),
        tagsGroup(),
        digestsGroup(),
      ]);

      return {
        query: text,
        namespaces: cut(namespaces, query.limit),
        repositories: cut(repositories, query.limit),
        tags: cut(tags, query.limit),
        digests: cut(digests, query.limit),
      };
    },
  };
}

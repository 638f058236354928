import { InputError, type Principal } from '@berth/domain';
import type { RegistrySearchResults } from '@berth/contract';
import type { ServiceDeps } from '../deps.js';
import type { AccessService } from '../identity/access-service.js';

/** Docker's client asks for 25 by default and at most 100. */
export const SEARCH_DEFAULT_PAGE = 25;
export const SEARCH_MAX_PAGE = 100;
const MAX_QUERY_LENGTH = 255;

function whole(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) {
    throw new InputError('PAGINATION_NUMBER_INVALID', `${name} must be a whole number from 1`);
  }
  return Math.min(Number(text), max);
}

/**
 * Registry search: repositories whose full name contains the query, among those the caller
 * may pull from (public namespaces for anyone, plus the caller's own; admins see all). There
 * are no descriptions or stars in Berth, so those fields are empty.
 */
export function createRepositorySearch({ store }: ServiceDeps, access: AccessService) {
  return {
    async search(
      principal: Principal,
      params: { q?: string; n?: string; page?: string },
    ): Promise<RegistrySearchResults> {
      // `docker search host/term` sends "term"; a full "namespace/term" works too.
      const query = (params.q ?? '').trim().toLowerCase();
      if (query.length > MAX_QUERY_LENGTH) {
        throw new InputError('QUERY_INVALID', `q must be at most ${MAX_QUERY_LENGTH} characters`);
      }
      const pageSize = whole(params.n, 'n', SEARCH_DEFAULT_PAGE, SEARCH_MAX_PAGE);
      const page = whole(params.page, 'page', 1, 1_000_000);
      const { visibility } = await access.namespaceListing(principal);
      const found = await store.repositories.search({
        text: query,
        limit: pageSize,
        offset: (page - 1) * pageSize,
        ...(visibility ? { visibility } : {}),
      });
      return {
        num_results: found.total,
        num_pages: Math.ceil(found.total / pageSize),
        page,
        page_size: pageSize,
        query,
        results: found.names.map((name) => ({
          name,
          description: '',
          star_count: 0,
          is_official: false,
          is_automated: false,
        })),
      };
    },
  };
}

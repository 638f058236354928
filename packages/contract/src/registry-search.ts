import { z } from 'zod';

/** The search path Docker and podman call on a registry (Docker's v1 search API). */
export const REGISTRY_SEARCH_PATH = '/v1/search';

export const registrySearchResult = z.object({
  name: z.string(),
  description: z.string(),
  star_count: z.number().int(),
  is_official: z.boolean(),
  is_automated: z.boolean(),
});

/** `GET /v1/search?q=&n=&page=`, in the shape Docker's and containers/image's clients read. */
export const registrySearchResults = z.object({
  num_results: z.number().int(),
  num_pages: z.number().int(),
  page: z.number().int(),
  page_size: z.number().int(),
  query: z.string(),
  results: z.array(registrySearchResult),
});
export type RegistrySearchResults = z.infer<typeof registrySearchResults>;

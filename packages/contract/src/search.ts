import { z } from 'zod';

export const SEARCH_QUERY_MAX_LENGTH = 200;
/** Results per group: enough to pick from in a header drop-down, never a page of data. */
export const SEARCH_GROUP_DEFAULT = 5;
export const SEARCH_GROUP_MAX = 10;

export const searchQuery = z.object({
  q: z
    .string({ error: 'give the text to search for' })
    .trim()
    .min(1, 'type at least one character to search for')
    .max(SEARCH_QUERY_MAX_LENGTH, `search text is at most ${SEARCH_QUERY_MAX_LENGTH} characters`),
  limit: z.coerce
    .number()
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(SEARCH_GROUP_MAX, `limit must be at most ${SEARCH_GROUP_MAX}`)
    .default(SEARCH_GROUP_DEFAULT),
});
export type SearchQuery = z.input<typeof searchQuery>;

/** One kind of result; `more` says the group was cut at the limit. */
const group = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), more: z.boolean() });

export const searchResults = z.object({
  query: z.string(),
  namespaces: group(z.object({ namespace: z.string() })),
  repositories: group(z.object({ namespace: z.string(), repository: z.string() })),
  tags: group(
    z.object({
      namespace: z.string(),
      repository: z.string(),
      tag: z.string(),
      digest: z.string(),
    }),
  ),
  digests: group(
    z.object({
      namespace: z.string(),
      repository: z.string(),
      digest: z.string(),
      /** The image's first tags by name, to tell digests apart; empty when untagged. */
      tags: z.array(z.string()),
    }),
  ),
});
export type SearchResults = z.infer<typeof searchResults>;

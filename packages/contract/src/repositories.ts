import { z } from 'zod';
import { cursorParam, isoDate, limitParam, orderParam, page, searchParam } from './common.js';

export const repositorySort = z.enum(['name', 'imageCount', 'sizeBytes', 'lastPushedAt']);
export type RepositorySort = z.infer<typeof repositorySort>;

export const repositorySummary = z.object({
  name: z.string(),
  imageCount: z.number().int(),
  sizeBytes: z.number(),
  lastPushedAt: isoDate.nullable(),
});
export type RepositorySummary = z.infer<typeof repositorySummary>;

export const repositoryListQuery = z.object({
  q: searchParam,
  sort: repositorySort.default('name'),
  order: orderParam,
  cursor: cursorParam,
  limit: limitParam,
});
export type RepositoryListQuery = z.input<typeof repositoryListQuery>;
export const repositoryList = page(repositorySummary);
export type RepositoryList = z.infer<typeof repositoryList>;

export const deleteRepositoriesBody = z.object({
  repositories: z.array(z.string().max(255)).min(1).max(100),
});
export type DeleteRepositoriesBody = z.infer<typeof deleteRepositoriesBody>;

export const repositoriesTrashed = z.object({
  repositories: z.array(
    z.object({ name: z.string(), images: z.number().int(), sizeBytes: z.number() }),
  ),
  images: z.number().int(),
  sizeBytes: z.number(),
});
export type RepositoriesTrashed = z.infer<typeof repositoriesTrashed>;

import { z } from 'zod';

/**
 * What downloading a repository as an OCI image layout will hold, asked before the download
 * so the console can show it and a client can check the space it needs.
 */
export const repositoryExportPreview = z.object({
  namespace: z.string(),
  repository: z.string(),
  /** Images listed in the layout's index.json, referrers (signatures, SBOMs) included. */
  images: z.number().int(),
  tags: z.number().int(),
  /** Manifests, configs and layers, each once. */
  contentBytes: z.number().int(),
  /** The size of the tar the download sends (its Content-Length). */
  archiveBytes: z.number().int(),
});
export type RepositoryExportPreview = z.infer<typeof repositoryExportPreview>;

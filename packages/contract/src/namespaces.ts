import { z } from 'zod';
import { cursorParam, isoDate, limitParam, page, searchParam } from './common.js';
import { namespaceRole } from './identity.js';

export const region = z.object({ name: z.string(), namespaceCount: z.number().int() });
export type Region = z.infer<typeof region>;
export const regionList = z.object({
  items: z.array(region),
  defaultRegion: z.string(),
  /** The host clients push to; image pointers into this registry start with it. */
  registryHost: z.string(),
});
export type RegionList = z.infer<typeof regionList>;

export const namespaceSummary = z.object({
  name: z.string(),
  region: z.string(),
  repositoryCount: z.number().int(),
  imageCount: z.number().int(),
  sizeBytes: z.number(),
  trashCount: z.number().int(),
  /** What the trash holds; the quota does not count it (pushes are checked against sizeBytes). */
  trashSizeBytes: z.number(),
  /** Live images only, like sizeBytes: the limit pushes are checked against. */
  quotaBytes: z.number().nullable(),
  /** Anyone, signed in or not, may pull from a public namespace. */
  public: z.boolean(),
  createdAt: isoDate,
  /** What the caller may do here; the console hides what the role does not allow. */
  role: namespaceRole,
});
export type NamespaceSummary = z.infer<typeof namespaceSummary>;

export const namespaceListQuery = z.object({
  region: z.string().max(64).optional(),
  q: searchParam,
  cursor: cursorParam,
  limit: limitParam,
});
export type NamespaceListQuery = z.input<typeof namespaceListQuery>;
export const namespaceList = page(namespaceSummary);
export type NamespaceList = z.infer<typeof namespaceList>;

export const createNamespaceBody = z.object({
  name: z.string().max(64),
  region: z.string().max(64),
  quotaBytes: z.number().int().positive().nullable().optional(),
  public: z.boolean().optional(),
});
export type CreateNamespaceBody = z.infer<typeof createNamespaceBody>;

/** Namespace managers change these; omitted fields stay as they are. */
export const updateNamespaceBody = z.strictObject({
  quotaBytes: z.number().int().positive().nullable().optional(),
  public: z.boolean().optional(),
});
export type UpdateNamespaceBody = z.infer<typeof updateNamespaceBody>;

export const namespaceDeletionPreview = z.object({
  namespace: z.string(),
  repositories: z.number().int(),
  images: z.number().int(),
  trashItems: z.number().int(),
  sizeBytes: z.number(),
  trashSizeBytes: z.number(),
});
export type NamespaceDeletionPreview = z.infer<typeof namespaceDeletionPreview>;

export const namespaceDeleted = namespaceDeletionPreview.extend({ deletedAt: isoDate });
export type NamespaceDeleted = z.infer<typeof namespaceDeleted>;

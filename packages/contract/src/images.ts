import { z } from 'zod';
import { cursorParam, isoDate, limitParam, orderParam, page, searchParam } from './common.js';
import { imageUse } from './projects.js';
import { imageVulnerabilities } from './scans.js';

export const imageSort = z.enum(['pushedAt', 'createdAt', 'sizeBytes']);
export type ImageSort = z.infer<typeof imageSort>;

/**
 * Trust information attached to an image: a `referrer` names it as its OCI `subject` (and is
 * what the /v2 referrers API lists); a `tag-signature` is cosign's tag scheme
 * (`sha256-<hex>.sig`, `.att`, `.sbom` in the same repository). Neither is an image of its own.
 */
export const referrer = z.object({
  digest: z.string(),
  artifactType: z.string().nullable(),
  mediaType: z.string(),
  kind: z.enum(['referrer', 'tag-signature']),
  /** What it is, when Berth can tell: from the tag suffix, or from the artifact type. */
  type: z.enum(['signature', 'attestation', 'sbom']).nullable(),
  /** Tags it holds (a tag signature holds its `sha256-<hex>.sig` tag). */
  tags: z.array(z.string()),
});
export type Referrer = z.infer<typeof referrer>;

export const platform = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().nullable(),
  digest: z.string(),
});

export const imageSummary = z.object({
  digest: z.string(),
  tags: z.array(z.string()),
  mediaType: z.string(),
  artifactType: z.string().nullable(),
  sizeBytes: z.number(),
  createdAt: isoDate.nullable(),
  pushedAt: isoDate,
  referrers: z.array(referrer),
  /** Platform images in the index's own order; through child indexes for a nested index. */
  platforms: z.array(platform),
  /** Project apps and jobs that point at this image (by one of its tags or its digest). */
  usedBy: z.array(imageUse),
  vulnerabilities: imageVulnerabilities.nullable(),
});
export type ImageSummary = z.infer<typeof imageSummary>;

export const imageListQuery = z.object({
  q: searchParam.describe('tag prefix or digest prefix'),
  tagged: z.enum(['true', 'false']).optional(),
  sort: imageSort.default('pushedAt'),
  order: orderParam,
  cursor: cursorParam,
  limit: limitParam,
});
export type ImageListQuery = z.input<typeof imageListQuery>;
export const imageList = page(imageSummary);
export type ImageList = z.infer<typeof imageList>;

export const imageRef = z.object({ repository: z.string().max(255), digest: z.string().max(140) });
export type ImageRef = z.infer<typeof imageRef>;

/** Batch deletes are bounded: one transaction, one confirmation, at most 1000 images. */
export const deleteImagesBody = z.object({ images: z.array(imageRef).min(1).max(1000) });
export type DeleteImagesBody = z.infer<typeof deleteImagesBody>;

export const trashedImage = z.object({
  trashId: z.string(),
  repository: z.string(),
  digest: z.string(),
  tags: z.array(z.string()),
  sizeBytes: z.number(),
});
export const imagesTrashed = z.object({ trashed: z.array(trashedImage) });
export type ImagesTrashed = z.infer<typeof imagesTrashed>;

export const untagged = z.object({ repository: z.string(), tag: z.string(), digest: z.string() });
export type Untagged = z.infer<typeof untagged>;

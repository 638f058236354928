import { z } from 'zod';
import { errorBody, isoDate } from './common.js';
import { referrer } from './images.js';
import { imageUse } from './projects.js';

const platformOf = {
  os: z.string().nullable(),
  architecture: z.string().nullable(),
  variant: z.string().nullable(),
};

/** A tag and the reference that pulls it (`<registry host>/<namespace>/<repository>:<tag>`). */
export const imageDetailsTag = z.object({ name: z.string(), pullReference: z.string() });

/** One manifest of an index, in the index's order; each has its own details page. */
export const imageDetailsPlatform = z.object({
  digest: z.string(),
  mediaType: z.string(),
  /** Its manifest, config and layers (a child index: everything below it). */
  sizeBytes: z.number(),
  ...platformOf,
});

export const imageDetailsLayer = z.object({
  digest: z.string(),
  mediaType: z.string(),
  sizeBytes: z.number(),
  /** Fetched from its own URLs by clients, never stored in this registry. */
  foreign: z.boolean(),
});

export const imageHistoryStep = z.object({
  created: isoDate.nullable(),
  createdBy: z.string().nullable(),
  comment: z.string().nullable(),
  emptyLayer: z.boolean(),
});

export const imageConfigDetails = z.object({
  digest: z.string(),
  mediaType: z.string(),
  sizeBytes: z.number(),
  created: isoDate.nullable(),
  author: z.string().nullable(),
  ...platformOf,
  user: z.string().nullable(),
  workingDir: z.string().nullable(),
  entrypoint: z.array(z.string()).nullable(),
  cmd: z.array(z.string()).nullable(),
  env: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  exposedPorts: z.array(z.string()),
  stopSignal: z.string().nullable(),
});

/** A signature, SBOM or attestation (or other referrer), with what the list does not carry. */
export const imageDetailsReferrer = referrer.extend({
  sizeBytes: z.number(),
  createdAt: isoDate.nullable(),
  pushedAt: isoDate,
});

/** An audit entry about this image in this repository. */
export const imageTimelineEntry = z.object({
  at: isoDate,
  actor: z.string(),
  action: z.string(),
  outcome: z.enum(['success', 'failure']),
  /** The tags it names (deleted with the image, restored, or removed). */
  tags: z.array(z.string()),
  /** Why an image went to the trash (`deleted`, …), when the entry says. */
  reason: z.string().nullable(),
  requestId: z.string().nullable(),
});

/** What holds this manifest: the index it is a platform of, or the image it refers to. */
export const imageDetailsParent = z.object({
  digest: z.string(),
  relation: z.enum(['platform-of', 'refers-to']),
  tags: z.array(z.string()),
});

export const imageDetails = z.object({
  namespace: z.string(),
  repository: z.string(),
  digest: z.string(),
  mediaType: z.string(),
  artifactType: z.string().nullable(),
  kind: z.enum(['image', 'index']),
  /** Manifest + config + layers (+ every manifest below an index), as the images list counts. */
  sizeBytes: z.number(),
  manifestSizeBytes: z.number(),
  createdAt: isoDate.nullable(),
  pushedAt: isoDate,
  tags: z.array(imageDetailsTag),
  pullReference: z.string(),
  parents: z.array(imageDetailsParent),
  platforms: z.array(imageDetailsPlatform),
  /** Null for an index, or an artifact whose config is not an image config. */
  config: imageConfigDetails.nullable(),
  /** Why an image config could not be shown (too large to read, missing, not JSON). */
  configError: errorBody.shape.error.nullable(),
  layers: z.array(imageDetailsLayer),
  history: z.array(imageHistoryStep),
  annotations: z.record(z.string(), z.string()),
  referrers: z.array(imageDetailsReferrer),
  usedBy: z.array(imageUse),
  /** Newest first, at most `TIMELINE_LIMIT` entries. */
  timeline: z.array(imageTimelineEntry),
  timelineTruncated: z.boolean(),
});
export type ImageDetails = z.infer<typeof imageDetails>;
export type ImageDetailsPlatform = z.infer<typeof imageDetailsPlatform>;
export type ImageDetailsReferrer = z.infer<typeof imageDetailsReferrer>;
export type ImageTimelineEntry = z.infer<typeof imageTimelineEntry>;

export const TIMELINE_LIMIT = 50;
/** Configs larger than this are not read for the details page (OCI's manifest limit too). */
export const MAX_CONFIG_DETAILS_BYTES = 4 * 1024 * 1024;

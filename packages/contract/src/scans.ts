import { z } from 'zod';
import { isoDate } from './common.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export const severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severity>;

/** Counts of an image's findings by severity, and how many have a fixed version. */
export const vulnerabilityCounts = z.object({
  critical: z.number().int(),
  high: z.number().int(),
  medium: z.number().int(),
  low: z.number().int(),
  unknown: z.number().int(),
  fixable: z.number().int(),
});
export type VulnerabilityCounts = z.infer<typeof vulnerabilityCounts>;

/**
 * An image's vulnerabilities as lists show them: its newest result's counts (for an index,
 * each severity's highest count among its platforms); null when it has no kept result.
 */
export const imageVulnerabilities = vulnerabilityCounts.extend({
  scannedAt: isoDate,
  /** A scan failed (of a platform, for an index): the counts may be incomplete. */
  failed: z.boolean(),
});
export type ImageVulnerabilities = z.infer<typeof imageVulnerabilities>;

/** One scan of one image manifest: what it found and when (kept 30 days after it). */
export const scanResult = vulnerabilityCounts.extend({
  digest: z.string(),
  generatedAt: isoDate,
  expiresAt: isoDate,
  status: z.enum(['complete', 'failed']),
  /** Why a failed scan failed, in words (a layer that could not be read, and why). */
  error: z.string().nullable(),
  /** The operating system the image is built on (`debian 12`), when it says. */
  distro: z.string().nullable(),
  packages: z.number().int(),
  /**
   * What a complete scan wanted but did not read, in words (a package database larger than the
   * scanner keeps, or a sparse file): its packages are missing from the result.
   */
  notes: z.array(z.string()),
});
export type ScanResult = z.infer<typeof scanResult>;

/** The artifact type (and layer media type) of the SBOMs Berth attaches as OCI referrers. */
export const SBOM_ARTIFACT_TYPE = 'application/vnd.cyclonedx+json';

/**
 * The inventory Berth attached to an image manifest as an OCI referrer (the newest, should
 * there be several): the artifact's digest, and when the result it was made from was generated.
 */
export const attachedSbom = z.object({
  digest: z.string(),
  generatedAt: isoDate,
});
export type AttachedSbom = z.infer<typeof attachedSbom>;

/**
 * An image's vulnerability scan. `queued`: a scan waits or runs. An index is scanned per
 * platform: `platforms` holds each platform image's scan, and `result` is null.
 */
export const imageScan = z.object({
  digest: z.string(),
  queued: z.boolean(),
  result: scanResult.nullable(),
  attachedSbom: attachedSbom.nullable(),
  platforms: z.array(
    z.object({
      digest: z.string(),
      platform: z.string().nullable(),
      queued: z.boolean(),
      result: scanResult.nullable(),
      attachedSbom: attachedSbom.nullable(),
    }),
  ),
});
export type ImageScan = z.infer<typeof imageScan>;

export const scanRequested = z.object({
  /** Image manifests queued: 1 for an image, one per platform for an index. */
  queued: z.number().int(),
});
export type ScanRequested = z.infer<typeof scanRequested>;

export const findingsQuery = z.strictObject({
  severity: severity.optional(),
  /** Part of a package name or an advisory id, any case. */
  q: z.string().max(200).optional(),
  /** For an index: which platform image's findings. */
  platform: z.string().max(200).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type FindingsRequest = z.infer<typeof findingsQuery>;

export const finding = z.object({
  advisoryId: z.string(),
  severity,
  score: z.number().nullable(),
  summary: z.string(),
  package: z.object({
    type: z.string(),
    name: z.string(),
    version: z.string(),
    purl: z.string(),
    /** The layer that added this version of the package. */
    layer: z.string(),
    path: z.string(),
  }),
  /** The first version that fixes it, when there is one. */
  fixed: z.string().nullable(),
});
export type Finding = z.infer<typeof finding>;

export const findingList = z.object({
  /** The result the findings are from; null when the image has none (yet). */
  result: scanResult.nullable(),
  items: z.array(finding),
  total: z.number().int(),
});
export type FindingList = z.infer<typeof findingList>;

/** The exports (CSV of findings, CycloneDX inventory): for an index, which platform. */
export const scanExportQuery = z.strictObject({ platform: z.string().max(200).optional() });

/**
 * What attaching the inventory did, per image manifest (each platform of an index): the
 * referrer's digest, whether it was already attached byte for byte, and the SBOMs Berth had
 * attached from older results, now in the trash. `skipped`: platforms with no usable result.
 */
export const sbomAttached = z.object({
  artifactType: z.literal(SBOM_ARTIFACT_TYPE),
  attached: z.array(
    z.object({
      /** The image manifest the SBOM is about: the referrer's `subject`. */
      subject: z.string(),
      platform: z.string().nullable(),
      digest: z.string(),
      generatedAt: isoDate,
      unchanged: z.boolean(),
      replaced: z.array(z.string()),
    }),
  ),
  skipped: z.array(
    z.object({ subject: z.string(), platform: z.string().nullable(), reason: z.string() }),
  ),
});
export type SbomAttached = z.infer<typeof sbomAttached>;

/**
 * Live images by the state of their newest scan, and their findings summed over images (the
 * same advisory in two images counts twice). An index counts once, as its platforms' worst:
 * each severity's highest count among them. `scanned + failed + notScanned = images`.
 */
export const vulnerabilityTotals = vulnerabilityCounts.extend({
  images: z.number().int(),
  /** Their newest result (of each scanned platform, for an index) is complete. */
  scanned: z.number().int(),
  /** Their newest result (or a platform's) failed. */
  failed: z.number().int(),
  /** No result is kept: never scanned, not a container image (nothing to scan), or expired. */
  notScanned: z.number().int(),
  /** A scan waits or runs for them; they count in one of the three above as well. */
  queued: z.number().int(),
  /** Images whose newest result found at least one vulnerability. */
  withFindings: z.number().int(),
});
export type VulnerabilityTotals = z.infer<typeof vulnerabilityTotals>;

/** A namespace's totals, and its most affected repositories. */
export const namespaceVulnerabilities = vulnerabilityTotals.extend({
  namespace: z.string(),
  /**
   * Up to five repositories whose images have findings, most critical first (then high,
   * medium, low, unknown; then by name).
   */
  mostAffected: z.array(vulnerabilityTotals.extend({ repository: z.string() })),
});
export type NamespaceVulnerabilities = z.infer<typeof namespaceVulnerabilities>;

export const registryVulnerabilitiesQuery = z.strictObject({
  /** Only the namespaces of this region. */
  region: z.string().max(64).optional(),
});
export type RegistryVulnerabilitiesQuery = z.infer<typeof registryVulnerabilitiesQuery>;

/** The totals over every namespace the caller may read, and each one's, by name. */
export const registryVulnerabilities = vulnerabilityTotals.extend({
  namespaces: z.array(vulnerabilityTotals.extend({ namespace: z.string(), region: z.string() })),
});
export type RegistryVulnerabilities = z.infer<typeof registryVulnerabilities>;

import {
  IMAGE_CONFIG_MEDIA_TYPES,
  ImageConfigUnreadable,
  NotFoundError,
  formatBytes,
  isIndexMediaType,
  layersOf,
  parseManifest,
  readImageConfigDetails,
} from '@berth/domain';
import { MAX_CONFIG_DETAILS_BYTES, TIMELINE_LIMIT, type ImageDetails } from '@berth/contract';
import type { ServiceDeps } from './deps.js';
import { imageDataOf } from './encryption/image-data.js';
import { blobIntegrityError } from './encryption/integrity-error.js';
import { manifestSealingOf } from './encryption/manifest-sealing.js';
import { iso, isoOrNull } from './iso.js';
import { requireDigest, requireNamespaceName, requireRepositoryName } from './name-checks.js';

type ConfigPart = Pick<ImageDetails, 'config' | 'configError' | 'history'>;

/** A date a config wrote in its own words, as an ISO date, or null when it is no date. */
function isoFromConfig(value: string | null): string | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

export function createImageDetailsService(deps: ServiceDeps) {
  const { store, projects } = deps;
  // Configs are read decrypted, with the key of the namespace the image is in (issue 18).
  const imageData = imageDataOf(deps);
  // Manifest bytes stored sealed are opened with the same namespace's key.
  const sealing = manifestSealingOf(deps);
  /** The host pull references name: the first of this registry's hosts, as /regions says. */
  const host = projects.registryHosts[0] ?? 'localhost';

  async function readConfig(
    namespace: string,
    descriptor: {
      digest: string;
      mediaType: string;
      size: number;
    },
  ): Promise<ConfigPart> {
    const none = { config: null, history: [] };
    // Artifacts (signatures, SBOMs) carry configs that are not image configs: nothing to show.
    if (!IMAGE_CONFIG_MEDIA_TYPES.includes(descriptor.mediaType)) {
      return { ...none, configError: null };
    }
    if (descriptor.size > MAX_CONFIG_DETAILS_BYTES) {
      return {
        ...none,
        configError: {
          code: 'CONFIG_TOO_LARGE',
          message: `the image config is ${formatBytes(descriptor.size)}; Berth shows configs of up to ${formatBytes(MAX_CONFIG_DETAILS_BYTES)}`,
        },
      };
    }
    const namespaceId = await imageData.namespaceId(namespace);
    let bytes: Buffer | null;
    try {
      bytes = namespaceId === null ? null : await imageData.readAll(namespaceId, descriptor.digest);
    } catch (error) {
      // A config that does not authenticate is not shown, and says why; the rest of the page,
      // from the manifest, still is. ('open': a blob missing meanwhile would read as a lost
      // key, but a config held by a live image is never collected.)
      const integrity = blobIntegrityError(descriptor.digest, error, 'open');
      if (!integrity) throw error;
      deps.logger.error(integrity.details, 'an image config failed its integrity check; not shown');
      return { ...none, configError: { code: integrity.code, message: integrity.message } };
    }
    if (!bytes) {
      return {
        ...none,
        configError: {
          code: 'BLOB_UNKNOWN',
          message: `the image config ${descriptor.digest} is missing from the blob store`,
        },
      };
    }
    try {
      const details = readImageConfigDetails(bytes);
      const { history, created, ...rest } = details;
      return {
        config: {
          digest: descriptor.digest,
          mediaType: descriptor.mediaType,
          sizeBytes: descriptor.size,
          created: isoFromConfig(created),
          ...rest,
        },
        configError: null,
        history: history.map((step) => ({ ...step, created: isoFromConfig(step.created) })),
      };
    } catch (error) {
      if (!(error instanceof ImageConfigUnreadable)) throw error;
      return { ...none, configError: { code: 'CONFIG_INVALID', message: error.message } };
    }
  }

  return {
    async details(namespace: string, repository: string, digest: string): Promise<ImageDetails> {
      requireNamespaceName(namespace);
      requireRepositoryName(namespace, repository);
      requireDigest(digest);
      const record = await store.imageDetails.find(namespace, repository, digest);
      const [timeline, uses] = await Promise.all([
        store.imageDetails.timeline(namespace, repository, digest, record.pushedAt, TIMELINE_LIMIT),
        store.imageUses.ofImages(namespace, repository, [record], projects.registryHosts),
      ]);
      const content = await sealing.open(namespace, record.digest, record.content);
      // Stored bytes were parsed when they were pushed; only synthetic benchmark rows have none.
      const parsed = content ? parseManifest(content, record.mediaType) : null;
      const config: ConfigPart = parsed?.config
        ? await readConfig(namespace, parsed.config)
        : { config: null, configError: null, history: [] };
      const name = `${host}/${namespace}/${repository}`;
      return {
        namespace,
        repository,
        digest: record.digest,
        mediaType: record.mediaType,
        artifactType: record.artifactType,
        kind: isIndexMediaType(record.mediaType) ? 'index' : 'image',
        sizeBytes: record.sizeBytes,
        manifestSizeBytes: record.manifestSize,
        createdAt: isoOrNull(record.createdAt),
        pushedAt: iso(record.pushedAt),
        tags: record.tags.map((tag) => ({ name: tag, pullReference: `${name}:${tag}` })),
        pullReference: `${name}@${record.digest}`,
        parents: record.parents,
        platforms: record.children,
        ...config,
        layers: content ? layersOf(content) : [],
        annotations: parsed?.annotations ?? {},
        referrers: record.referrers.map((r) => ({
          ...r,
          createdAt: isoOrNull(r.createdAt),
          pushedAt: iso(r.pushedAt),
        })),
        usedBy: uses.get(record.digest) ?? [],
        timeline: timeline.entries.map((entry) => ({ ...entry, at: iso(entry.at) })),
        timelineTruncated: timeline.truncated,
      };
    },

    async manifest(namespace: string, repository: string, digest: string) {
      requireNamespaceName(namespace);
      requireRepositoryName(namespace, repository);
      requireDigest(digest);
      const found = await store.imageDetails.manifest(namespace, repository, digest);
      if (!found.content) {
        throw new NotFoundError(
          'MANIFEST_UNKNOWN',
          `Berth holds no bytes for manifest ${digest}: it is a synthetic benchmark image`,
        );
      }
      return {
        mediaType: found.mediaType,
        content: await sealing.open(namespace, digest, found.content),
      };
    },
  };
}

export type ImageDetailsService = ReturnType<typeof createImageDetailsService>;

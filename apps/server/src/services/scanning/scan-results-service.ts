import { NotFoundError } from '@berth/domain';
import type {
  FindingList,
  FindingsRequest,
  ImageScan,
  ScanRequested,
  ScanResult,
  Severity,
} from '@berth/contract';
import type { ScanResultRecord, ScannedImage } from '@berth/store';
import type { ServiceDeps } from '../deps.js';
import { iso } from '../iso.js';
import { requireDigest, requireNamespaceName, requireRepositoryName } from '../name-checks.js';
import type { InventoryPackage } from './inventory/types.js';
import type { ScanService } from './scan-service.js';

function toResult(r: ScanResultRecord): ScanResult {
  return {
    digest: r.digest,
    generatedAt: iso(r.generatedAt),
    expiresAt: iso(r.expiresAt),
    status: r.status,
    error: r.error,
    distro: r.distro,
    packages: r.packages,
    critical: r.critical,
    high: r.high,
    medium: r.medium,
    low: r.low,
    unknown: r.unknown,
    fixable: r.fixable,
  };
}

/** Scans as the API shows them: per image, per platform of an index, and their findings. */
export function createScanResultsService({ store }: ServiceDeps, scanner: ScanService) {
  async function imageOf(namespace: string, repository: string, digest: string) {
    requireNamespaceName(namespace);
    requireRepositoryName(namespace, repository);
    requireDigest(digest);
    const image = await store.scans.image(namespace, repository, digest);
    if (!image) {
      throw new NotFoundError(
        'IMAGE_NOT_FOUND',
        `${namespace}/${repository} has no image ${digest}`,
      );
    }
    return image;
  }

  /** The image manifests a scan of this image covers: itself, or each platform of an index. */
  const scannedManifests = (image: ScannedImage) =>
    image.platforms.length > 0 ? image.platforms : [image];

  return {
    async image(namespace: string, repository: string, digest: string): Promise<ImageScan> {
      const image = await imageOf(namespace, repository, digest);
      const ids = [image.manifestId, ...image.platforms.map((p) => p.manifestId)];
      const [queued, latest] = await Promise.all([
        store.scans.queuedOf(ids),
        store.scans.latestOf(ids),
      ]);
      const resultOf = (id: number, d: string) => {
        const r = latest.get(id);
        return r && r.digest === d ? toResult(r) : null;
      };
      return {
        digest: image.digest,
        queued: queued.has(image.manifestId),
        result: image.platforms.length > 0 ? null : resultOf(image.manifestId, image.digest),
        platforms: image.platforms.map((p) => ({
          digest: p.digest,
          platform: p.platform,
          queued: queued.has(p.manifestId),
          result: resultOf(p.manifestId, p.digest),
        })),
      };
    },

    async request(
      namespace: string,
      repository: string,
      digest: string,
      actor: string,
    ): Promise<ScanRequested> {
      const image = await imageOf(namespace, repository, digest);
      if (!image.live) {
        throw new NotFoundError(
          'IMAGE_NOT_FOUND',
          `${namespace}/${repository}@${digest} is in the trash; restore it to scan it`,
        );
      }
      const manifests = scannedManifests(image);
      await scanner.request(
        manifests.map((m) => m.manifestId),
        `${namespace}/${repository}@${digest}`,
        actor,
      );
      return { queued: manifests.length };
    },

    async findings(
      namespace: string,
      repository: string,
      digest: string,
      query: FindingsRequest,
    ): Promise<FindingList> {
      const image = await imageOf(namespace, repository, digest);
      let target = { manifestId: image.manifestId, digest: image.digest };
      if (image.platforms.length > 0) {
        const chosen = image.platforms.find(
          (p) => p.digest === query.platform || p.platform === query.platform,
        );
        if (!chosen) {
          throw new NotFoundError(
            'PLATFORM_NOT_FOUND',
            query.platform
              ? `${digest} is an index with no platform ${query.platform}`
              : `${digest} is an index: name one of its platforms with ?platform=`,
          );
        }
        target = chosen;
      }
      const latest = await store.scans.latest(target.manifestId, target.digest);
      if (!latest) return { result: null, items: [], total: 0 };
      const [page, inventory] = await Promise.all([
        store.scans.findings(latest.id, {
          severity: query.severity,
          q: query.q,
          offset: query.offset,
          limit: query.limit,
        }),
        store.scans.inventory(latest.id),
      ]);
      const packages = (inventory?.packages ?? []) as InventoryPackage[];
      return {
        result: toResult(latest),
        total: page.total,
        items: page.items.map((f) => {
          const p = packages[f.package];
          return {
            advisoryId: f.advisoryId,
            severity: f.severity as Severity,
            score: f.score,
            summary: f.summary,
            fixed: f.fixed,
            package: {
              type: p?.type ?? 'unknown',
              name: p?.name ?? '',
              version: p?.version ?? '',
              purl: p?.purl ?? '',
              layer: p?.layer ?? '',
              path: p?.path ?? '',
            },
          };
        }),
      };
    },
  };
}

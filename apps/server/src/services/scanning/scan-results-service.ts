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
import { csvLine } from '../csv.js';
import type { InventoryPackage } from './inventory/types.js';
import { cycloneDxJson } from './sbom.js';
import type { ScanService, StoredInventory } from './scan-service.js';
import type { SbomReferrers } from './sbom-referrer.js';

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
    notes: r.notes,
  };
}

/** Scans as the API shows them: per image, per platform of an index, and their findings. */
export function createScanResultsService(
  { store }: ServiceDeps,
  scanner: ScanService,
  sboms: Pick<SbomReferrers, 'attachedTo'>,
) {
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

  /** The image manifest a result is read for: the image, or the named platform of an index. */
  function targetOf(image: ScannedImage, platform: string | undefined) {
    if (image.platforms.length === 0) return { manifestId: image.manifestId, digest: image.digest };
    const chosen = image.platforms.find((p) => p.digest === platform || p.platform === platform);
    if (!chosen) {
      throw new NotFoundError(
        'PLATFORM_NOT_FOUND',
        platform
          ? `${image.digest} is an index with no platform ${platform}`
          : `${image.digest} is an index: name one of its platforms with ?platform=`,
      );
    }
    return chosen;
  }

  /** The newest result of the image (or platform), which an export needs to exist. */
  async function resultFor(
    namespace: string,
    repository: string,
    digest: string,
    platform: string | undefined,
  ) {
    const target = targetOf(await imageOf(namespace, repository, digest), platform);
    const latest = await store.scans.latest(target.manifestId, target.digest);
    if (!latest || latest.status !== 'complete') {
      throw new NotFoundError(
        'SCAN_NOT_FOUND',
        latest
          ? `the newest scan of ${target.digest} failed: ${latest.error ?? 'see the server log'}`
          : `${target.digest} has no scan result; queue one with POST …/scan`,
      );
    }
    const inventory = (await store.scans.inventory(latest.id)) as StoredInventory | null;
    return { target, latest, inventory: inventory ?? { distro: null, packages: [] } };
  }

  /** The image manifests a scan of this image covers: itself, or each platform of an index. */
  const scannedManifests = (image: ScannedImage) =>
    image.platforms.length > 0 ? image.platforms : [image];

  return {
    async image(namespace: string, repository: string, digest: string): Promise<ImageScan> {
      const image = await imageOf(namespace, repository, digest);
      const ids = [image.manifestId, ...image.platforms.map((p) => p.manifestId)];
      const [queued, latest, attached] = await Promise.all([
        store.scans.queuedOf(ids),
        store.scans.latestOf(ids),
        // An index's SBOMs are its platform images' (see sbom-referrer.ts).
        sboms.attachedTo(
          namespace,
          repository,
          scannedManifests(image).map((m) => m.digest),
        ),
      ]);
      const resultOf = (id: number) => {
        const r = latest.get(id);
        return r ? toResult(r) : null;
      };
      return {
        digest: image.digest,
        queued: queued.has(image.manifestId),
        result: image.platforms.length > 0 ? null : resultOf(image.manifestId),
        attachedSbom: image.platforms.length > 0 ? null : (attached.get(image.digest) ?? null),
        platforms: image.platforms.map((p) => ({
          digest: p.digest,
          platform: p.platform,
          queued: queued.has(p.manifestId),
          result: resultOf(p.manifestId),
          attachedSbom: attached.get(p.digest) ?? null,
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
      const target = targetOf(image, query.platform);
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

    /** The inventory of the newest scan as CycloneDX JSON. */
    async sbom(namespace: string, repository: string, digest: string, platform?: string) {
      const { target, latest, inventory } = await resultFor(
        namespace,
        repository,
        digest,
        platform,
      );
      return cycloneDxJson(
        { namespace, repository, digest: target.digest },
        inventory,
        latest.generatedAt,
      );
    },

    /** Every finding of the newest scan, most severe first, as CSV lines (header first). */
    async *findingsCsv(namespace: string, repository: string, digest: string, platform?: string) {
      const { latest, inventory } = await resultFor(namespace, repository, digest, platform);
      yield csvLine(FINDING_COLUMNS);
      const { items } = await store.scans.findings(latest.id, {
        offset: 0,
        limit: Number.MAX_SAFE_INTEGER,
      });
      for (const f of items) {
        const p = inventory.packages[f.package];
        yield csvLine([
          f.advisoryId,
          f.severity,
          f.score === null ? '' : String(f.score),
          p?.name ?? '',
          p?.type ?? '',
          p?.version ?? '',
          f.fixed ?? '',
          p?.purl ?? '',
          p?.layer ?? '',
          p?.path ?? '',
          f.summary,
        ]);
      }
    },
  };
}

const FINDING_COLUMNS = [
  'advisory',
  'severity',
  'score',
  'package',
  'type',
  'installed',
  'fixed',
  'purl',
  'layer',
  'path',
  'summary',
];

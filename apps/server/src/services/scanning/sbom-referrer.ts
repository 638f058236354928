import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { SBOM_ARTIFACT_TYPE, type AttachedSbom, type SbomAttached } from '@berth/contract';
import { ConflictError, MANIFEST_MEDIA_TYPES, NotFoundError } from '@berth/domain';
import type { ClaimedScan, ScannedImage } from '@berth/store';
import { DEFAULT_SCAN_SETTINGS, type ServiceDeps } from '../deps.js';
import { iso } from '../iso.js';
import { requireDigest, requireNamespaceName, requireRepositoryName } from '../name-checks.js';
import type { RegistryService } from '../registry/registry-service.js';
import { cycloneDxJson } from './sbom.js';
import type { StoredInventory } from './scan-service.js';

/**
 * OCI image-spec 1.1's empty descriptor: an artifact without a config names this one. Its
 * blob (`{}`) is pushed too, because Berth, like most registries, refuses a manifest whose
 * config blob it does not hold.
 */
const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
} as const;
const EMPTY_CONFIG_BYTES = Buffer.from('{}');

/**
 * Marks the referrers Berth attached (the time of the scan result each was made from): only
 * those are ever replaced; an SBOM someone pushed with `oras attach` or `cosign` is left alone.
 */
export const SBOM_SCAN_ANNOTATION = 'dev.berth.scan.generated';
/** The file name `oras pull` writes the layer to (it skips layers without a title). */
const SBOM_FILE_NAME = 'sbom.cdx.json';
/** The actor of SBOMs attached after a scan (BERTH_SCAN_ATTACH_SBOM). */
const SCANNER_ACTOR = 'system:scanner';
const REFERRERS_PAGE = 100;

interface Target {
  manifestId: number;
  digest: string;
  platform: string | null;
}

type Attachment = SbomAttached['attached'][number];
/** A manifest's newest result with its inventory, ready to attach. */
interface Usable {
  latest: { generatedAt: number };
  inventory: StoredInventory;
}
type Skipped = SbomAttached['skipped'][number];

/**
 * The artifact manifest that attaches `document` to `subject`. Built from the result alone
 * (no clock), so the same result always gives the same digest.
 */
function artifactManifest(
  subject: { mediaType: string; digest: string; size: number },
  document: Buffer,
  generatedAt: number,
): Buffer {
  const at = iso(generatedAt);
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
      artifactType: SBOM_ARTIFACT_TYPE,
      config: EMPTY_CONFIG,
      layers: [
        {
          mediaType: SBOM_ARTIFACT_TYPE,
          digest: sha256(document),
          size: document.length,
          annotations: { 'org.opencontainers.image.title': SBOM_FILE_NAME },
        },
      ],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: {
        'org.opencontainers.image.created': at,
        [SBOM_SCAN_ANNOTATION]: at,
      },
    }),
  );
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * The inventory of an image's newest scan, attached to the image as an OCI 1.1 referrer
 * (artifact type CycloneDX JSON), so that `oras discover`, `cosign download sbom` and the
 * referrers API find it. It is pushed exactly as a client pushes one, through the registry
 * service: blobs checked and uploaded with their digest verified, quota applied, the manifest
 * ingested with its subject, so it lives and dies with the image like any other referrer.
 *
 * An index gets one SBOM per platform image, each with that platform image as its subject:
 * the inventory describes one filesystem, and clients (cosign's `--platform`, BuildKit's
 * attestations) look for SBOMs per platform.
 */
export function createSbomReferrers(deps: ServiceDeps, registry: RegistryService) {
  const { store, clock, logger } = deps;
  const settings = deps.scanning ?? DEFAULT_SCAN_SETTINGS;

  /** The SBOMs Berth attached to a manifest that are live, newest result first. */
  async function berthSboms(full: string, subject: string) {
    const found: { digest: string; generatedAt: number }[] = [];
    let after: number | undefined;
    do {
      const page = await registry.referrers(full, subject, {
        artifactType: SBOM_ARTIFACT_TYPE,
        limit: REFERRERS_PAGE,
        after,
      });
      for (const m of page.index.manifests) {
        const stamp = m.annotations?.[SBOM_SCAN_ANNOTATION];
        const generatedAt = stamp === undefined ? NaN : Date.parse(stamp);
        if (Number.isFinite(generatedAt)) found.push({ digest: m.digest, generatedAt });
      }
      after = page.next;
    } while (after !== undefined);
    return found.sort((a, b) => b.generatedAt - a.generatedAt || (a.digest < b.digest ? -1 : 1));
  }

  /** Why a manifest's newest result cannot be attached, or the result and its inventory. */
  async function usableResult(target: Target): Promise<Usable | { reason: string }> {
    const latest = await store.scans.latest(target.manifestId, target.digest);
    if (!latest) return { reason: `${target.digest} has no scan result yet` };
    if (latest.status !== 'complete') {
      return {
        reason: `the newest scan of ${target.digest} failed: ${latest.error ?? 'see the server log'}`,
      };
    }
    const inventory = (await store.scans.inventory(latest.id)) as StoredInventory | null;
    return { latest, inventory: inventory ?? { distro: null, packages: [] } };
  }

  /** Uploads a blob the repository lacks, as a client does after a HEAD that found nothing. */
  async function ensureBlob(full: string, bytes: Buffer, digest: string) {
    try {
      await registry.statBlob(full, digest);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await registry.startUpload(full, { digest, body: Readable.from([bytes]) });
    }
  }

  /**
   * Attaches one manifest's newest result. Pushed first, then the SBOMs Berth attached from
   * older results go to the trash: a failure in between leaves both, never neither, and
   * attaching again finishes the job.
   */
  async function attachTo(
    namespace: string,
    repository: string,
    target: Target,
    usable: Usable,
    actor: string,
  ): Promise<Attachment> {
    const full = `${namespace}/${repository}`;
    const { generatedAt } = usable.latest;
    const subject = await registry.getManifest(full, target.digest, undefined, false);
    const document = Buffer.from(
      cycloneDxJson(
        { namespace, repository, digest: target.digest },
        usable.inventory,
        generatedAt,
      ),
    );
    const manifest = artifactManifest(subject, document, generatedAt);
    const digest = sha256(manifest);
    const before = await berthSboms(full, target.digest);
    const unchanged = before.some((s) => s.digest === digest);
    if (!unchanged) {
      await ensureBlob(full, EMPTY_CONFIG_BYTES, EMPTY_CONFIG.digest);
      await ensureBlob(full, document, sha256(document));
      await registry.putManifest(full, digest, MANIFEST_MEDIA_TYPES.ociManifest, manifest, actor);
    }
    // Only older results' SBOMs: of two attaches racing with different results, the newer
    // result's SBOM stays whichever finishes last.
    const older = before.filter((s) => s.digest !== digest && s.generatedAt <= generatedAt);
    const replaced: string[] = [];
    for (const s of older) {
      try {
        // As `DELETE /v2/<name>/manifests/<digest>` would: to the trash, audited.
        await registry.deleteManifest(full, s.digest, actor);
        replaced.push(s.digest);
      } catch (error) {
        // Deleted meanwhile (by a client, or another attach): what was wanted has happened.
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    return {
      subject: target.digest,
      platform: target.platform,
      digest,
      generatedAt: iso(generatedAt),
      unchanged,
      replaced,
    };
  }

  const targetsOf = (image: ScannedImage): Target[] =>
    image.platforms.length > 0
      ? image.platforms
      : [{ manifestId: image.manifestId, digest: image.digest, platform: null }];

  async function audit(
    actor: string,
    target: string,
    outcome: 'success' | 'failure',
    details: Record<string, unknown>,
  ) {
    await store.audit.record(clock(), {
      actor,
      action: 'image.sbom.attach',
      target,
      outcome,
      details,
    });
  }

  return {
    /**
     * Attaches the newest result of the image (of each platform of an index). Platforms whose
     * newest scan is missing or failed are skipped and said so; when nothing can be attached,
     * a 409 says why and nothing changes.
     */
    async attach(
      namespace: string,
      repository: string,
      digest: string,
      actor: string,
    ): Promise<SbomAttached> {
      requireNamespaceName(namespace);
      requireRepositoryName(namespace, repository);
      requireDigest(digest);
      const full = `${namespace}/${repository}`;
      const image = await store.scans.image(namespace, repository, digest);
      if (!image) throw new NotFoundError('IMAGE_NOT_FOUND', `${full} has no image ${digest}`);
      if (!image.live) {
        throw new NotFoundError(
          'IMAGE_NOT_FOUND',
          `${full}@${digest} is in the trash; restore it to attach its SBOM`,
        );
      }
      const targets = targetsOf(image);
      const checked = await Promise.all(
        targets.map(async (target) => ({ target, usable: await usableResult(target) })),
      );
      const skipped: Skipped[] = [];
      const ready: { target: Target; usable: Usable }[] = [];
      for (const { target, usable } of checked) {
        if ('reason' in usable) {
          skipped.push({
            subject: target.digest,
            platform: target.platform,
            reason: usable.reason,
          });
        } else {
          ready.push({ target, usable });
        }
      }
      if (ready.length === 0) {
        const why = skipped.map((s) => (s.platform ? `${s.platform}: ${s.reason}` : s.reason));
        throw new ConflictError(
          'NO_SCAN_RESULT',
          `nothing to attach: ${why.join('; ')}. Scan the image (POST …/scan, or Scan now on its page) and attach its SBOM once the scan has finished`,
        );
      }
      const target = `${full}@${digest}`;
      const attached: Attachment[] = [];
      try {
        for (const r of ready) {
          attached.push(await attachTo(namespace, repository, r.target, r.usable, actor));
        }
      } catch (error) {
        await audit(actor, target, 'failure', {
          attached: attached.map((a) => ({ subject: a.subject, digest: a.digest })),
          error: error instanceof Error ? error.message : String(error),
        });
        throw error;
      }
      await audit(actor, target, 'success', {
        attached: attached.map((a) => ({ subject: a.subject, digest: a.digest })),
        unchanged: attached.filter((a) => a.unchanged).length,
        replaced: attached.flatMap((a) => a.replaced),
        skipped: skipped.length,
      });
      return { artifactType: SBOM_ARTIFACT_TYPE, attached, skipped };
    },

    /**
     * After a scan stored a complete result of a live image (BERTH_SCAN_ATTACH_SBOM): attaches
     * it. A failure (a full quota, the image deleted meanwhile) is logged and audited; the
     * scan's result stands either way.
     */
    async afterScan(scan: ClaimedScan): Promise<void> {
      if (!settings.attachSbom || !scan.live) return;
      const target: Target = { manifestId: scan.manifestId, digest: scan.digest, platform: null };
      const name = `${scan.namespace}/${scan.repository}@${scan.digest}`;
      try {
        const usable = await usableResult(target);
        if ('reason' in usable) return;
        const a = await attachTo(scan.namespace, scan.repository, target, usable, SCANNER_ACTOR);
        await audit(SCANNER_ACTOR, name, 'success', {
          attached: [{ subject: a.subject, digest: a.digest }],
          unchanged: a.unchanged ? 1 : 0,
          replaced: a.replaced,
          skipped: 0,
        });
      } catch (error) {
        logger.warn({ err: error, image: name }, 'attaching the SBOM after a scan failed');
        await audit(SCANNER_ACTOR, name, 'failure', {
          error: error instanceof Error ? error.message : String(error),
        }).catch((err: unknown) => logger.error({ err }, 'audit not recorded'));
      }
    },

    /** The SBOM Berth attached to each of these manifests of a repository, when there is one. */
    async attachedTo(
      namespace: string,
      repository: string,
      digests: readonly string[],
    ): Promise<Map<string, AttachedSbom>> {
      const full = `${namespace}/${repository}`;
      const out = new Map<string, AttachedSbom>();
      for (const d of digests) {
        const newest = (await berthSboms(full, d))[0];
        if (newest) out.set(d, { digest: newest.digest, generatedAt: iso(newest.generatedAt) });
      }
      return out;
    },
  };
}

export type SbomReferrers = ReturnType<typeof createSbomReferrers>;

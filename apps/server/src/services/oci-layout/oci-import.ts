import fs from 'node:fs';
import path from 'node:path';
import {
  BerthError,
  ConflictError,
  MAX_MANIFEST_BYTES,
  NotFoundError,
  checkDigest,
  parseManifest,
  quotaExceededMessage,
} from '@berth/domain';
import type { Store } from '@berth/store';
import type { RegistryService } from '../registry/registry-service.js';
import { parseRepositoryName } from '../registry/repository-name.js';
import {
  LayoutError,
  type LayoutSource,
  openLayoutDirectory,
  openLayoutTar,
} from './layout-archive.js';
import {
  INDEX_FILE,
  OCI_LAYOUT_FILE,
  REF_NAME_ANNOTATION,
  REPOSITORY_ANNOTATION,
  parseRefName,
  type LayoutDescriptor,
} from './layout-format.js';

export interface ImportOptions {
  /** The namespace the images go into; it must exist. */
  namespace: string;
  /** For entries whose ref name and annotations carry no repository. */
  repository?: string;
  /** Who the pushes are recorded as (audit, pushed-by). */
  actor: string;
}

export interface ImportedImage {
  repository: string;
  digest: string;
  tags: string[];
  /** Manifest, config and layers of the image, children of an index included. */
  bytes: number;
  status: 'imported' | 'refused';
  reason?: string;
}

export interface ImportReport {
  namespace: string;
  images: ImportedImage[];
  imported: { images: number; tags: number; bytes: number };
  refused: number;
}

/** One image of the layout to push: its whole tree, in push order. */
interface PlannedImage {
  repository: string;
  digest: string;
  mediaType: string;
  tags: string[];
  /** Blobs (configs, layers) before manifests; children before their index. */
  blobs: { digest: string; size: number }[];
  manifests: { digest: string; mediaType: string }[];
  bytes: number;
  /** Referrers go in after the images they refer to. */
  isReferrer: boolean;
  problem: string | null;
}

/**
 * Imports an OCI image layout (a tar, or a directory) into a namespace. Everything is
 * checked before anything is pushed: the archive's structure and every blob's digest (a
 * corrupt or unsafe archive is refused whole), then each image's tree (every manifest parses,
 * every blob it names is there with the declared size, its repository name and tags are valid).
 * Images that pass are pushed through the registry's own upload and manifest paths, so
 * quotas, audit, scan-on-push and dedup apply as to any push; images that do not are reported
 * and left out. The rule is all-or-nothing per image: an image is visible only once its
 * manifest is put, and a push that fails midway (a quota reached meanwhile) moves what that
 * image had put (platform images of an index) to the trash.
 */
export async function importLayout(
  deps: { store: Store; registry: RegistryService },
  input: string,
  opts: ImportOptions,
): Promise<ImportReport> {
  // Each push is what it is to the registry; the audit log also says an import brought it.
  const audit = (outcome: 'success' | 'failure', details: Record<string, unknown>) =>
    deps.store.audit.record(Date.now(), {
      actor: opts.actor,
      action: 'images.import',
      target: opts.namespace,
      outcome,
      details: { source: path.basename(input), ...details },
    });
  let report: ImportReport;
  try {
    report = await importInput(deps, input, opts);
  } catch (error) {
    if (error instanceof LayoutError || error instanceof BerthError) {
      await audit('failure', { reason: error.message, imported: 0 });
    }
    throw error;
  }
  await audit(report.refused > 0 ? 'failure' : 'success', {
    imported: report.imported.images,
    tags: report.imported.tags,
    bytes: report.imported.bytes,
    refused: report.refused,
  });
  return report;
}

async function importInput(
  deps: { store: Store; registry: RegistryService },
  input: string,
  opts: ImportOptions,
): Promise<ImportReport> {
  // The namespace first: a typo should not cost a multi-gigabyte extraction.
  await deps.store.namespaces.get(opts.namespace).catch((error: unknown) => {
    if (error instanceof NotFoundError) {
      throw new LayoutError(
        `namespace "${opts.namespace}" does not exist; create it first (console or POST /api/v1/namespaces)`,
      );
    }
    throw error;
  });
  const stat = await fs.promises.stat(input).catch(() => null);
  if (!stat) throw new LayoutError(`${input} does not exist`);
  const source = stat.isDirectory() ? openLayoutDirectory(input) : await openLayoutTar(input);
  return importFromSource(deps, source, opts);
}

async function importFromSource(
  deps: { store: Store; registry: RegistryService },
  source: LayoutSource,
  opts: ImportOptions,
): Promise<ImportReport> {
  const descriptors = await readIndex(source);
  const images = await planImages(source, descriptors, opts);
  await requireQuota(deps.store, opts.namespace, images);
  const report: ImportReport = {
    namespace: opts.namespace,
    images: [],
    imported: { images: 0, tags: 0, bytes: 0 },
    refused: 0,
  };
  // Referrers after their subjects, so a signature never arrives before what it signs.
  const ordered = [...images.filter((i) => !i.isReferrer), ...images.filter((i) => i.isReferrer)];
  for (const image of ordered) {
    let problem = image.problem;
    if (problem === null) {
      try {
        await pushImage(deps.registry, source, opts, image);
      } catch (error) {
        if (!(error instanceof BerthError)) throw error;
        problem = error.message;
      }
    }
    const { repository, digest, tags, bytes } = image;
    if (problem === null) {
      report.imported.images++;
      report.imported.tags += tags.length;
      report.imported.bytes += bytes;
      report.images.push({ repository, digest, tags, bytes, status: 'imported' });
    } else {
      report.refused++;
      report.images.push({ repository, digest, tags, bytes, status: 'refused', reason: problem });
    }
  }
  return report;
}

async function readIndex(source: LayoutSource): Promise<LayoutDescriptor[]> {
  let layout: unknown;
  try {
    layout = JSON.parse((await source.readTopFile(OCI_LAYOUT_FILE))?.toString('utf8') ?? '');
  } catch (error) {
    if (error instanceof LayoutError) throw error;
    throw new LayoutError(
      'not an OCI image layout: there is no readable oci-layout file (skopeo writes one with `skopeo copy … oci-archive:<file>`)',
    );
  }
  const version = (layout as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
  if (typeof version !== 'string' || !version.startsWith('1.')) {
    throw new LayoutError(
      `oci-layout says imageLayoutVersion ${JSON.stringify(version)}; Berth reads 1.x`,
    );
  }
  let index: unknown;
  try {
    // Held to MAX_INDEX_BYTES by the source.
    index = JSON.parse((await source.readTopFile(INDEX_FILE))?.toString('utf8') ?? '');
  } catch (error) {
    if (error instanceof LayoutError) throw error;
    throw new LayoutError('not an OCI image layout: index.json is missing or not JSON');
  }
  const manifests = (index as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) throw new LayoutError('index.json has no "manifests" list');
  return manifests.map((d: unknown, i): LayoutDescriptor => {
    const descriptor = d as Partial<LayoutDescriptor> | null;
    if (
      !descriptor ||
      typeof descriptor.digest !== 'string' ||
      !checkDigest(descriptor.digest).ok ||
      typeof descriptor.mediaType !== 'string' ||
      typeof descriptor.size !== 'number'
    ) {
      throw new LayoutError(
        `index.json entry ${i} is not a descriptor with mediaType, digest and size`,
      );
    }
    return descriptor as LayoutDescriptor;
  });
}

/** Groups index.json's entries into images (one per repository and digest, with its tags). */
async function planImages(
  source: LayoutSource,
  descriptors: LayoutDescriptor[],
  opts: ImportOptions,
): Promise<PlannedImage[]> {
  const byKey = new Map<string, PlannedImage>();
  for (const descriptor of descriptors) {
    const annotations = descriptor.annotations ?? {};
    const ref = annotations[REF_NAME_ANNOTATION];
    const parsedRef = ref === undefined ? null : parseRefName(ref);
    const repository =
      parsedRef?.repository ?? annotations[REPOSITORY_ANNOTATION] ?? opts.repository ?? null;
    const key = `${repository ?? ''}@${descriptor.digest}`;
    let image = byKey.get(key);
    if (!image) {
      image = {
        repository: repository ?? '',
        digest: descriptor.digest,
        mediaType: descriptor.mediaType,
        tags: [],
        blobs: [],
        manifests: [],
        bytes: 0,
        isReferrer: false,
        problem: null,
      };
      byKey.set(key, image);
      if (repository === null) {
        image.problem = `${ref === undefined ? 'an untagged entry' : `ref "${ref}"`} names no repository: pass --repository <name>`;
      } else {
        image.problem = nameProblem(opts.namespace, repository);
      }
      if (image.problem === null) {
        try {
          await planTree(source, descriptor, image);
        } catch (error) {
          if (!(error instanceof LayoutError || error instanceof BerthError)) throw error;
          image.problem = error.message;
        }
      }
    }
    if (ref !== undefined) {
      if (parsedRef === null)
        image.problem ??= `ref name "${ref}" is not <repository>:<tag> with a valid tag`;
      else if (!image.tags.includes(parsedRef.tag)) image.tags.push(parsedRef.tag);
    }
  }
  return [...byKey.values()];
}

function nameProblem(namespace: string, repository: string): string | null {
  try {
    parseRepositoryName(`${namespace}/${repository}`);
    return null;
  } catch (error) {
    if (error instanceof BerthError) return error.message;
    throw error;
  }
}

/** Walks an image's manifests and blobs in the layout: all present, sizes as declared. */
async function planTree(
  source: LayoutSource,
  root: LayoutDescriptor,
  image: PlannedImage,
): Promise<void> {
  const blobSize = (digest: string) => source.blobSize(digest);
  const seen = new Set<string>();
  const visit = async (
    descriptor: { digest: string; size: number; mediaType: string },
    top: boolean,
  ) => {
    if (seen.has(descriptor.digest)) return;
    seen.add(descriptor.digest);
    const size = await blobSize(descriptor.digest);
    if (size !== descriptor.size) {
      throw new LayoutError(
        `manifest ${descriptor.digest} is ${size} bytes, its descriptor says ${descriptor.size}`,
      );
    }
    if (size > MAX_MANIFEST_BYTES) {
      throw new LayoutError(
        `manifest ${descriptor.digest} is larger than ${MAX_MANIFEST_BYTES} bytes`,
      );
    }
    const bytes = await source.readBlob(descriptor.digest);
    const parsed = parseManifest(bytes, descriptor.mediaType);
    if (top) {
      image.mediaType = parsed.mediaType;
      image.isReferrer = parsed.subject !== null;
    }
    for (const child of parsed.children) await visit(child, false);
    for (const blob of [...(parsed.config ? [parsed.config] : []), ...parsed.layers]) {
      if (seen.has(blob.digest)) continue;
      seen.add(blob.digest);
      const actual = await blobSize(blob.digest);
      if (actual !== blob.size) {
        throw new LayoutError(
          `blob ${blob.digest} is ${actual} bytes, the manifest says ${blob.size}`,
        );
      }
      image.blobs.push({ digest: blob.digest, size: actual });
      image.bytes += actual;
    }
    image.manifests.push({ digest: descriptor.digest, mediaType: parsed.mediaType });
    image.bytes += size;
  };
  await visit(root, true);
}

/**
 * Refuses the whole import when the images that passed would not fit the namespace's quota:
 * better nothing than an arbitrary half. Counted as the registry counts (each image's own
 * size), so images already stored make it cautious, never lax.
 */
async function requireQuota(store: Store, namespace: string, images: PlannedImage[]) {
  const ns = await store.namespaces.get(namespace);
  if (ns.quotaBytes === null) return;
  const needed = images.filter((i) => i.problem === null).reduce((s, i) => s + i.bytes, 0);
  if (ns.sizeBytes + needed > ns.quotaBytes) {
    throw new ConflictError(
      'QUOTA_EXCEEDED',
      `${quotaExceededMessage({
        namespace,
        usedBytes: ns.sizeBytes,
        quotaBytes: ns.quotaBytes,
        neededBytes: needed,
        what: 'upload',
      })}; nothing was imported`,
    );
  }
}

async function pushImage(
  registry: RegistryService,
  source: LayoutSource,
  opts: ImportOptions,
  image: PlannedImage,
): Promise<void> {
  const full = `${opts.namespace}/${image.repository}`;
  for (const blob of image.blobs) {
    const present = await registry
      .statBlob(full, blob.digest)
      .then(() => true)
      .catch((error: unknown) => {
        if (error instanceof NotFoundError) return false;
        throw error;
      });
    if (present) continue;
    await registry.startUpload(full, {
      digest: blob.digest,
      body: source.openBlob(blob.digest),
    });
  }
  const putChildren: string[] = [];
  try {
    for (const manifest of image.manifests) {
      const bytes = await source.readBlob(manifest.digest);
      const top = manifest.digest === image.digest;
      if (!top) {
        const existed = await registry
          .getManifest(full, manifest.digest, undefined, false)
          .then(() => true)
          .catch(() => false);
        if (!existed) putChildren.push(manifest.digest);
      }
      await registry.putManifest(
        full,
        manifest.digest,
        manifest.mediaType,
        bytes,
        opts.actor,
        top ? image.tags : [],
      );
    }
  } catch (error) {
    // Platform images that went in without their index would show as untagged images.
    for (const digest of putChildren) {
      await registry.deleteManifest(full, digest, opts.actor).catch(() => {});
    }
    throw error;
  }
}

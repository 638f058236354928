import { createHash } from 'node:crypto';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import {
  InputError,
  NotFoundError,
  checkNamespaceName,
  digestAlgorithmOf,
  parseManifest,
} from '@berth/domain';
import type { Store } from '@berth/store';
import type { RegistryService } from '../registry/registry-service.js';
import { parseRepositoryName, requireBlobDigest } from '../registry/repository-name.js';
import {
  INDEX_FILE,
  OCI_INDEX_MEDIA_TYPE,
  OCI_LAYOUT_CONTENT,
  OCI_LAYOUT_FILE,
  REF_NAME_ANNOTATION,
  REPOSITORY_ANNOTATION,
  TAR_END_BYTES,
  blobEntryName,
  refName,
  tarFileBytes,
  tarHeaderBytes,
  type LayoutDescriptor,
  type LayoutIndex,
} from './layout-format.js';

/** Rows per listing query while a plan walks a namespace. */
const PAGE = 500;
/** Entries' mtime: a fixed time keeps two exports of the same images byte-identical. */
const ENTRY_MTIME = new Date(0);

/** What to export: a whole namespace, one repository, or one image by tag or digest. */
export interface ExportSelection {
  namespace: string;
  repository: string | null;
  reference: { tag: string } | { digest: string } | null;
}

/** `ns`, `ns/repo`, `ns/repo:tag` or `ns/repo@sha256:…`, checked against the OCI grammar. */
export function parseExportSelection(text: string): ExportSelection {
  const at = text.indexOf('@');
  let name = at === -1 ? text : text.slice(0, at);
  let reference: ExportSelection['reference'] = null;
  if (at !== -1) reference = { digest: requireBlobDigest(text.slice(at + 1)) };
  const slash = name.indexOf('/');
  if (slash === -1) {
    if (reference) throw new InputError('NAME_INVALID', `"${text}" names no repository`);
    const check = checkNamespaceName(name);
    if (!check.ok) throw new InputError('NAME_INVALID', `namespace "${name}" ${check.reason}`);
    return { namespace: name, repository: null, reference: null };
  }
  const colon = name.lastIndexOf(':');
  if (!reference && colon > slash) {
    reference = { tag: name.slice(colon + 1) };
    name = name.slice(0, colon);
  }
  const parsed = parseRepositoryName(name);
  return { namespace: parsed.namespace, repository: parsed.repository, reference };
}

interface PlannedContent {
  /** The repository (in the namespace) the bytes are read through. */
  repository: string;
  digest: string;
  size: number;
  /** Manifests are read from the registry's manifest store, everything else as a blob. */
  manifest: boolean;
}

export interface ExportPlan {
  namespace: string;
  index: LayoutIndex;
  /** Each blob and manifest once, in the order they are written. */
  contents: PlannedContent[];
  /** Images listed in index.json (tags of one image count once), referrers included. */
  images: number;
  tags: number;
  /** Sum of the blob and manifest sizes. */
  contentBytes: number;
  /** The exact size of the tar: the export's Content-Length. */
  tarBytes: number;
}

/**
 * Works out what an export writes, reading only through the registry's own pull functions:
 * live images and their tags, child manifests of indexes, configs and layers, and referrers
 * (recursively: a signature of an SBOM comes along). Nothing in the trash is listed.
 */
export async function planExport(
  deps: { store: Store; registry: RegistryService },
  selection: ExportSelection,
): Promise<ExportPlan> {
  const { store, registry } = deps;
  const { namespace } = selection;
  const descriptors: LayoutDescriptor[] = [];
  const contents = new Map<string, PlannedContent>();
  const listed = new Set<string>();
  /** Where an entry without a ref name sits in `descriptors`, by `<repository>@<digest>`. */
  const untaggedAt = new Map<string, number>();
  let tags = 0;

  async function walk(repository: string, digest: string): Promise<LayoutDescriptor> {
    const full = `${namespace}/${repository}`;
    const found = await registry.getManifest(full, digest, undefined, true);
    if (!found.content) throw new Error(`manifest ${digest} in ${full} has no stored bytes`);
    const parsed = parseManifest(found.content, found.mediaType);
    const descriptor: LayoutDescriptor = {
      mediaType: found.mediaType,
      digest: found.digest,
      size: found.size,
      ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
    };
    if (contents.has(found.digest)) return descriptor;
    for (const child of parsed.children) await walk(repository, child.digest);
    for (const blob of [...(parsed.config ? [parsed.config] : []), ...parsed.layers]) {
      if (!contents.has(blob.digest)) {
        contents.set(blob.digest, {
          repository,
          digest: blob.digest,
          size: blob.size,
          manifest: false,
        });
      }
    }
    contents.set(found.digest, {
      repository,
      digest: found.digest,
      size: found.size,
      manifest: true,
    });
    await addReferrers(repository, found.digest);
    return descriptor;
  }

  async function addReferrers(repository: string, subject: string): Promise<void> {
    let after: number | undefined;
    do {
      const page = await registry.referrers(`${namespace}/${repository}`, subject, {
        limit: PAGE,
        after,
      });
      for (const r of page.index.manifests) await addImage(repository, r.digest, null);
      after = page.next;
    } while (after !== undefined);
  }

  async function addImage(repository: string, digest: string, tag: string | null): Promise<void> {
    const descriptor = await walk(repository, digest);
    const key = `${repository}@${digest}`;
    const annotations = {
      ...(tag !== null ? { [REF_NAME_ANNOTATION]: refName(repository, tag) } : {}),
      [REPOSITORY_ANNOTATION]: repository,
    };
    const untagged = untaggedAt.get(key);
    if (tag === null) {
      if (listed.has(key)) return;
      untaggedAt.set(key, descriptors.length);
    } else {
      tags++;
      if (untagged !== undefined) {
        // Met first as a referrer, then by its tag (cosign's sha256-….sig): one entry, tagged.
        descriptors[untagged] = { ...descriptor, annotations };
        untaggedAt.delete(key);
        return;
      }
    }
    listed.add(key);
    descriptors.push({ ...descriptor, annotations });
  }

  async function addRepository(repository: string): Promise<void> {
    const full = `${namespace}/${repository}`;
    let last: string | undefined;
    for (;;) {
      const page = await registry.tags(full, { n: PAGE, last });
      for (const tag of page.names) {
        const found = await registry.getManifest(full, tag, undefined, false);
        await addImage(repository, found.digest, tag);
      }
      if (!page.more) break;
      last = page.names.at(-1);
    }
    let cursor: string | undefined;
    do {
      const page = await store.images.list(namespace, repository, {
        tagged: false,
        sort: 'pushedAt',
        order: 'asc',
        limit: PAGE,
        cursor,
      });
      for (const image of page.items) await addImage(repository, image.digest, null);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  await store.namespaces.get(namespace);
  if (selection.repository === null) {
    let cursor: string | undefined;
    do {
      const page = await store.repositories.list(namespace, {
        sort: 'name',
        order: 'asc',
        limit: PAGE,
        cursor,
      });
      for (const repo of page.items) await addRepository(repo.name);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  } else if (selection.reference === null) {
    const repo = await store.registry.repositoryId(namespace, selection.repository);
    if (!repo || repo.image_count === 0) {
      throw new NotFoundError(
        'NAME_UNKNOWN',
        `repository ${namespace}/${selection.repository} has no live images`,
      );
    }
    await addRepository(selection.repository);
  } else {
    const ref = selection.reference;
    const found = await registry.getManifest(
      `${namespace}/${selection.repository}`,
      'tag' in ref ? ref.tag : ref.digest,
      undefined,
      false,
    );
    await addImage(selection.repository, found.digest, 'tag' in ref ? ref.tag : null);
  }
  // Referrers were appended as they were found; the images they refer to come first anyway.
  const index: LayoutIndex = {
    schemaVersion: 2,
    mediaType: OCI_INDEX_MEDIA_TYPE,
    manifests: descriptors,
  };
  const ordered = [...contents.values()];
  const algorithms = new Set(ordered.map((c) => digestAlgorithmOf(c.digest)));
  const tarBytes =
    tarFileBytes(OCI_LAYOUT_FILE, Buffer.byteLength(OCI_LAYOUT_CONTENT)) +
    tarFileBytes(INDEX_FILE, Buffer.byteLength(JSON.stringify(index))) +
    tarHeaderBytes('blobs/') +
    [...algorithms].reduce((sum, alg) => sum + tarHeaderBytes(`blobs/${alg}/`), 0) +
    ordered.reduce((sum, c) => sum + tarFileBytes(blobEntryName(c.digest), c.size), 0) +
    TAR_END_BYTES;
  return {
    namespace,
    index,
    contents: ordered,
    images: listed.size,
    tags,
    contentBytes: ordered.reduce((sum, c) => sum + c.size, 0),
    tarBytes,
  };
}

/** A blob whose stored bytes do not match their digest or size: the export stops. */
export class CorruptContentError extends Error {}

/**
 * Streams the plan as a tar into `out`: oci-layout and index.json first, then every blob once.
 * Each blob's digest and size are checked as it passes; a mismatch (a corrupt store) destroys
 * the stream with CorruptContentError, so a reader never takes a broken archive for whole.
 * Memory stays flat: blobs are piped with backpressure, manifests are read one at a time.
 */
export async function writeExport(
  deps: { registry: RegistryService },
  plan: ExportPlan,
  out: Writable,
  onProgress: (bytes: number) => void = () => {},
): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack, out);
  const fileEntry = (name: string, size: number) =>
    pack.entry({ name, size, mode: 0o644, mtime: ENTRY_MTIME });
  try {
    const small = async (name: string, text: string) => {
      const entry = fileEntry(name, Buffer.byteLength(text));
      await pipeline(async function* () {
        yield Buffer.from(text);
      }, entry);
    };
    await small(OCI_LAYOUT_FILE, OCI_LAYOUT_CONTENT);
    await small(INDEX_FILE, JSON.stringify(plan.index));
    const directory = (name: string) =>
      new Promise<void>((resolve, reject) =>
        pack.entry({ name, type: 'directory', mode: 0o755, mtime: ENTRY_MTIME }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    await directory('blobs/');
    for (const alg of new Set(plan.contents.map((c) => digestAlgorithmOf(c.digest)))) {
      await directory(`blobs/${alg}/`);
    }
    for (const content of plan.contents) {
      const entry = fileEntry(blobEntryName(content.digest), content.size);
      const source = content.manifest
        ? await manifestBytes(deps.registry, plan.namespace, content)
        : // Named by repository: with encryption at rest, the namespace's key opens it.
          await deps.registry.openBlob(content.digest, undefined, {
            repository: `${plan.namespace}/${content.repository}`,
            size: content.size,
          });
      await pipeline(source, verifier(content, onProgress), entry);
    }
    pack.finalize();
    await written;
  } catch (error) {
    pack.destroy(error as Error);
    await written.catch(() => {});
    throw error;
  }
}

async function manifestBytes(
  registry: RegistryService,
  namespace: string,
  content: PlannedContent,
) {
  const found = await registry.getManifest(
    `${namespace}/${content.repository}`,
    content.digest,
    undefined,
    true,
  );
  if (!found.content)
    throw new CorruptContentError(`manifest ${content.digest} has no stored bytes`);
  const bytes = Buffer.from(found.content);
  return (async function* () {
    yield bytes;
  })();
}

/** Passes bytes through, failing at the end when they are not what the digest promised. */
function verifier(content: PlannedContent, onProgress: (bytes: number) => void): Transform {
  const hash = createHash(digestAlgorithmOf(content.digest));
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > content.size) {
        callback(tooLong(content));
        return;
      }
      hash.update(chunk);
      onProgress(chunk.length);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = `${digestAlgorithmOf(content.digest)}:${hash.digest('hex')}`;
      if (size !== content.size || actual !== content.digest) {
        callback(
          new CorruptContentError(
            `stored ${content.manifest ? 'manifest' : 'blob'} ${content.digest} is corrupt: ${size} bytes hashing to ${actual}, expected ${content.size} bytes; the export was stopped`,
          ),
        );
        return;
      }
      callback();
    },
  });
}

function tooLong(content: PlannedContent): CorruptContentError {
  return new CorruptContentError(
    `stored blob ${content.digest} is longer than the ${content.size} bytes its manifest declares; the export was stopped`,
  );
}

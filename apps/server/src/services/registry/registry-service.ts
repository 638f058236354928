import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConflictError,
  IMAGE_CONFIG_MEDIA_TYPES,
  hasFilesystem,
  InputError,
  manifestBlobUnknown,
  NotFoundError,
  TooLargeError,
  MANIFEST_MEDIA_TYPES,
  MAX_MANIFEST_BYTES,
  digestAlgorithmOf,
  isIndexMediaType,
  parseManifest,
  type QuotaRefusal,
  quotaExceededMessage,
  readImageConfig,
} from '@berth/domain';
import { type NamespaceVisibility, type StoredManifest, uploadStagingOf } from '@berth/store';
import { DEFAULT_SCAN_SETTINGS, type ServiceDeps } from '../deps.js';
import {
  parseExtraTags,
  parseReference,
  parseRepositoryName,
  requireBlobDigest,
  requireDigestAlgorithm,
  type RepositoryName,
} from './repository-name.js';
import { createS3UploadSessions } from './s3-upload-sessions.js';
import { createUploadSessions, type UploadSessions } from './upload-sessions.js';
import { skipWhenFull } from '../skip-when-full.js';
import { imageDataOf } from '../encryption/image-data.js';
import { IntegrityError } from '../encryption/integrity-error.js';
import { isSealedManifest, manifestSealingOf } from '../encryption/manifest-sealing.js';

/** Configs are read for their created time; a config larger than this is not worth reading. */
const MAX_CONFIG_READ = 1024 * 1024;
/** Rows per query when the catalog is filtered by visibility. */
const CATALOG_BATCH = 1000;
/** How long a finished upload waits for GC to let go of the same digest. */
const LINK_WAIT_MS = 30_000;

export type UploadStart =
  { kind: 'session'; id: string; offset: number } | { kind: 'blob'; digest: string };

function acceptedTypes(accept: string | undefined): string[] | null {
  if (!accept) return null;
  const types = accept
    .split(',')
    .map((t) => t.split(';')[0]?.trim().toLowerCase() ?? '')
    .filter(Boolean);
  return types.length === 0 || types.includes('*/*') ? null : types;
}

/**
 * `scanQueued`: told when a push queued a vulnerability scan, so a scanner looks now rather
 * than at its next poll.
 */
export function createRegistryService(deps: ServiceDeps, scanQueued: () => void = () => {}) {
  const { store, blobs, clock, logger, regions, registry: settings } = deps;
  const scanOnPush = (deps.scanning ?? DEFAULT_SCAN_SETTINGS).onPush;
  const staging = uploadStagingOf(blobs);
  // Blob bytes are read and written through it: it encrypts and decrypts image data (issue 18).
  const imageData = imageDataOf(deps);
  // With encryption on, uploads are encrypted as they arrive, under a key of their own.
  const uploadEncryption = imageData.uploadEncryption((repository) =>
    namespaceIdOf(parseRepositoryName(repository).namespace),
  );
  // With blobs in S3, uploads are staged there too, their state in the database: any process
  // can take the next chunk (issue 16).
  const uploads: UploadSessions = staging
    ? createS3UploadSessions({
        store: store.uploadSessions,
        staging,
        clock,
        logger,
        encryption: uploadEncryption,
      })
    : createUploadSessions(settings.dataDir, clock, blobs, {
        // A plaintext upload that will be encrypted into another file needs no fsync.
        syncLast: async () => !(await imageData.encrypting()),
        encryption: uploadEncryption,
      });
  // Manifest bytes are sealed under the namespace's key alongside (issue 18).
  const sealing = manifestSealingOf(deps);
  /** The manifest with its bytes as pushed, whichever way they are stored. */
  const opened = async (m: StoredManifest): Promise<StoredManifest> =>
    m.content ? { ...m, content: await sealing.open(m.namespaceId, m.digest, m.content) } : m;

  /** The namespace's id, for its keys; NotFoundError when it is gone. */
  async function namespaceIdOf(namespace: string): Promise<number> {
    const id = await imageData.namespaceId(namespace);
    if (id === null) {
      throw new NotFoundError('NAME_UNKNOWN', `namespace "${namespace}" does not exist`);
    }
    return id;
  }

  async function requireRepository(name: RepositoryName) {
    const repo = await store.registry.repositoryId(name.namespace, name.repository);
    if (!repo)
      throw new NotFoundError(
        'NAME_UNKNOWN',
        `repository ${name.full} is not known to this registry`,
      );
    return repo;
  }

  /** Pushes go only into namespaces that exist, unless the operator allows creating them. */
  async function requirePushTarget(full: string): Promise<RepositoryName> {
    const name = parseRepositoryName(full);
    const ns = await store.namespaces.get(name.namespace).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!ns) {
      if (!settings.createNamespaceOnPush) {
        throw new NotFoundError(
          'NAME_UNKNOWN',
          `namespace "${name.namespace}" does not exist; create it first in the Berth console (Namespaces → Create namespace) or with POST /api/v1/namespaces`,
        );
      }
      await store.namespaces
        .create(
          { name: name.namespace, region: regions[0] ?? 'local', quotaBytes: null },
          { actor: 'registry:push', now: clock() },
        )
        .catch((error: unknown) => {
          // Two pushes creating it at once: the other one won, which is just as good.
          if (!(error instanceof ConflictError)) throw error;
        });
    } else if (ns.quotaBytes !== null && ns.sizeBytes >= ns.quotaBytes) {
      throw quotaFull({
        namespace: name.namespace,
        usedBytes: ns.sizeBytes,
        quotaBytes: ns.quotaBytes,
        what: 'upload',
      });
    }
    return name;
  }

  function quotaFull(refusal: QuotaRefusal) {
    return new ConflictError('QUOTA_EXCEEDED', quotaExceededMessage(refusal));
  }

  /**
   * Finishes upload `id`: verify what arrived, record it, move it into the store. What the
   * last chunk left running (the filesystem's fsync) goes on while the blob is recorded.
   */
  async function commitBlob(name: RepositoryName, id: string, expected: string) {
    const sealed = await uploads.seal(id, name.full, digestAlgorithmOf(expected));
    if (sealed.digest !== expected) {
      await sealed.release();
      await uploads.remove(id);
      throw new InputError(
        'DIGEST_INVALID',
        `the uploaded content has digest ${sealed.digest}, not ${expected}; nothing was stored`,
      );
    }
    const ns = await store.namespaces.get(name.namespace);
    if (ns.quotaBytes !== null && ns.sizeBytes + sealed.size > ns.quotaBytes) {
      await sealed.release();
      await uploads.remove(id);
      throw quotaFull({
        namespace: name.namespace,
        usedBytes: ns.sizeBytes,
        quotaBytes: ns.quotaBytes,
        neededBytes: sealed.size,
        what: 'upload',
      });
    }
    const deadline = Date.now() + LINK_WAIT_MS;
    try {
      for (;;) {
        const outcome = await store.registry.linkBlob(
          name.namespace,
          name.repository,
          { digest: expected, size: sealed.size },
          clock(),
        );
        if (outcome === 'linked') break;
        if (Date.now() > deadline) {
          throw new ConflictError(
            'TOOMANYREQUESTS',
            'garbage collection is still removing this blob; retry the upload',
          );
        }
        await sleep(50);
      }
    } catch (error) {
      await sealed.release();
      throw error;
    }
    // Linked first: GC, which removes blobs without fresh links, cannot take it from under us.
    const namespaceId = await namespaceIdOf(name.namespace);
    let storedByFile = false;
    let keySettled = false;
    const settleKey = (uploadKey: Buffer) => {
      keySettled = true;
      return imageData.settleUploadKey(namespaceId, expected, uploadKey);
    };
    await sealed.publish(async (file, encrypted, durable) => {
      storedByFile = true;
      // Stored as it is (encryption off): adopt fsyncs it unless the last chunk's fsync did.
      // Not again when it did: a second open, fsync and close per blob was a fifth of the
      // time of a small push (measured: 200 small images, 3.9 s before, 4.3 s with it).
      await imageData.storeUpload(
        namespaceId,
        expected,
        file,
        () => blobs.adopt(expected, file, durable).then(() => undefined),
        encrypted,
      );
    }, settleKey);
    // Staged outside this machine (S3) in plaintext: published as it came, then encrypted in
    // place. One encrypted as it arrived had its key settled before it was published.
    if (!storedByFile && !keySettled) await imageData.holds(namespaceId, expected);
    return { kind: 'blob' as const, digest: expected };
  }

  /** Names of the namespaces a visibility lets through, in catalog order. */
  async function visibleNamespaces(visibility: NamespaceVisibility): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.namespaces.list({ visibility, limit: CATALOG_BATCH, cursor });
      names.push(...page.items.map((ns) => ns.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return names.sort((a, b) => (`${a}/` < `${b}/` ? -1 : 1));
  }

  return {
    uploads,

    async getManifest(
      full: string,
      reference: string,
      accept: string | undefined,
      withContent: boolean,
    ): Promise<StoredManifest> {
      const name = parseRepositoryName(full);
      const ref = parseReference(reference, false);
      const found = await store.registry.findManifest(
        name.namespace,
        name.repository,
        ref,
        withContent,
      );
      if (!found) {
        await requireRepository(name);
        throw new NotFoundError('MANIFEST_UNKNOWN', `manifest ${reference} is not in ${full}`);
      }
      const accepted = acceptedTypes(accept);
      if (!accepted || accepted.includes(found.mediaType)) return opened(found);
      // A client that cannot read an index gets the linux/amd64 image, as Distribution does;
      // only by tag, since by digest it must get bytes with that digest.
      if ('tag' in ref && isIndexMediaType(found.mediaType)) {
        const children = await store.registry.indexChildren(
          name.namespace,
          name.repository,
          found.digest,
        );
        const pick =
          children.find(
            (c) =>
              c.platform_os === 'linux' &&
              c.platform_architecture === 'amd64' &&
              accepted.includes(c.media_type),
          ) ?? children.find((c) => accepted.includes(c.media_type));
        if (pick) {
          const child = await store.registry.findManifest(
            name.namespace,
            name.repository,
            { digest: pick.digest },
            withContent,
          );
          if (child) return opened(child);
        }
      }
      throw new NotFoundError(
        'MANIFEST_UNKNOWN',
        `manifest ${reference} is ${found.mediaType}, which the client does not accept (Accept: ${accepted.join(', ').slice(0, 200)})`,
      );
    },

    /**
     * `extraTags` are the `?tag=` parameters of a push by digest (distribution-spec v1.1): the
     * image gets every one of them, or, when one is invalid, nothing is written.
     */
    async putManifest(
      full: string,
      reference: string,
      contentType: string | undefined,
      bytes: Buffer,
      actor: string,
      extraTags: readonly string[] = [],
    ) {
      const name = await requirePushTarget(full);
      const ref = parseReference(reference, true);
      if ('tag' in ref && extraTags.length > 0) {
        throw new InputError(
          'TAG_INVALID',
          `?tag= goes with a push by digest; push to /manifests/<digest>?tag=${ref.tag}&tag=… instead`,
        );
      }
      const tags = 'tag' in ref ? [ref.tag] : parseExtraTags(extraTags);
      if (bytes.length > MAX_MANIFEST_BYTES) {
        throw new TooLargeError(
          'MANIFEST_INVALID',
          `manifest is larger than ${MAX_MANIFEST_BYTES} bytes`,
        );
      }
      // Pushed by digest, the manifest is addressed in that digest's algorithm.
      const algorithm = 'digest' in ref ? digestAlgorithmOf(ref.digest) : 'sha256';
      const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
      if ('digest' in ref && ref.digest !== digest) {
        throw new InputError(
          'DIGEST_INVALID',
          `the manifest's digest is ${digest}, not ${ref.digest}`,
        );
      }
      const parsed = parseManifest(bytes, contentType);
      const stored = [...(parsed.config ? [parsed.config] : []), ...parsed.layers];
      // A row without its file exists only after a crash mid-upload: make the client upload again.
      const unusable = await store.registry.unusableBlobs(
        name.namespace,
        name.repository,
        stored.map((b) => b.digest),
      );
      for (const b of stored) {
        if (unusable.has(b.digest) || !(await blobs.stat(b.digest))) {
          throw manifestBlobUnknown(name.full, b.digest);
        }
      }
      // Looked up once, for the config's key and the manifest's seal.
      const namespaceId = await namespaceIdOf(name.namespace);
      let config: ReturnType<typeof readImageConfig> = { createdAt: null, platform: null };
      if (
        parsed.config &&
        IMAGE_CONFIG_MEDIA_TYPES.includes(parsed.config.mediaType) &&
        parsed.config.size <= MAX_CONFIG_READ
      ) {
        const bytesOfConfig = await imageData.readAll(namespaceId, parsed.config.digest);
        if (bytesOfConfig) config = readImageConfig(bytesOfConfig);
      }
      // Images with a filesystem: not indexes (their platform images are pushed, and
      // scanned, on their own), nor artifacts such as signatures or attestations.
      const scan = scanOnPush && hasFilesystem(parsed);
      // Sealed after the digest was checked: the digest and size are the plaintext's.
      const content = await sealing.forStorage(namespaceId, digest, bytes);
      await store.images.ingest(
        name.namespace,
        name.repository,
        {
          scan,
          digest,
          mediaType: parsed.mediaType,
          artifactType: parsed.artifactType,
          manifestSize: bytes.length,
          blobs: stored.map((b) => ({ digest: b.digest, size: b.size, mediaType: b.mediaType })),
          children: parsed.children.map((c) => ({ digest: c.digest, platform: c.platform })),
          subject: parsed.subject?.digest ?? null,
          createdAt: config.createdAt,
          platform: config.platform,
          content,
          ...(isSealedManifest(content) ? { sealedFor: namespaceId } : {}),
        },
        tags,
        { actor, now: clock() },
      );
      logger.debug({ repository: full, digest, reference }, 'manifest pushed');
      if (scan) scanQueued();
      return {
        digest,
        subject: parsed.subject?.digest ?? null,
        tags: 'digest' in ref ? tags : [],
      };
    },

    /** By digest the image goes to the trash (restorable); by tag only the tag goes. */
    async deleteManifest(full: string, reference: string, actor: string) {
      const name = parseRepositoryName(full);
      const ref = parseReference(reference, false);
      const ctx = { actor, now: clock() };
      if ('tag' in ref) {
        await store.images.untag(name.namespace, name.repository, ref.tag, ctx);
      } else {
        await store.images.trash(
          name.namespace,
          [{ repository: name.repository, digest: ref.digest }],
          'deleted',
          ctx,
        );
      }
    },

    async statBlob(full: string, digest: string) {
      const name = parseRepositoryName(full);
      requireBlobDigest(digest);
      const repo = await requireRepository(name);
      const found = await store.registry.findBlob(repo.id, digest);
      if (!found || !(await blobs.stat(digest))) {
        throw new NotFoundError('BLOB_UNKNOWN', `blob ${digest} is not in ${full}`);
      }
      // A client that finds the blob may skip uploading it: the touch keeps it from GC until
      // the manifest arrives. At most every quarter grace, so most HEADs stay read-only; and
      // skipped on a full disk, where no push can follow anyway.
      const now = clock();
      if (found.touchedAt < now - settings.gcGraceMs / 4) {
        await skipWhenFull(logger, 'blob link touches', () =>
          store.registry.touchBlobLink(repo.id, digest, now),
        );
      }
      return { size: found.size };
    },

    /**
     * A URL the client may fetch the blob from itself, when redirects are on and the driver
     * can presign; null: Berth sends the bytes. Asks nothing of the store: the caller has
     * checked the blob with statBlob.
     */
    async blobRedirect(digest: string): Promise<string | null> {
      if (settings.blobRedirectSeconds === null || !blobs.presignedUrl) return null;
      // S3 would hand out ciphertext: encrypted blobs are decrypted and sent by Berth. Decided
      // from the database, not by reading the object: a blob with a key recorded is never
      // redirected, even while its bytes are still plaintext (a push finishing, or
      // encrypt-existing between recording the key and rewriting): Berth serves what is
      // stored either way, and a redirect could hand out ciphertext a moment later.
      if (await store.imageDataKeys.isEncrypted(digest)) return null;
      return blobs.presignedUrl(digest, settings.blobRedirectSeconds);
    },

    /**
     * The blob's plaintext (a Range of it). `from`: the repository it is read through, whose
     * namespace's key decrypts it, and its recorded size; without it (commands that copy
     * what they checked themselves), any namespace holding the blob.
     */
    async openBlob(
      digest: string,
      range?: { start: number; end: number },
      from?: { repository: string; size?: number },
    ) {
      const namespaceId = from
        ? await namespaceIdOf(parseRepositoryName(from.repository).namespace)
        : null;
      const stream =
        namespaceId === null
          ? await imageData.openAny(digest, range)
          : await imageData.open(namespaceId, digest, range, from?.size);
      if (!stream) throw new NotFoundError('BLOB_UNKNOWN', `blob ${digest} is not stored`);
      return stream;
    },

    /**
     * What a blob GET through `from` sends, opening the stored bytes once: a reader for
     * positioned reads when they are the plaintext (the driver offers them), otherwise the
     * plaintext as a stream (decrypted through that same reader when there is one).
     */
    async openBlobToSend(
      digest: string,
      range: { start: number; end: number } | undefined,
      from: { repository: string; size: number },
    ) {
      const namespace = parseRepositoryName(from.repository).namespace;
      const opened = await imageData.openForSend(
        () => namespaceIdOf(namespace),
        digest,
        range,
        from.size,
      );
      if (!opened) throw new NotFoundError('BLOB_UNKNOWN', `blob ${digest} is not stored`);
      return opened;
    },

    async deleteBlob(full: string, digest: string, actor: string) {
      const name = parseRepositoryName(full);
      requireBlobDigest(digest);
      await requireRepository(name);
      const removed = await store.registry.unlinkBlob(name.namespace, name.repository, digest, {
        actor,
        now: clock(),
      });
      if (!removed) throw new NotFoundError('BLOB_UNKNOWN', `blob ${digest} is not in ${full}`);
    },

    async startUpload(
      full: string,
      opts: {
        mount?: string;
        from?: string;
        digest?: string;
        digestAlgorithm?: string;
        body: Readable;
      },
    ): Promise<UploadStart> {
      const name = await requirePushTarget(full);
      const announced =
        opts.digestAlgorithm === undefined
          ? undefined
          : requireDigestAlgorithm(opts.digestAlgorithm);
      if (opts.mount !== undefined) {
        requireBlobDigest(opts.mount);
        // A `from` that is not a valid name simply means no mount: the client uploads instead.
        let from: RepositoryName | null = null;
        try {
          from = opts.from ? parseRepositoryName(opts.from) : null;
        } catch {
          from = null;
        }
        if (from) {
          const mounted = await store.registry.mountBlob(
            name.namespace,
            name.repository,
            from,
            opts.mount,
            clock(),
          );
          if (mounted) {
            // Mounted from another namespace: this one gets its own wrap of the blob's key.
            await imageData.holds(await namespaceIdOf(name.namespace), opts.mount);
            return { kind: 'blob', digest: opts.mount };
          }
        }
      }
      const expected = opts.digest === undefined ? undefined : requireBlobDigest(opts.digest);
      const { id } = await uploads.start(
        full,
        // A mount that did not happen becomes an upload of that blob: hash in its algorithm.
        expected !== undefined
          ? digestAlgorithmOf(expected)
          : (announced ?? (opts.mount !== undefined ? digestAlgorithmOf(opts.mount) : 'sha256')),
        { oneShot: expected !== undefined },
      );
      if (expected === undefined) {
        opts.body.resume();
        return { kind: 'session', id, offset: 0 };
      }
      try {
        await uploads.append(id, full, opts.body, null, { last: true });
        return await commitBlob(name, id, expected);
      } catch (error) {
        // The client never learnt this session's Location, so nobody could resume it.
        await uploads.remove(id);
        throw error;
      }
    },

    async appendUpload(full: string, id: string, body: Readable, range: { start: number } | null) {
      parseRepositoryName(full);
      return uploads.append(id, full, body, range);
    },

    async uploadOffset(full: string, id: string) {
      parseRepositoryName(full);
      return uploads.offset(id, full);
    },

    async finishUpload(
      full: string,
      id: string,
      digest: string | undefined,
      body: Readable,
      range: { start: number } | null,
    ) {
      const name = parseRepositoryName(full);
      if (digest === undefined) {
        body.resume();
        throw new InputError(
          'DIGEST_INVALID',
          'finishing an upload needs ?digest=<digest> (sha256:… or sha512:…)',
        );
      }
      const expected = requireBlobDigest(digest);
      await uploads.append(id, full, body, range, { last: true });
      return commitBlob(name, id, expected);
    },

    async cancelUpload(full: string, id: string) {
      parseRepositoryName(full);
      await uploads.cancel(id, full);
    },

    async tags(full: string, page: { n: number; last?: string }) {
      const name = parseRepositoryName(full);
      const repo = await requireRepository(name);
      return store.registry.listTags(repo.id, page);
    },

    /**
     * `_catalog`: every repository with a live image, or with a visibility only those in the
     * namespaces it lets through. Filtered, it walks the visible namespaces in catalog order
     * (by "<namespace>/") and skips whole namespaces before `last`, so the work follows what
     * the caller can see rather than the size of the registry.
     */
    async catalog(page: { n: number; last?: string }, visibility?: NamespaceVisibility) {
      if (!visibility) return store.registry.catalog(page);
      const names: string[] = [];
      for (const ns of await visibleNamespaces(visibility)) {
        const prefix = `${ns}/`;
        let after: string | undefined;
        if (page.last !== undefined) {
          if (page.last.startsWith(prefix)) after = page.last.slice(prefix.length);
          else if (prefix < page.last) continue;
        }
        let cursor: string | undefined;
        do {
          const batch = await store.repositories
            .list(ns, { sort: 'name', order: 'asc', limit: CATALOG_BATCH, cursor })
            .catch((error: unknown) => {
              // Deleted since it was listed: it has nothing to show.
              if (error instanceof NotFoundError) return { items: [], nextCursor: null };
              throw error;
            });
          for (const repo of batch.items) {
            if (after !== undefined && repo.name <= after) continue;
            if (names.length === page.n) return { names, more: true };
            names.push(`${prefix}${repo.name}`);
          }
          cursor = batch.nextCursor ?? undefined;
        } while (cursor);
      }
      return { names, more: false };
    },

    /**
     * Referrers of `digest`, each listed with the artifact type the spec asks for: the
     * manifest's `artifactType`, else its config's media type (see parseManifest). The filter
     * compares that same value, so it runs here rather than on the stored column.
     */
    async referrers(
      full: string,
      digest: string,
      opts: { artifactType?: string; limit: number; after?: number },
    ) {
      const { artifactType } = opts;
      const name = parseRepositoryName(full);
      requireBlobDigest(digest);
      const repo = await store.registry.repositoryId(name.namespace, name.repository);
      const { rows, more } = repo
        ? await store.registry.referrers(repo.id, digest, opts)
        : { rows: [], more: false };
      // Sealed rows open with the namespace's key; its id is looked up once, if any needs it.
      const namespaceId = rows.some((r) => r.content && isSealedManifest(r.content))
        ? await namespaceIdOf(name.namespace)
        : 0;
      const manifests = [];
      for (const r of rows) {
        // A referrer whose sealed row fails its integrity check is still listed, from its
        // clear columns (its artifactType when the manifest named one; no annotations), so
        // the intact ones beside it (a signature) are found; fetching it answers the failure.
        // sealing.open has logged it.
        const content = await sealing.open(namespaceId, r.digest, r.content).catch((error) => {
          if (error instanceof IntegrityError) return null;
          throw error;
        });
        // Stored bytes were parsed when they were pushed; synthetic rows have none.
        const parsed = content ? parseManifest(content, r.media_type) : null;
        const type = parsed ? parsed.referrerArtifactType : r.artifact_type;
        const annotations = parsed?.annotations ?? {};
        manifests.push({
          mediaType: r.media_type,
          digest: r.digest,
          size: r.manifest_size,
          ...(type ? { artifactType: type } : {}),
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        });
      }
      const index = {
        schemaVersion: 2,
        mediaType: MANIFEST_MEDIA_TYPES.ociIndex,
        manifests:
          artifactType === undefined
            ? manifests
            : manifests.filter((m) => m.artifactType === artifactType),
      };
      // The cursor is the last row read, not the last listed: a filtered page may list fewer.
      return { index, next: more ? rows.at(-1)?.id : undefined };
    },
  };
}

export type RegistryService = ReturnType<typeof createRegistryService>;

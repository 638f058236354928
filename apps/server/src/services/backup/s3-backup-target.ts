import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { parseS3Location } from '@berth/store';
import {
  BACKUP_ID,
  BackupError,
  type BackupManifest,
  backupManifestSchema,
  FORMAT_VERSION,
  MANIFEST_FILE,
  TARGET_MARKER,
} from './backup-format.js';

/**
 * A backup target in S3 (`s3://bucket/prefix?endpoint=…`): the same layout as a directory
 * (backup-format.ts), as keys under the prefix. A PutObject is all or nothing, so a backup's
 * manifest, uploaded after its database file and every blob it lists, is what makes it
 * complete, as the rename does in a directory. Credentials as for BERTH_BLOB_STORE.
 */
export interface S3Target {
  client: S3Client;
  bucket: string;
  /** '' or ending in '/'. */
  prefix: string;
  /** s3://bucket/prefix, for messages (never credentials: they are not in the address). */
  shown: string;
  /** Keys per ListObjectsV2 page (S3's default, 1000, when unset); tests page with fewer. */
  pageSize?: number;
  /** When a file goes up as a multipart upload, and in parts of what size (tests lower both). */
  multipart?: MultipartSettings;
}

export interface MultipartSettings {
  /** Files larger than this are uploaded in parts. */
  thresholdBytes: number;
  /** Bytes per part (S3: at least 5 MiB, except the last; raised when 10,000 would not do). */
  partBytes: number;
}

const MiB = 1024 * 1024;
/** S3's smallest part except the last, and its most parts in one upload. */
const MIN_PART_BYTES = 5 * MiB;
const MAX_PARTS = 10_000;
/**
 * One PutObject holds at most 5 GiB; well below that a failure already costs a lot to send
 * again, so larger files go in parts of 16 MiB (the blob store's own part size).
 */
export const DEFAULT_MULTIPART: MultipartSettings = {
  thresholdBytes: 64 * MiB,
  partBytes: 16 * MiB,
};
/** Tries of one part: a part is a range of a local file, so each try reads it afresh. */
const PART_TRIES = 3;

/**
 * Any 404 answer, as the blob store's isNotFound (s3-errors.ts) also decides (it names
 * NoSuchBucket and NoSuchUpload too, which S3 sends with a 404): the same behaviour, kept here
 * because that one is internal to @berth/store, which exports no S3 error helpers.
 */
function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.$metadata?.httpStatusCode === 404 || ['NotFound', 'NoSuchKey'].includes(e.name ?? '');
}

/** Opens (parses and checks the bucket of) an s3:// address; the caller destroys the client. */
export async function connectS3Target(address: string): Promise<S3Target> {
  const { connectS3 } = await import('@berth/store/s3');
  const location = parseS3Location(address);
  const client = await connectS3(location);
  const prefix = location.prefix === '' ? '' : `${location.prefix.replace(/\/+$/, '')}/`;
  return {
    client,
    bucket: location.bucket,
    prefix,
    shown: `s3://${location.bucket}/${prefix}`,
  };
}

export async function s3Size(t: S3Target, key: string): Promise<number | null> {
  try {
    const head = await t.client.send(
      new HeadObjectCommand({ Bucket: t.bucket, Key: t.prefix + key }),
    );
    return head.ContentLength ?? 0;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export async function s3Read(t: S3Target, key: string): Promise<Readable | null> {
  try {
    const got = await t.client.send(
      new GetObjectCommand({ Bucket: t.bucket, Key: t.prefix + key }),
    );
    return got.Body as Readable;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

async function s3Text(t: S3Target, key: string): Promise<string | null> {
  const body = await s3Read(t, key);
  if (!body) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Uploads a local file: one PutObject up to the multipart threshold, else a multipart upload
 * (S3 allows 5 GiB in one PutObject, 5 TiB in parts). Each part is streamed from its range of
 * the file, so memory stays flat whatever the size; the upload is completed only when every
 * part is in, and aborted on any failure, so the key holds the whole file or nothing (and no
 * unfinished upload is left to cost storage).
 */
export async function s3PutFile(t: S3Target, key: string, file: string): Promise<void> {
  const size = fs.statSync(file).size;
  const { thresholdBytes, partBytes } = t.multipart ?? DEFAULT_MULTIPART;
  if (size <= thresholdBytes) {
    await t.client.send(
      new PutObjectCommand({
        Bucket: t.bucket,
        Key: t.prefix + key,
        Body: fs.createReadStream(file),
        ContentLength: size,
      }),
    );
    return;
  }
  const part = Math.max(partBytes, MIN_PART_BYTES, Math.ceil(size / MAX_PARTS));
  const where = { Bucket: t.bucket, Key: t.prefix + key };
  const created = await t.client.send(new CreateMultipartUploadCommand(where));
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`S3 started a multipart upload of ${t.shown}${key} without an id`);
  try {
    const parts: { PartNumber: number; ETag: string }[] = [];
    for (let start = 0; start < size; start += part) {
      const end = Math.min(size, start + part);
      const PartNumber = parts.length + 1;
      parts.push({
        PartNumber,
        ETag: await uploadPart(t, where, uploadId, PartNumber, file, start, end),
      });
    }
    await t.client.send(
      new CompleteMultipartUploadCommand({
        ...where,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (error) {
    await t.client
      .send(new AbortMultipartUploadCommand({ ...where, UploadId: uploadId }))
      .catch(() => undefined);
    throw error;
  }
}

/**
 * One part, bytes [start, end) of the file. The SDK does not retry a request whose body is a
 * stream (it cannot rewind it), so a failed part is sent again here, from a fresh stream.
 */
async function uploadPart(
  t: S3Target,
  where: { Bucket: string; Key: string },
  uploadId: string,
  PartNumber: number,
  file: string,
  start: number,
  end: number,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await t.client.send(
        new UploadPartCommand({
          ...where,
          UploadId: uploadId,
          PartNumber,
          Body: fs.createReadStream(file, { start, end: end - 1 }),
          ContentLength: end - start,
        }),
      );
      return answer.ETag ?? '';
    } catch (error) {
      if (attempt >= PART_TRIES) throw error;
    }
  }
}

export async function s3PutText(t: S3Target, key: string, text: string): Promise<void> {
  await t.client.send(
    new PutObjectCommand({ Bucket: t.bucket, Key: t.prefix + key, Body: Buffer.from(text) }),
  );
}

export async function s3Download(t: S3Target, key: string, file: string): Promise<boolean> {
  const body = await s3Read(t, key);
  if (!body) return false;
  await pipeline(body, fs.createWriteStream(file, { mode: 0o600 }));
  return true;
}

/** Keys directly under the prefix + `under` (with their age), and the "folders" there. */
export async function s3ListLevel(
  t: S3Target,
  under: string,
): Promise<{ keys: { key: string; modified: number }[]; dirs: string[] }> {
  const keys: { key: string; modified: number }[] = [];
  const dirs: string[] = [];
  for await (const page of listPages(t, under, '/')) {
    for (const o of page.Contents ?? []) {
      keys.push({
        key: o.Key!.slice(t.prefix.length + under.length),
        modified: o.LastModified?.getTime() ?? 0,
      });
    }
    for (const p of page.CommonPrefixes ?? [])
      dirs.push(p.Prefix!.slice(t.prefix.length + under.length).replace(/\/$/, ''));
  }
  return { keys, dirs };
}

function parseMarker(text: string, where: string): void {
  let format: unknown;
  try {
    format = (JSON.parse(text) as { format?: unknown }).format;
  } catch {
    throw new BackupError(`${where}${TARGET_MARKER} is damaged (not JSON)`);
  }
  if (format !== FORMAT_VERSION) {
    throw new BackupError(
      `${where} holds backups in format ${String(format)}; this Berth reads format ${FORMAT_VERSION}`,
    );
  }
}

/** For writing: the prefix must be a backup target already, or hold nothing (it becomes one). */
export async function openS3Target(t: S3Target): Promise<void> {
  const marker = await s3Text(t, TARGET_MARKER);
  if (marker !== null) {
    parseMarker(marker, t.shown);
    return;
  }
  const level = await s3ListLevel(t, '');
  if (level.keys.length > 0 || level.dirs.length > 0) {
    throw new BackupError(
      `${t.shown} is neither empty nor a Berth backup target (no ${TARGET_MARKER}): choose an empty prefix`,
    );
  }
  await s3PutText(t, TARGET_MARKER, `${JSON.stringify({ format: FORMAT_VERSION })}\n`);
}

export interface S3Backup {
  /** s3://bucket/prefix/<id>/ */
  dir: string;
  manifest: BackupManifest;
  s3: S3Target;
}

async function readS3Manifest(t: S3Target, id: string): Promise<BackupManifest | null> {
  const where = `${t.shown}${id}/${MANIFEST_FILE}`;
  const text = await s3Text(t, `${id}/${MANIFEST_FILE}`);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupError(`${where} is damaged: not JSON`);
  }
  const parsed = backupManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupError(
      `${where} is damaged or from another Berth: ${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  if (parsed.data.id !== id) throw new BackupError(`${where} names backup ${parsed.data.id}`);
  return parsed.data;
}

/** The complete backups under the prefix, oldest first. */
export async function listS3Backups(t: S3Target): Promise<S3Backup[]> {
  const marker = await s3Text(t, TARGET_MARKER);
  if (marker === null) {
    throw new BackupError(`${t.shown} is not a Berth backup target (no ${TARGET_MARKER})`);
  }
  parseMarker(marker, t.shown);
  const ids = (await s3ListLevel(t, '')).dirs.filter((d) => BACKUP_ID.test(d)).sort();
  const out: S3Backup[] = [];
  for (const id of ids) {
    const manifest = await readS3Manifest(t, id);
    if (manifest) out.push({ dir: `${t.shown}${id}/`, manifest, s3: t });
  }
  return out;
}

/**
 * A backup named by an s3:// address: the target (its newest complete backup), or a backup's
 * own prefix (the target is the prefix above it).
 */
export async function resolveS3Backup(t: S3Target): Promise<S3Backup> {
  const last = t.prefix.replace(/\/$/, '').split('/').at(-1) ?? '';
  if (BACKUP_ID.test(last)) {
    const parent: S3Target = { ...t, prefix: t.prefix.slice(0, t.prefix.length - last.length - 1) };
    parent.shown = `s3://${t.bucket}/${parent.prefix}`;
    const manifest = await readS3Manifest(parent, last);
    if (!manifest) {
      throw new BackupError(
        `${t.shown} has no ${MANIFEST_FILE}: it is not a complete backup (a run that did not finish?)`,
      );
    }
    return { dir: t.shown, manifest, s3: parent };
  }
  const newest = (await listS3Backups(t)).at(-1);
  if (!newest) throw new BackupError(`${t.shown} holds no complete backup`);
  return newest;
}

/** Every object under the prefix + `under` (all levels), with its size and age. */
export async function* s3ListAll(
  t: S3Target,
  under: string,
): AsyncGenerator<{ key: string; size: number; modified: number }> {
  for await (const page of listPages(t, under)) {
    for (const o of page.Contents ?? []) {
      yield {
        key: o.Key!.slice(t.prefix.length),
        size: o.Size ?? 0,
        modified: o.LastModified?.getTime() ?? 0,
      };
    }
  }
}

/** ListObjectsV2 under the prefix + `under`, page after page (`t.pageSize` keys at most each). */
async function* listPages(t: S3Target, under: string, delimiter?: string) {
  let token: string | undefined;
  do {
    const page = await t.client.send(
      new ListObjectsV2Command({
        Bucket: t.bucket,
        Prefix: t.prefix + under,
        Delimiter: delimiter,
        ContinuationToken: token,
        MaxKeys: t.pageSize,
      }),
    );
    yield page;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Deletes one key under the prefix (S3 answers a missing key with success too). */
export async function s3Delete(t: S3Target, key: string): Promise<void> {
  await t.client.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: t.prefix + key }));
}

/** Multipart uploads under the prefix that nobody completed, with when they started. */
export async function* s3UnfinishedUploads(
  t: S3Target,
): AsyncGenerator<{ key: string; uploadId: string; started: number }> {
  let keyMarker: string | undefined;
  let uploadMarker: string | undefined;
  for (;;) {
    const page = await t.client.send(
      new ListMultipartUploadsCommand({
        Bucket: t.bucket,
        Prefix: t.prefix,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadMarker,
        MaxUploads: t.pageSize,
      }),
    );
    for (const u of page.Uploads ?? []) {
      if (u.Key && u.UploadId) {
        yield { key: u.Key, uploadId: u.UploadId, started: u.Initiated?.getTime() ?? 0 };
      }
    }
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    uploadMarker = page.NextUploadIdMarker;
  }
}

export async function s3AbortUpload(t: S3Target, key: string, uploadId: string): Promise<void> {
  await t.client
    .send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: key, UploadId: uploadId }))
    .catch((error: unknown) => {
      if (!isNotFound(error) && (error as { name?: string }).name !== 'NoSuchUpload') throw error;
    });
}

/**
 * The key that says a backup is being written into the target (`.partial-<id>`, as the
 * staging folder's name in a directory): put before the run reads which blobs the target
 * holds, deleted once its manifest is in (or it failed). Pruning leaves blobs alone while one
 * younger than a day is there, since that run may already count a blob as present.
 */
export function s3PartialKey(id: string): string {
  return `.partial-${id}`;
}

export function s3BlobKey(sha256: string): string {
  return `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;
}

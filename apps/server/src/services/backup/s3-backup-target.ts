import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
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
}

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
 * One PutObject of a local file (S3 allows up to 5 GiB in one; a larger blob fails the run
 * with S3's own message rather than being stored in part).
 */
export async function s3PutFile(t: S3Target, key: string, file: string): Promise<void> {
  const size = fs.statSync(file).size;
  await t.client.send(
    new PutObjectCommand({
      Bucket: t.bucket,
      Key: t.prefix + key,
      Body: fs.createReadStream(file),
      ContentLength: size,
    }),
  );
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

/** Keys directly under the prefix + `under`, and the "folders" there. */
async function listLevel(t: S3Target, under: string): Promise<{ keys: string[]; dirs: string[] }> {
  const keys: string[] = [];
  const dirs: string[] = [];
  let token: string | undefined;
  do {
    const page = await t.client.send(
      new ListObjectsV2Command({
        Bucket: t.bucket,
        Prefix: t.prefix + under,
        Delimiter: '/',
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) keys.push(o.Key!.slice(t.prefix.length + under.length));
    for (const p of page.CommonPrefixes ?? [])
      dirs.push(p.Prefix!.slice(t.prefix.length + under.length).replace(/\/$/, ''));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
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
  const level = await listLevel(t, '');
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
  const ids = (await listLevel(t, '')).dirs.filter((d) => BACKUP_ID.test(d)).sort();
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

export function s3BlobKey(sha256: string): string {
  return `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;
}

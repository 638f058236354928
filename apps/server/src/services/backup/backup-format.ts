import path from 'node:path';
import { z } from 'zod';

/**
 * The on-disk layout of a backup target (docs/backups.md):
 *
 *   <target>/berth-backup.json         marks the directory as a backup target (format version)
 *   <target>/blobs/sha256/<aa>/<hex>   stored blob bytes, named by the sha256 OF THOSE BYTES
 *   <target>/<backup id>/berth.db      the metadata snapshot (SQLite), or
 *   <target>/<backup id>/berth.pgdump  the metadata snapshot (PostgreSQL: pg_dump, custom format)
 *   <target>/<backup id>/manifest.json written last, atomically: a folder without it is not a backup
 *
 * Blobs are named by the checksum of the bytes kept, not by their digest: once image data is
 * encrypted at rest the stored bytes of one digest are ciphertext whose checksum differs from
 * the digest, and may change (a re-encryption), so two backups may need different bytes under
 * one digest. Named by their own checksum, kept bytes never change and are shared safely.
 */
export const FORMAT_VERSION = 1;
export const TARGET_MARKER = 'berth-backup.json';
export const MANIFEST_FILE = 'manifest.json';
export const DATABASE_FILE = 'berth.db';
export const POSTGRES_DUMP_FILE = 'berth.pgdump';
export const BACKUP_ID = /^backup-\d{8}T\d{9}Z-[a-f0-9]{6}$/;

const sha256Hex = z.string().regex(/^[a-f0-9]{64}$/);

export const backupBlobSchema = z.object({
  digest: z.string().regex(/^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/),
  /** Length of the stored bytes. */
  size: z.number().int().nonnegative(),
  /** sha256 of the stored bytes (equal to the digest's hex when they are plaintext sha256). */
  sha256: sha256Hex,
  /** The stored bytes hash to the digest: verify checks the digest too. */
  plaintext: z.boolean(),
  /**
   * Ciphertext only: its first bytes in hex (the encryption header, with its random nonce
   * prefix). Rewriting a blob's ciphertext always writes a new header, so the next backup
   * knows the bytes are still these without reading them.
   */
  head: z
    .string()
    .regex(/^[a-f0-9]{0,64}$/)
    .optional(),
});
export type BackupBlob = z.infer<typeof backupBlobSchema>;

export const backupManifestSchema = z
  .object({
    format: z.literal(FORMAT_VERSION),
    id: z.string().regex(BACKUP_ID),
    berthVersion: z.string(),
    /** Where the metadata came from: a SQLite file, or a pg_dump archive of PostgreSQL. */
    engine: z.enum(['sqlite', 'postgres']),
    createdAt: z.string(),
    /** When the copy finished; the snapshot is of createdAt. */
    finishedAt: z.string(),
    database: z.object({
      file: z.enum([DATABASE_FILE, POSTGRES_DUMP_FILE]),
      sha256: sha256Hex,
      size: z.number(),
    }),
    blobs: z.array(backupBlobSchema),
    /**
     * Blobs the snapshot had marked for deletion (GC phase 1) whose files were gone by the time
     * they were copied: nothing references them, and a restored Berth's GC forgets their rows.
     */
    blobsBeingDeleted: z.array(z.string()),
    counts: z.record(z.string(), z.number().int().nonnegative()),
    /** Ids (fingerprints) of the root keys the data keys in the snapshot are wrapped by. */
    rootKeyIds: z.array(z.string()),
  })
  .refine(
    (m) => m.database.file === (m.engine === 'postgres' ? POSTGRES_DUMP_FILE : DATABASE_FILE),
    { message: 'the database file does not match the engine', path: ['database', 'file'] },
  );
export type BackupManifest = z.infer<typeof backupManifestSchema>;

export function blobPath(target: string, sha256: string): string {
  return path.join(target, 'blobs', 'sha256', sha256.slice(0, 2), sha256);
}

export function newBackupId(now: Date, random: string): string {
  // Milliseconds included: ids sort by time, and two backups in one second (a retry, a test)
  // must not be ordered by their random part.
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `backup-${stamp}-${random}`;
}

/** A problem with what the operator asked for or gave, in one sentence (exit code 1). */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}

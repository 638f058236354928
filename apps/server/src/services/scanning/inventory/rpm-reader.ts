import Database from 'better-sqlite3';
import { distroQualifier } from './distro-qualifier.js';
import { layerOfPackage } from './layer-attribution.js';
import { packageUrl } from './package-url.js';
import { berkeleyDbHeaderBlobs } from './rpm-bdb.js';
import { RpmDatabaseError } from './rpm-database-error.js';
import { readRpmHeader, type RpmHeaderFields } from './rpm-header.js';
import { ndbHeaderBlobs } from './rpm-ndb.js';
import { sortPackages } from './sort-packages.js';
import type { CollectedFile, Distro, InventoryPackage, PackageReader } from './types.js';

type DatabaseFormat = 'sqlite' | 'ndb' | 'bdb';

/**
 * rpm 4.16+ keeps its database in SQLite (Fedora 33+, RHEL/UBI 9), SUSE in rpm's own ndb,
 * and rpm up to 4.15 in Berkeley DB (RHEL/CentOS 7 and 8, UBI 8, AlmaLinux and Rocky Linux 8,
 * Amazon Linux 2). Fedora 36 and SUSE moved it to /usr/lib/sysimage/rpm and left /var/lib/rpm
 * as a symlink, which the walker does not follow, so both places are wanted. The first one
 * present is read: rpm too, finding several, takes SQLite, then ndb, then Berkeley DB
 * (lib/backend/dbi.cc), and a converted image can keep its old file beside the new one.
 */
const DATABASES: readonly { path: string; format: DatabaseFormat }[] = [
  { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: 'var/lib/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: 'usr/lib/sysimage/rpm/Packages.db', format: 'ndb' },
  { path: 'var/lib/rpm/Packages.db', format: 'ndb' },
  { path: 'var/lib/rpm/Packages', format: 'bdb' },
  { path: 'usr/lib/sysimage/rpm/Packages', format: 'bdb' },
];
const DATABASE_PATHS = DATABASES.map((database) => database.path);
/**
 * A container's rpmdb is 5–30 MiB; a full desktop install's is over 100 MiB. SQLite copies
 * the content once more when it opens it, so the bound counts double.
 */
const MAX_BYTES = 128 * 1024 * 1024;
/** The keys that signed packages are imported as headers of this name; nothing is installed. */
const PUBLIC_KEY_PSEUDO_PACKAGE = 'gpg-pubkey';
/** SQLite's file header: bytes 18 and 19 are the write and read format, 2 for WAL. */
const WAL_FORMAT = 2;
const ROLLBACK_JOURNAL_FORMAT = 1;

/** Packages in rpm's database, whichever of its formats the image has. */
export const rpmReader: PackageReader = {
  maxBytes: MAX_BYTES,
  wants(path) {
    return DATABASE_PATHS.includes(path);
  },
  read(files, distro) {
    const database = DATABASES.find(({ path }) => files.final.has(path));
    const file = database && files.final.get(database.path);
    if (!database || !file) return [];
    const readRpmDatabase = (content: Buffer) => readHeaders(content, database.format);
    // dnf rewrites the whole database in every layer that installs anything, so the final
    // file's layer is merely the last such layer; each package's own comes from history.
    const layerOf = layerOfPackage(
      files.history.get(file.path),
      file,
      (version) =>
        new Map(
          readRpmDatabase(version.content).map((header) => [
            packageKey(header),
            versionText(header),
          ]),
        ),
    );
    return sortPackages(
      readRpmDatabase(file.content).map((header) =>
        rpmPackage(header, file, layerOf(packageKey(header), versionText(header)), distro),
      ),
    );
  },
};

/** Installed packages' headers; none for content that is no readable database. */
function readHeaders(content: Buffer, format: DatabaseFormat): RpmHeaderFields[] {
  if (format === 'sqlite') return readSqliteDatabase(content);
  const headers: RpmHeaderFields[] = [];
  try {
    const blobs = format === 'ndb' ? ndbHeaderBlobs(content) : berkeleyDbHeaderBlobs(content);
    for (const blob of blobs) {
      const header = readRpmHeader(blob);
      if (header && header.name !== PUBLIC_KEY_PSEUDO_PACKAGE) headers.push(header);
    }
  } catch (error) {
    // As for a damaged SQLite file: a structure that cannot be followed to its end says
    // nothing reliable about what is installed, even in the part already read.
    if (error instanceof RpmDatabaseError) return [];
    throw error;
  }
  return headers;
}

function readSqliteDatabase(content: Buffer): RpmHeaderFields[] {
  let database: Database.Database;
  try {
    database = new Database(withoutWal(content), { readonly: true });
  } catch {
    return [];
  }
  try {
    const headers: RpmHeaderFields[] = [];
    const rows = database.prepare('SELECT blob FROM Packages ORDER BY hnum').raw().iterate();
    for (const row of rows) {
      const blob: unknown = Array.isArray(row) ? row[0] : undefined;
      if (!Buffer.isBuffer(blob)) continue;
      const header = readRpmHeader(blob);
      if (header && header.name !== PUBLIC_KEY_PSEUDO_PACKAGE) headers.push(header);
    }
    return headers;
  } catch {
    // Not a database, a damaged page, or no Packages table: nothing can be said reliably.
    return [];
  } finally {
    database.close();
  }
}

/**
 * rpm opens its database in WAL mode, and SQLite refuses to open a WAL-mode file from
 * memory (SQLITE_CANTOPEN). For a checkpointed file, switching to rollback-journal mode
 * (`PRAGMA journal_mode=DELETE`) changes nothing but these two bytes, so a copy with them
 * set reads the same. rpm checkpoints when it closes the database, so in an image built by
 * dnf the main file is complete without its `-wal`.
 */
function withoutWal(content: Buffer): Buffer {
  if (content[18] !== WAL_FORMAT || content[19] !== WAL_FORMAT) return content;
  const copy = Buffer.from(content);
  copy[18] = ROLLBACK_JOURNAL_FORMAT;
  copy[19] = ROLLBACK_JOURNAL_FORMAT;
  return copy;
}

/** Multilib systems hold one package name once per architecture (glibc.i686, glibc.x86_64). */
function packageKey(header: RpmHeaderFields): string {
  return `${header.name}.${header.arch ?? ''}`;
}

function rpmPackage(
  header: RpmHeaderFields,
  file: CollectedFile,
  layer: string,
  distro: Distro | null,
): InventoryPackage {
  const found: InventoryPackage = {
    type: 'rpm',
    name: header.name,
    version: versionText(header),
    purl: packageUrl({
      type: 'rpm',
      namespace: distro?.id,
      name: header.name,
      version: `${header.version}-${header.release}`,
      qualifiers: {
        arch: header.arch,
        epoch: header.epoch ? String(header.epoch) : undefined,
        distro: distroQualifier(distro),
      },
    }),
    layer,
    path: file.path,
  };
  const source = header.sourceRpm ? sourcePackage(header.sourceRpm, header.epoch) : null;
  if (source) found.source = source;
  return found;
}

/** rpm compares a missing epoch as 0, so an epoch of 0 is not written either. */
function versionText(header: { version: string; release: string; epoch?: number }): string {
  const epoch = header.epoch ? `${header.epoch}:` : '';
  return `${epoch}${header.version}-${header.release}`;
}

/**
 * `openssl-3.0.7-24.el9.src.rpm` is source package `openssl` at `3.0.7-24.el9`. The file
 * name carries no epoch; a source package and the binaries built from it share one, so the
 * binary's is used (as Trivy and Red Hat's advisories assume).
 */
function sourcePackage(
  fileName: string,
  epoch: number | undefined,
): { name: string; version: string } | null {
  const match = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(fileName);
  if (!match) return null;
  const [, name = '', version = '', release = ''] = match;
  return { name, version: versionText({ version, release, epoch }) };
}

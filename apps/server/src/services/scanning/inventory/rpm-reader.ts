import Database from 'better-sqlite3';
import { distroQualifier } from './distro-qualifier.js';
import { layerOfPackage } from './layer-attribution.js';
import { packageUrl } from './package-url.js';
import { readRpmHeader, type RpmHeaderFields } from './rpm-header.js';
import { sortPackages } from './sort-packages.js';
import type { CollectedFile, Distro, InventoryPackage, PackageReader } from './types.js';

/**
 * rpm 4.16+ keeps its database in SQLite (Fedora 33+, RHEL/UBI 9). Fedora 36 moved it to
 * /usr/lib/sysimage/rpm and left /var/lib/rpm as a symlink, which the walker does not
 * follow, so both places are wanted; the first one present is read. The Berkeley DB
 * (`Packages`) and ndb (`Packages.db`) formats of older releases are not read.
 */
const DATABASE_PATHS = ['usr/lib/sysimage/rpm/rpmdb.sqlite', 'var/lib/rpm/rpmdb.sqlite'];
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

/** Packages in rpm's SQLite database. */
export const rpmReader: PackageReader = {
  maxBytes: MAX_BYTES,
  wants(path) {
    return DATABASE_PATHS.includes(path);
  },
  read(files, distro) {
    const file = DATABASE_PATHS.map((path) => files.final.get(path)).find((found) => found);
    if (!file) return [];
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
function readRpmDatabase(content: Buffer): RpmHeaderFields[] {
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

import Database from 'better-sqlite3';

/*
 * rpm databases for the scanner's tests, written from rpm's own layouts rather than from the
 * readers: `rpmdb.sqlite` as rpm 4.16+ writes it (lib/backend/sqlite.c's Packages table),
 * holding one header blob per installed package, each laid out as rpm's lib/header.c stores it
 * in the database (no magic): index count and data length (big-endian uint32), 16-byte index
 * entries (tag, type, offset, count), then the data store, INT32 values aligned to 4.
 */

/** An INT32 (4), STRING (6), STRING_ARRAY (8), I18NSTRING (9) or BIN (7) entry of a header. */
export type RpmHeaderEntry =
  | { tag: number; int32: number }
  | { tag: number; string: string }
  | { tag: number; strings: string[]; type: 8 | 9 }
  | { tag: number; bin: Buffer };

/** A header blob of these entries, in this order. */
export function encodeRpmHeader(entries: RpmHeaderEntry[]): Buffer {
  const index: Buffer[] = [];
  let data = Buffer.alloc(0);
  for (const entry of entries) {
    let type: number;
    let count: number;
    let bytes: Buffer;
    if ('int32' in entry) {
      type = 4;
      count = 1;
      bytes = Buffer.alloc(4);
      bytes.writeInt32BE(entry.int32);
      data = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
    } else if ('string' in entry) {
      type = 6;
      count = 1;
      bytes = Buffer.from(`${entry.string}\0`);
    } else if ('strings' in entry) {
      type = entry.type;
      count = entry.strings.length;
      bytes = Buffer.from(entry.strings.map((text) => `${text}\0`).join(''));
    } else {
      type = 7;
      count = entry.bin.length;
      bytes = entry.bin;
    }
    const indexEntry = Buffer.alloc(16);
    indexEntry.writeInt32BE(entry.tag, 0);
    indexEntry.writeUInt32BE(type, 4);
    indexEntry.writeInt32BE(data.length, 8);
    indexEntry.writeUInt32BE(count, 12);
    index.push(indexEntry);
    data = Buffer.concat([data, bytes]);
  }
  const preamble = Buffer.alloc(8);
  preamble.writeUInt32BE(entries.length, 0);
  preamble.writeUInt32BE(data.length, 4);
  return Buffer.concat([preamble, ...index, data]);
}

export interface RpmFixturePackage {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  /** The source package's file name, as the SOURCERPM tag holds it: `bash-5.1.8-6.el9.src.rpm`. */
  sourceRpm?: string;
  /** Real headers run to tens of KiB (file lists); a long one makes a header that size. */
  description?: string;
}

const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  DESCRIPTION: 1005,
  ARCH: 1022,
  SOURCERPM: 1044,
};

/** One installed package's header blob. */
export function rpmHeader(pkg: RpmFixturePackage): Buffer {
  const string = (tag: number, text: string | undefined): RpmHeaderEntry[] =>
    text === undefined ? [] : [{ tag, string: text }];
  return encodeRpmHeader([
    ...string(TAG.NAME, pkg.name),
    ...string(TAG.VERSION, pkg.version),
    ...string(TAG.RELEASE, pkg.release),
    ...string(TAG.ARCH, pkg.arch),
    ...string(TAG.SOURCERPM, pkg.sourceRpm),
    ...string(TAG.DESCRIPTION, pkg.description),
    ...(pkg.epoch === undefined ? [] : [{ tag: TAG.EPOCH, int32: pkg.epoch }]),
  ]);
}

/** Packages of a Rocky Linux 8 (RHEL 8) image, as its rpm database lists them. */
export const EL8_PACKAGES = {
  bash: {
    name: 'bash',
    version: '4.4.20',
    release: '4.el8_6',
    arch: 'x86_64',
    sourceRpm: 'bash-4.4.20-4.el8_6.src.rpm',
  },
  /** Its description makes a header of about 20 KiB, too long for a Berkeley DB page. */
  opensslLibs: {
    name: 'openssl-libs',
    epoch: 1,
    version: '1.1.1k',
    release: '9.el8_7',
    arch: 'x86_64',
    sourceRpm: 'openssl-1.1.1k-9.el8_7.src.rpm',
    description: 'OpenSSL is a toolkit for supporting cryptography. '.repeat(400),
  },
  gpgKey: { name: 'gpg-pubkey', version: '6d745a60', release: '60287f36' },
} satisfies Record<string, RpmFixturePackage>;

/** The bytes of an `rpmdb.sqlite` holding these blobs; a string goes in as text, damage. */
export function rpmdbSqliteOf(blobs: readonly (Buffer | string)[]): Buffer {
  const database = new Database(':memory:');
  try {
    database.exec(
      'CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)',
    );
    const insert = database.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const blob of blobs) insert.run(blob);
    return database.serialize();
  } finally {
    database.close();
  }
}

/** The bytes of an `rpmdb.sqlite` listing these packages. */
export function rpmdbSqlite(packages: readonly RpmFixturePackage[]): Buffer {
  return rpmdbSqliteOf(packages.map(rpmHeader));
}

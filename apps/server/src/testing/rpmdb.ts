import Database from 'better-sqlite3';

/*
 * rpm databases for end-to-end scans: `rpmdb.sqlite` as rpm 4.16+ writes it (lib/backend/
 * sqlite.c's Packages table), holding one header blob per installed package, each laid out as
 * rpm's lib/header.c stores it in the database (no magic): index count and data length
 * (big-endian uint32), 16-byte index entries (tag, type, offset, count), then the data store.
 */

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
const TYPE = { INT32: 4, STRING: 6 };

/** One installed package's header blob. */
export function rpmHeader(pkg: RpmFixturePackage): Buffer {
  const entries: { tag: number; type: number; bytes: Buffer }[] = [];
  const string = (tag: number, text: string | undefined) => {
    if (text !== undefined)
      entries.push({ tag, type: TYPE.STRING, bytes: Buffer.from(`${text}\0`) });
  };
  string(TAG.NAME, pkg.name);
  string(TAG.VERSION, pkg.version);
  string(TAG.RELEASE, pkg.release);
  string(TAG.ARCH, pkg.arch);
  string(TAG.SOURCERPM, pkg.sourceRpm);
  string(TAG.DESCRIPTION, pkg.description);
  if (pkg.epoch !== undefined) {
    const bytes = Buffer.alloc(4);
    bytes.writeInt32BE(pkg.epoch);
    entries.push({ tag: TAG.EPOCH, type: TYPE.INT32, bytes });
  }
  const index: Buffer[] = [];
  let data = Buffer.alloc(0);
  for (const entry of entries) {
    // rpm aligns INT32 values to 4 bytes within the data store.
    if (entry.type === TYPE.INT32) {
      data = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
    }
    const row = Buffer.alloc(16);
    row.writeInt32BE(entry.tag, 0);
    row.writeUInt32BE(entry.type, 4);
    row.writeInt32BE(data.length, 8);
    row.writeUInt32BE(1, 12);
    index.push(row);
    data = Buffer.concat([data, entry.bytes]);
  }
  const preamble = Buffer.alloc(8);
  preamble.writeUInt32BE(entries.length, 0);
  preamble.writeUInt32BE(data.length, 4);
  return Buffer.concat([preamble, ...index, data]);
}

/** The bytes of an `rpmdb.sqlite` listing these packages. */
export function rpmdbSqlite(packages: readonly RpmFixturePackage[]): Buffer {
  const database = new Database(':memory:');
  try {
    database.exec(
      'CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)',
    );
    const insert = database.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const pkg of packages) insert.run(rpmHeader(pkg));
    return database.serialize();
  } finally {
    database.close();
  }
}

import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EL8_PACKAGES,
  encodeRpmHeader,
  rpmdbSqliteOf,
  type RpmFixturePackage,
} from '../../../testing/rpmdb.js';
import { rpmdbBerkeley } from '../../../testing/rpmdb-berkeley.js';
import { rpmdbNdb } from '../../../testing/rpmdb-ndb.js';
import { rpmReader } from './rpm-reader.js';
import type { CollectedFile, CollectedFiles, Distro } from './types.js';

const BASE = 'sha256:' + 'a'.repeat(64);
const MIDDLE = 'sha256:' + 'b'.repeat(64);
const APP = 'sha256:' + 'c'.repeat(64);
const DATABASE = 'var/lib/rpm/rpmdb.sqlite';
const FEDORA: Distro = { id: 'fedora', versionId: '39' };

/** The fields rpmReader reads (no description), after a region tag and a summary as rpm writes. */
function packageHeader(fields: RpmFixturePackage): Buffer {
  return encodeRpmHeader([
    // Installed headers open with the immutable region tag (63); readers pass over it.
    { tag: 63, bin: Buffer.alloc(16, 0xab) },
    { tag: 1000, string: fields.name },
    { tag: 1001, string: fields.version },
    { tag: 1002, string: fields.release },
    { tag: 1004, strings: [`${fields.name} summary`], type: 9 },
    ...(fields.epoch === undefined ? [] : [{ tag: 1003, int32: fields.epoch }]),
    ...(fields.arch === undefined ? [] : [{ tag: 1022, string: fields.arch }]),
    ...(fields.sourceRpm === undefined ? [] : [{ tag: 1044, string: fields.sourceRpm }]),
  ]);
}

/** As rpm leaves it: WAL mode, checkpointed on close, so the `-wal` file is gone. */
function walModeRpmdb(blobs: Buffer[]): Buffer {
  const folder = mkdtempSync(join(tmpdir(), 'berth-rpmdb-'));
  try {
    const path = join(folder, 'rpmdb.sqlite');
    const database = new Database(path);
    database.pragma('journal_mode = WAL');
    database.exec(
      'CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)',
    );
    const insert = database.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const blob of blobs) insert.run(blob);
    database.close();
    return readFileSync(path);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function file(path: string, content: Buffer, layer = APP): CollectedFile {
  return { path, content, layer, mode: 0o644 };
}

function collected(...versions: CollectedFile[]): CollectedFiles {
  const final = new Map<string, CollectedFile>();
  const history = new Map<string, CollectedFile[]>();
  for (const version of versions) {
    final.set(version.path, version);
    history.set(version.path, [...(history.get(version.path) ?? []), version]);
  }
  return { final, history };
}

const BASH = {
  name: 'bash',
  version: '5.2.15',
  release: '5.fc39',
  arch: 'x86_64',
  sourceRpm: 'bash-5.2.15-5.fc39.src.rpm',
};
const TZDATA_OLD = { name: 'tzdata', version: '2023c', release: '2.fc39', arch: 'noarch' };
const TZDATA_NEW = { name: 'tzdata', version: '2024a', release: '1.fc39', arch: 'noarch' };
const CURL = { name: 'curl', version: '8.2.1', release: '4.fc39', arch: 'x86_64' };

describe('rpmReader.wants', () => {
  it.each([
    ['var/lib/rpm/rpmdb.sqlite', true],
    ['usr/lib/sysimage/rpm/rpmdb.sqlite', true],
    ['var/lib/rpm/rpmdb.sqlite-wal', false],
    ['var/lib/rpm/Packages', true],
    ['usr/lib/sysimage/rpm/Packages', true],
    ['usr/lib/sysimage/rpm/Packages.db', true],
    ['var/lib/rpm/Packages.db', true],
    ['var/lib/rpm/Index.db', false],
    ['var/lib/rpm/Name', false],
    ['home/me/var/lib/rpm/rpmdb.sqlite', false],
  ])('%s → %s', (path, wanted) => {
    expect(rpmReader.wants(path, 1000, 0o644)).toBe(wanted);
  });
});

describe('rpmReader.read', () => {
  it('lists installed packages, with epochs, source packages and multilib twins, and passes over malformed headers', () => {
    // The release is the last string: dropping its NUL (and a byte of data length) leaves
    // a header whose every offset is in range but whose string runs off the end.
    const terminated = encodeRpmHeader([
      { tag: 1000, string: 'cut' },
      { tag: 1001, string: '1' },
      { tag: 1002, string: '1' },
    ]);
    const noTerminator = Buffer.from(terminated.subarray(0, terminated.length - 1));
    noTerminator.writeUInt32BE(noTerminator.readUInt32BE(4) - 1, 4);
    const overstatedDataLength = packageHeader({ name: 'long', version: '1', release: '1' });
    overstatedDataLength.writeUInt32BE(overstatedDataLength.readUInt32BE(4) + 100, 4);
    const content = rpmdbSqliteOf([
      packageHeader(BASH),
      packageHeader({
        name: 'shadow-utils',
        version: '4.14.0',
        release: '2.fc39',
        epoch: 2,
        arch: 'x86_64',
        sourceRpm: 'shadow-utils-4.14.0-2.fc39.src.rpm',
      }),
      packageHeader({
        name: 'glibc',
        version: '2.38',
        release: '14.fc39',
        epoch: 0,
        arch: 'x86_64',
        sourceRpm: 'glibc-2.38-14.fc39.src.rpm',
      }),
      packageHeader({ name: 'glibc', version: '2.38', release: '14.fc39', arch: 'i686' }),
      packageHeader({
        name: 'gpg-pubkey',
        version: '18b8e74c',
        release: '62f2920f',
        sourceRpm: '(none)',
      }),
      // Malformed: too short, an absurd index count, data running past the blob, a name
      // offset outside the data store, a string with no terminator, text instead of a blob.
      Buffer.from([0, 0, 0]),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
      overstatedDataLength,
      encodeRpmHeader([
        { tag: 1000, string: 'x' },
        { tag: 1001, string: '1' },
        { tag: 1002, string: '1' },
      ]).fill(0x7f, 16, 20),
      noTerminator,
      'not a header',
    ]);

    expect(rpmReader.read(collected(file(DATABASE, content)), FEDORA)).toEqual([
      {
        type: 'rpm',
        name: 'bash',
        version: '5.2.15-5.fc39',
        source: { name: 'bash', version: '5.2.15-5.fc39' },
        purl: 'pkg:rpm/fedora/bash@5.2.15-5.fc39?arch=x86_64&distro=fedora-39',
        layer: APP,
        path: DATABASE,
      },
      {
        type: 'rpm',
        name: 'glibc',
        version: '2.38-14.fc39',
        source: { name: 'glibc', version: '2.38-14.fc39' },
        purl: 'pkg:rpm/fedora/glibc@2.38-14.fc39?arch=x86_64&distro=fedora-39',
        layer: APP,
        path: DATABASE,
      },
      {
        type: 'rpm',
        name: 'glibc',
        version: '2.38-14.fc39',
        purl: 'pkg:rpm/fedora/glibc@2.38-14.fc39?arch=i686&distro=fedora-39',
        layer: APP,
        path: DATABASE,
      },
      {
        type: 'rpm',
        name: 'shadow-utils',
        version: '2:4.14.0-2.fc39',
        source: { name: 'shadow-utils', version: '2:4.14.0-2.fc39' },
        purl: 'pkg:rpm/fedora/shadow-utils@4.14.0-2.fc39?arch=x86_64&distro=fedora-39&epoch=2',
        layer: APP,
        path: DATABASE,
      },
    ]);
  });

  it('opens a database that rpm left in WAL mode', () => {
    const content = walModeRpmdb([packageHeader(CURL)]);
    expect(content[18]).toBe(2);

    expect(rpmReader.read(collected(file(DATABASE, content)), FEDORA)).toEqual([
      {
        type: 'rpm',
        name: 'curl',
        version: '8.2.1-4.fc39',
        purl: 'pkg:rpm/fedora/curl@8.2.1-4.fc39?arch=x86_64&distro=fedora-39',
        layer: APP,
        path: DATABASE,
      },
    ]);
    // The image's bytes are shared with other readers and must stay as they were.
    expect(content[18]).toBe(2);
  });

  it('attributes each package to the oldest layer of the unbroken run of databases that list it', () => {
    const files = collected(
      file(
        DATABASE,
        rpmdbSqliteOf([packageHeader(BASH), packageHeader(TZDATA_OLD), packageHeader(CURL)]),
        BASE,
      ),
      // curl removed here and installed again in the last layer: that layer added it.
      file(DATABASE, rpmdbSqliteOf([packageHeader(BASH), packageHeader(TZDATA_OLD)]), MIDDLE),
      file(
        DATABASE,
        rpmdbSqliteOf([packageHeader(BASH), packageHeader(TZDATA_NEW), packageHeader(CURL)]),
        APP,
      ),
    );

    expect(
      rpmReader.read(files, FEDORA).map((found) => [found.name, found.version, found.layer]),
    ).toEqual([
      ['bash', '5.2.15-5.fc39', BASE],
      ['curl', '8.2.1-4.fc39', APP],
      ['tzdata', '2024a-1.fc39', APP],
    ]);
  });

  it('attributes packages to the layer that recreated a deleted database', () => {
    const files = collected(file(DATABASE, rpmdbSqliteOf([packageHeader(BASH)]), BASE), {
      ...file(DATABASE, rpmdbSqliteOf([packageHeader(BASH)]), APP),
      recreated: true,
    });

    expect(rpmReader.read(files, FEDORA).map((found) => found.layer)).toEqual([APP]);
  });

  it('reads the database from /usr/lib/sysimage, without a distro when os-release is missing', () => {
    const path = 'usr/lib/sysimage/rpm/rpmdb.sqlite';
    const files = collected(file(path, rpmdbSqliteOf([packageHeader({ ...CURL, epoch: 1 })])));

    expect(rpmReader.read(files, null)).toEqual([
      {
        type: 'rpm',
        name: 'curl',
        version: '1:8.2.1-4.fc39',
        purl: 'pkg:rpm/curl@8.2.1-4.fc39?arch=x86_64&epoch=1',
        layer: APP,
        path,
      },
    ]);
  });

  it('returns no packages for content that is not an rpm database', () => {
    const noPackagesTable = new Database(':memory:');
    noPackagesTable.exec('CREATE TABLE other (x)');
    const withoutTable = noPackagesTable.serialize();
    noPackagesTable.close();
    const valid = rpmdbSqliteOf([packageHeader(BASH)]);
    const corruptPages = Buffer.from(valid);
    corruptPages.fill(0xee, 100);

    for (const content of [
      Buffer.from('SQLite format 3\0 but not really'),
      Buffer.alloc(0),
      Buffer.alloc(4096, 0x5a),
      withoutTable,
      corruptPages,
    ]) {
      expect(rpmReader.read(collected(file(DATABASE, content)), FEDORA)).toEqual([]);
    }
  });
});

describe('rpmReader.read of Berkeley DB and ndb databases', () => {
  const ROCKY: Distro = { id: 'rocky', versionId: '8.9' };
  const SLES: Distro = { id: 'sles', versionId: '15.5' };
  const headers = () => [
    packageHeader(EL8_PACKAGES.opensslLibs),
    // Large enough to go to overflow pages, as most real headers do.
    encodeRpmHeader([
      { tag: 1000, string: 'glibc-langpack-en' },
      { tag: 1001, string: '2.28' },
      { tag: 1002, string: '225.el8' },
      { tag: 1005, string: 'x'.repeat(9000) },
      { tag: 1022, string: 'x86_64' },
      { tag: 1044, string: 'glibc-2.28-225.el8.src.rpm' },
    ]),
    packageHeader(EL8_PACKAGES.gpgKey),
    Buffer.from('not a header'),
  ];
  const expected = (distro: Distro, path: string, layer = APP) => [
    {
      type: 'rpm',
      name: 'glibc-langpack-en',
      version: '2.28-225.el8',
      source: { name: 'glibc', version: '2.28-225.el8' },
      purl: `pkg:rpm/${distro.id}/glibc-langpack-en@2.28-225.el8?arch=x86_64&distro=${distro.id}-${distro.versionId}`,
      layer,
      path,
    },
    {
      type: 'rpm',
      name: 'openssl-libs',
      version: '1:1.1.1k-9.el8_7',
      source: { name: 'openssl', version: '1:1.1.1k-9.el8_7' },
      purl: `pkg:rpm/${distro.id}/openssl-libs@1.1.1k-9.el8_7?arch=x86_64&distro=${distro.id}-${distro.versionId}&epoch=1`,
      layer,
      path,
    },
  ];

  it('lists the packages of a Berkeley DB Packages file as it does those of rpmdb.sqlite', () => {
    const path = 'var/lib/rpm/Packages';
    for (const bigEndian of [false, true]) {
      const content = rpmdbBerkeley(headers(), { bigEndian });
      expect(rpmReader.read(collected(file(path, content)), ROCKY)).toEqual(expected(ROCKY, path));
    }
  });

  it('lists the packages of an ndb Packages.db', () => {
    const path = 'usr/lib/sysimage/rpm/Packages.db';
    const content = rpmdbNdb(headers());
    expect(rpmReader.read(collected(file(path, content)), SLES)).toEqual(expected(SLES, path));
  });

  it('reads one database only, preferring SQLite, then ndb, then Berkeley DB as rpm does', () => {
    const sqlite = file(DATABASE, rpmdbSqliteOf([packageHeader(CURL)]));
    const ndb = file('var/lib/rpm/Packages.db', rpmdbNdb([packageHeader(BASH)]));
    const bdb = file('var/lib/rpm/Packages', rpmdbBerkeley([packageHeader(TZDATA_NEW)]));
    const names = (...files: CollectedFile[]) =>
      rpmReader.read(collected(...files), FEDORA).map((found) => [found.name, found.path]);

    expect(names(bdb, ndb, sqlite)).toEqual([['curl', DATABASE]]);
    expect(names(bdb, ndb)).toEqual([['bash', 'var/lib/rpm/Packages.db']]);
    expect(names(bdb)).toEqual([['tzdata', 'var/lib/rpm/Packages']]);
  });

  it('attributes packages to layers across versions of a Berkeley DB file', () => {
    const path = 'var/lib/rpm/Packages';
    const files = collected(
      file(path, rpmdbBerkeley([packageHeader(BASH), packageHeader(TZDATA_OLD)]), BASE),
      file(path, rpmdbBerkeley([packageHeader(BASH), packageHeader(TZDATA_NEW)]), APP),
    );

    expect(rpmReader.read(files, ROCKY).map((found) => [found.name, found.layer])).toEqual([
      ['bash', BASE],
      ['tzdata', APP],
    ]);
  });

  it('returns no packages for a damaged Berkeley DB or ndb file, as for a damaged SQLite one', () => {
    const bdb = rpmdbBerkeley(headers());
    const ndb = rpmdbNdb(headers());
    for (const [path, content] of [
      ['var/lib/rpm/Packages', bdb.subarray(0, bdb.length - 4096)],
      ['var/lib/rpm/Packages', Buffer.alloc(8192, 0xee)],
      // The name says the format, as it does for rpm: ndb bytes in `Packages` are damage.
      ['var/lib/rpm/Packages', ndb],
      ['var/lib/rpm/Packages.db', ndb.subarray(0, ndb.length - 16)],
      ['var/lib/rpm/Packages.db', bdb],
    ] as const) {
      expect(rpmReader.read(collected(file(path, content)), ROCKY)).toEqual([]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { EL8_PACKAGES, rpmHeader, type RpmFixturePackage } from '../../../testing/rpmdb.js';
import { rpmdbBerkeley, type BerkeleyDbOptions } from '../../../testing/rpmdb-berkeley.js';
import { berkeleyDbHeaderBlobs } from './rpm-bdb.js';
import { RpmDatabaseError } from './rpm-database-error.js';

const PACKAGES: RpmFixturePackage[] = [
  EL8_PACKAGES.bash,
  // About 20 KiB: five overflow pages of 4 KiB, as most real headers need.
  EL8_PACKAGES.opensslLibs,
  { name: 'tzdata', version: '2023c', release: '1.el8', arch: 'noarch' },
  { name: 'glibc', version: '2.28', release: '225.el8', arch: 'i686' },
];
const BLOBS = PACKAGES.map(rpmHeader);
const PAGE_SIZE = 4096;

/** Bucket order is the hash's, not the insertion's. */
function sorted(blobs: Iterable<Buffer>): Buffer[] {
  return [...blobs].sort(Buffer.compare);
}

/** The type byte of each page: 8 metadata, 13 hash (bucket), 7 overflow. */
function pageTypes(content: Buffer): number[] {
  return Array.from({ length: content.length / PAGE_SIZE }, (_, page) => {
    return content[page * PAGE_SIZE + 25] ?? -1;
  });
}

function readAll(content: Buffer): Buffer[] {
  return [...berkeleyDbHeaderBlobs(content)];
}

function rejection(content: Buffer): unknown {
  try {
    readAll(content);
  } catch (error) {
    return error;
  }
  return null;
}

describe('berkeleyDbHeaderBlobs', () => {
  it.each<[string, BerkeleyDbOptions]>([
    ['little-endian', {}],
    ['big-endian (s390x)', { bigEndian: true }],
    ['with page checksums', { checksums: true }],
  ])('reads every header of a %s database, on the page and across overflow pages', (_, options) => {
    const content = rpmdbBerkeley(BLOBS, options);
    // The fixture really exercises both storage kinds: small headers sit on their bucket's
    // page, the long one is split over a chain of overflow pages.
    expect(pageTypes(content)).toEqual([8, 13, 13, 7, 7, 7, 7, 7]);

    const blobs = readAll(content);

    // The join key's 4-byte counter is no header and is left out.
    expect(sorted(blobs)).toEqual(sorted(BLOBS));
  });

  it('follows chains of bucket pages in small pages with more buckets, in both byte orders', () => {
    const many = Array.from({ length: 300 }, (_, index) =>
      rpmHeader({ name: `pkg-${index}`, version: '1', release: `${index}.el8`, arch: 'x86_64' }),
    );
    for (const bigEndian of [false, true]) {
      const content = rpmdbBerkeley(many, { pageSize: 512, buckets: 8, bigEndian });
      expect(sorted(readAll(content))).toEqual(sorted(many));
    }
  });

  it('reads a database without a join key', () => {
    expect(sorted(readAll(rpmdbBerkeley(BLOBS, { withoutJoinKey: true })))).toEqual(sorted(BLOBS));
  });

  it('rejects files that are not a readable hash database', () => {
    const valid = rpmdbBerkeley(BLOBS);
    const btree = Buffer.from(valid);
    btree.writeUInt32LE(0x00053162, 12);
    const oddPageSize = Buffer.from(valid);
    oddPageSize.writeUInt32LE(4000, 20);
    const hugePageSize = Buffer.from(valid);
    hugePageSize.writeUInt32LE(0x4000_0000, 20);
    const encrypted = Buffer.from(valid);
    encrypted[24] = 1;
    const oldVersion = Buffer.from(valid);
    oldVersion.writeUInt32LE(5, 16);
    const tooManyBuckets = Buffer.from(valid);
    tooManyBuckets.writeUInt32LE(0xffff_fff0, 72);

    for (const content of [
      Buffer.alloc(0),
      Buffer.alloc(8192, 0x5a),
      Buffer.from('SQLite format 3\0'.padEnd(4096, '\0')),
      valid.subarray(0, 300),
      // Cut anywhere past the metadata: the last page is missing.
      valid.subarray(0, valid.length - PAGE_SIZE),
      valid.subarray(0, valid.length - 1),
      btree,
      oddPageSize,
      hugePageSize,
      encrypted,
      oldVersion,
      tooManyBuckets,
    ]) {
      expect(rejection(content)).toBeInstanceOf(RpmDatabaseError);
    }
  });

  it('rejects overflow chains that loop, end early or point outside the file', () => {
    const valid = rpmdbBerkeley(BLOBS);
    expect(pageTypes(valid)).toEqual([8, 13, 13, 7, 7, 7, 7, 7]);
    const first = 3;
    const last = 7;
    const setNext = (content: Buffer, page: number, next: number) =>
      content.writeUInt32LE(next, page * PAGE_SIZE + 16);

    const loop = Buffer.from(valid);
    // The last page claims less than it holds, so the item goes on, back to the first page.
    loop.writeUInt16LE(10, last * PAGE_SIZE + 22);
    setNext(loop, last, first);
    // An empty page that names itself as next: the item never shrinks, the chain never ends.
    const emptyLoop = Buffer.from(valid);
    emptyLoop.writeUInt16LE(0, last * PAGE_SIZE + 22);
    setNext(emptyLoop, last, last);
    const outside = Buffer.from(valid);
    setNext(outside, first, 0xffff_ffff);
    const earlyEnd = Buffer.from(valid);
    setNext(earlyEnd, first, 0);
    const intoBucket = Buffer.from(valid);
    setNext(intoBucket, first, 1);
    const misplaced = Buffer.from(valid);
    misplaced.writeUInt32LE(first + 1, first * PAGE_SIZE + 8);
    const overlong = Buffer.from(valid);
    overlong.writeUInt16LE(PAGE_SIZE, first * PAGE_SIZE + 22);

    for (const content of [loop, emptyLoop, outside, earlyEnd, intoBucket, misplaced, overlong]) {
      expect(rejection(content)).toBeInstanceOf(RpmDatabaseError);
    }
  });

  it('rejects hash pages that chain in a loop or whose items overlap', () => {
    const valid = rpmdbBerkeley(BLOBS);
    const bucketPage = (content: Buffer, bucket: number) =>
      content.subarray((bucket + 1) * PAGE_SIZE, (bucket + 2) * PAGE_SIZE);

    const selfChained = Buffer.from(valid);
    bucketPage(selfChained, 0).writeUInt32LE(1, 16);
    const overlapping = Buffer.from(valid);
    const page = bucketPage(overlapping, 0);
    expect(page.readUInt16LE(20)).toBeGreaterThanOrEqual(4);
    page.writeUInt16LE(page.readUInt16LE(26), 28);
    const oddCount = Buffer.from(valid);
    bucketPage(oddCount, 0).writeUInt16LE(3, 20);
    const hugeCount = Buffer.from(valid);
    bucketPage(hugeCount, 0).writeUInt16LE(0xffff, 20);
    const duplicateItem = Buffer.from(valid);
    const dupPage = bucketPage(duplicateItem, 0);
    dupPage[dupPage.readUInt16LE(28)] = 2; // H_DUPLICATE, which rpm never writes

    for (const content of [selfChained, overlapping, oddCount, hugeCount, duplicateItem]) {
      expect(rejection(content)).toBeInstanceOf(RpmDatabaseError);
    }
  });

  it('throws nothing but its own rejection for mutated and truncated files, and ends', () => {
    const valid = rpmdbBerkeley(BLOBS, { pageSize: 512, buckets: 4 });
    const random = seededRandom(17);
    const outcomes = { read: 0, rejected: 0 };
    const check = (content: Buffer) => {
      const error = rejection(content);
      if (error === null) outcomes.read += 1;
      else if (error instanceof RpmDatabaseError) outcomes.rejected += 1;
      else throw error;
    };
    for (let round = 0; round < 3000; round += 1) {
      const mutated = Buffer.from(valid);
      const changes = 1 + Math.floor(random() * 8);
      for (let change = 0; change < changes; change += 1) {
        // Half the changes hit page headers and index entries, where the structure lives.
        const page = Math.floor(random() * (valid.length / 512));
        const at =
          random() < 0.5
            ? page * 512 + Math.floor(random() * 40)
            : Math.floor(random() * valid.length);
        mutated[at] = Math.floor(random() * 256);
      }
      check(mutated);
    }
    for (let length = 0; length < valid.length; length += 61) check(valid.subarray(0, length));

    expect(outcomes.rejected).toBeGreaterThan(100);
    expect(outcomes.read).toBeGreaterThan(100);
  });
});

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

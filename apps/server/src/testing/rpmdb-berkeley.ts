/*
 * rpm `Packages` files in Berkeley DB's hash format, as libdb 5.3 writes them (the layout of
 * dbinc/db_page.h and dbinc/hash.h; checked by hand against db5.3_dump, db5.3_verify and
 * Debian's rpm 4.18 `--define '_db_backend bdb_ro' -qa`). Written from libdb's layout, not
 * from Berth's reader, so that the two do not share a misreading.
 *
 * Keys are rpm's header numbers (4 bytes, in the file's byte order), with the "join key" 0
 * holding the next number, as rpm 4.x kept it. A value goes on its bucket's page when small,
 * or into a chain of overflow pages when over a quarter of a page, as libdb decides.
 */

export interface BerkeleyDbOptions {
  /** 512 to 65536, a power of two; rpm used 4096. */
  pageSize?: number;
  /** As written on a big-endian machine (s390x, older POWER). */
  bigEndian?: boolean;
  /** A power of two, at least 2; libdb starts a database with two. */
  buckets?: number;
  /** DBMETA_CHKSUM: pages reserve room for a checksum (left zero here). */
  checksums?: boolean;
  /** Leave out the join key, as some copies made with db_dump | db_load do. */
  withoutJoinKey?: boolean;
}

const PAGE_HEADER_SIZE = 26;
const CHECKSUM_SIZE = 6;
const HASH_MAGIC = 0x00061561;
const HASH_VERSION = 9;
const PAGE_TYPE = { OVERFLOW: 7, HASH_META: 8, HASH: 13 };
const ITEM_TYPE = { KEYDATA: 1, OFFPAGE: 3 };
/**
 * libdb checks the hash function against this key's hash when it opens a database; the key
 * is hashed with its C string terminator (`sizeof(CHARKEY)`).
 */
const CHARKEY = '%$sniglet^&\0';

/** libdb's default hash (__ham_func5, FNV-1a with a 32-bit prime), as rpm's bdb_ro has it. */
function berkeleyDbHash(bytes: Uint8Array): number {
  let hash = 0;
  for (const byte of bytes) hash = (Math.imul(hash, 16777619) ^ byte) >>> 0;
  return hash;
}

/** A `Packages` database holding these header blobs, numbered from 1. */
export function rpmdbBerkeley(blobs: readonly Buffer[], options: BerkeleyDbOptions = {}): Buffer {
  const pageSize = options.pageSize ?? 4096;
  const bigEndian = options.bigEndian ?? false;
  const buckets = options.buckets ?? 2;
  const overhead = PAGE_HEADER_SIZE + (options.checksums ? CHECKSUM_SIZE : 0);
  const u32 = (value: number) => {
    const bytes = Buffer.alloc(4);
    if (bigEndian) bytes.writeUInt32BE(value);
    else bytes.writeUInt32LE(value);
    return bytes;
  };

  // Page 0 is the metadata, pages 1..buckets the buckets; the rest are added as needed.
  const pages: Buffer[] = [];
  const newPage = () => {
    pages.push(Buffer.alloc(pageSize));
    return pages.length - 1;
  };
  for (let page = 0; page <= buckets; page += 1) newPage();

  const setHeader = (
    pageNumber: number,
    fields: { next?: number; previous?: number; entries: number; highFree: number; type: number },
  ) => {
    const page = pages[pageNumber]!;
    const write32 = (value: number, at: number) => u32(value).copy(page, at);
    const write16 = (value: number, at: number) => {
      if (bigEndian) page.writeUInt16BE(value, at);
      else page.writeUInt16LE(value, at);
    };
    write32(0, 0);
    write32(1, 4); // LSN: file 0, offset 1, as db_load leaves a page it never logged
    write32(pageNumber, 8);
    write32(fields.previous ?? 0, 12);
    write32(fields.next ?? 0, 16);
    write16(fields.entries, 20);
    write16(fields.highFree, 22);
    page[24] = 0;
    page[25] = fields.type;
  };

  const overflowChain = (value: Buffer): number => {
    const room = pageSize - overhead;
    const numbers: number[] = [];
    for (let at = 0; at < value.length; at += room) numbers.push(newPage());
    numbers.forEach((pageNumber, index) => {
      const chunk = value.subarray(index * room, (index + 1) * room);
      chunk.copy(pages[pageNumber]!, overhead);
      setHeader(pageNumber, {
        previous: numbers[index - 1] ?? 0,
        next: numbers[index + 1] ?? 0,
        entries: 1, // OV_REF: one item refers to the chain
        highFree: chunk.length, // OV_LEN
        type: PAGE_TYPE.OVERFLOW,
      });
    });
    return numbers[0]!;
  };

  /** The item as it sits on the hash page, type byte first. */
  const item = (bytes: Buffer): Buffer => {
    if (bytes.length + 1 <= pageSize / 4) {
      return Buffer.concat([Buffer.from([ITEM_TYPE.KEYDATA]), bytes]);
    }
    const offpage = Buffer.alloc(12);
    offpage[0] = ITEM_TYPE.OFFPAGE;
    u32(overflowChain(bytes)).copy(offpage, 4);
    u32(bytes.length).copy(offpage, 8);
    return offpage;
  };

  const pairs = blobs.map((blob, index) => ({ key: u32(index + 1), value: blob }));
  if (!options.withoutJoinKey) pairs.unshift({ key: u32(0), value: u32(blobs.length + 1) });

  const highMask = buckets - 1;
  const perBucket = Array.from({ length: buckets }, () => [] as { key: Buffer; value: Buffer }[]);
  for (const pair of pairs) perBucket[berkeleyDbHash(pair.key) & highMask]!.push(pair);

  const previousOf = new Map<number, number>();
  perBucket.forEach((bucketPairs, bucket) => {
    // Version 9 hash pages are sorted by key.
    bucketPairs.sort((a, b) => Buffer.compare(a.key, b.key));
    let pageNumber = bucket + 1;
    let onPage: Buffer[] = [];
    let used = overhead;
    // Items are stored from the end of the page down, in index order.
    const flush = (next: number) => {
      const page = pages[pageNumber]!;
      let free = pageSize;
      onPage.forEach((bytes, index) => {
        free -= bytes.length;
        bytes.copy(page, free);
        if (bigEndian) page.writeUInt16BE(free, overhead + index * 2);
        else page.writeUInt16LE(free, overhead + index * 2);
      });
      setHeader(pageNumber, {
        previous: previousOf.get(pageNumber) ?? 0,
        next,
        entries: onPage.length,
        highFree: free,
        type: PAGE_TYPE.HASH,
      });
    };
    for (const pair of bucketPairs) {
      const key = item(pair.key);
      const value = item(pair.value);
      const size = key.length + value.length + 4;
      if (used + size > pageSize) {
        // A full bucket continues on a chained hash page.
        const next = newPage();
        flush(next);
        previousOf.set(next, pageNumber);
        pageNumber = next;
        onPage = [];
        used = overhead;
      }
      onPage.push(key, value);
      used += size;
    }
    flush(0);
  });

  const meta = pages[0]!;
  const write = (value: number, at: number) => u32(value).copy(meta, at);
  write(1, 4);
  write(HASH_MAGIC, 12);
  write(HASH_VERSION, 16);
  write(pageSize, 20);
  meta[24] = 0; // no encryption
  meta[25] = PAGE_TYPE.HASH_META;
  meta[26] = options.checksums ? 1 : 0;
  write(pages.length - 1, 32); // last page
  Buffer.from('berth-rpmdb-fixture!').copy(meta, 52); // the 20-byte file id
  write(buckets - 1, 72); // max bucket
  write(highMask, 76);
  write(highMask >> 1, 80); // low mask
  write(pairs.length, 88);
  write(berkeleyDbHash(Buffer.from(CHARKEY)), 92);
  // Bucket b of n significant bits sits at page b + spares[n]: here every bucket b at b + 1.
  for (let splitPoint = 0; splitPoint <= 32 - Math.clz32(highMask); splitPoint += 1) {
    write(1, 96 + splitPoint * 4);
  }
  return Buffer.concat(pages);
}

import { RpmDatabaseError } from './rpm-database-error.js';

/*
 * rpm up to 4.15 kept its Packages database in Berkeley DB's hash format (RHEL and CentOS 5–8,
 * UBI 8, AlmaLinux and Rocky Linux 8, Amazon Linux 2). The layout is libdb's (dbinc/db_page.h,
 * dbinc/hash.h); the walk is the one rpm itself still uses to read such files without libdb
 * (lib/backend/bdb_ro.cc): every bucket from 0 to the highest, each bucket's chain of hash
 * pages, key/value pairs on the page or in chains of overflow pages.
 *
 * The file is written in the byte order of the machine that wrote it (s390x images are
 * big-endian); the header blobs inside are always big-endian, as rpm exports them.
 */

const HASH_MAGIC = 0x00061561;
/** The hash format versions rpm's bdb_ro reads: libdb 4.x to 6.x. */
const MIN_HASH_VERSION = 8;
const MAX_HASH_VERSION = 10;
/** libdb's page sizes are powers of two from 512 to 64 KiB. */
const MIN_PAGE_SIZE = 512;
const MAX_PAGE_SIZE = 65536;

/** The metadata page (page 0): DBMETA, then HMETA's fields. */
const META = {
  magic: 12,
  version: 16,
  pageSize: 20,
  encryption: 24,
  type: 25,
  flags: 26,
  lastPage: 32,
  maxBucket: 72,
  spares: 96,
} as const;
const SPARES = 32;
/** DBMETA_CHKSUM: every page carries a checksum (PG_CHKSUM, 6 bytes) before its index. */
const META_FLAG_CHECKSUM = 0x01;
const CHECKSUM_SIZE = 6;

/** Every page starts with this header (PAGE in db_page.h). */
const PAGE = { number: 8, next: 16, entries: 20, highFree: 22, type: 25 } as const;
const PAGE_HEADER_SIZE = 26;

const PAGE_TYPE = {
  /** Hash pages of libdb before 4.6, unsorted (CentOS 5). */
  HASH_UNSORTED: 2,
  OVERFLOW: 7,
  HASH_META: 8,
  HASH: 13,
} as const;

/** The first byte of an item on a hash page. */
const ITEM_TYPE = { KEYDATA: 1, OFFPAGE: 3 } as const;
/** HOFFPAGE: type, 3 bytes of padding, first overflow page, total length. */
const OFFPAGE_ITEM_SIZE = 12;

/** rpm stores the next header number under key 0 (the "join key"); it is no package. */
const JOIN_KEY = Buffer.alloc(4);

/**
 * The header blobs of an rpm `Packages` database, in bucket order. Throws only
 * RpmDatabaseError, and reads each page at most once, so hostile bytes cost no more than one
 * pass over the file and can neither loop nor make it allocate beyond the file's size.
 */
export function* berkeleyDbHeaderBlobs(content: Buffer): Generator<Buffer, void, undefined> {
  for (const { key, value } of berkeleyDbHashEntries(content)) {
    if (!key.equals(JOIN_KEY)) yield value;
  }
}

interface Entry {
  key: Buffer;
  value: Buffer;
}

function* berkeleyDbHashEntries(content: Buffer): Generator<Entry, void, undefined> {
  const db = openHashDatabase(content);
  for (let bucket = 0; bucket <= db.maxBucket; bucket += 1) {
    let pageNumber = db.bucketPage(bucket);
    while (pageNumber !== 0) {
      const page = db.page(pageNumber);
      const type = page[PAGE.type];
      if (type !== PAGE_TYPE.HASH && type !== PAGE_TYPE.HASH_UNSORTED) {
        throw new RpmDatabaseError(`page ${pageNumber} of a bucket is not a hash page`);
      }
      const items = itemBounds(db, page, pageNumber);
      // Items come in key/value pairs (db_page.h: H_KEYINDEX, H_DATAINDEX).
      for (let index = 0; index + 1 < items.length; index += 2) {
        const key = items[index];
        const value = items[index + 1];
        if (key && value) yield { key: db.item(page, key), value: db.item(page, value) };
      }
      pageNumber = db.u32(page, PAGE.next);
    }
  }
}

/**
 * Where each item of a hash page lies. libdb keeps the items in the reverse order of their
 * index entries, each running up to the start of the one before it (LEN_HITEM), so the
 * offsets must fall strictly; that also means no two items share bytes.
 */
function itemBounds(db: HashDatabase, page: Buffer, pageNumber: number): [number, number][] {
  const count = db.u16(page, PAGE.entries);
  const indexEnd = db.overhead + count * 2;
  if (count % 2 !== 0 || indexEnd > db.pageSize) {
    throw new RpmDatabaseError(`hash page ${pageNumber} has an impossible item count`);
  }
  const bounds: [number, number][] = [];
  let end = db.pageSize;
  for (let index = 0; index < count; index += 1) {
    const start = db.u16(page, db.overhead + index * 2);
    if (start < indexEnd || start >= end) {
      throw new RpmDatabaseError(`hash page ${pageNumber} has overlapping items`);
    }
    bounds.push([start, end]);
    end = start;
  }
  return bounds;
}

interface HashDatabase {
  pageSize: number;
  /** Bytes before a page's index (or an overflow page's data): header and checksum. */
  overhead: number;
  maxBucket: number;
  u16(bytes: Buffer, at: number): number;
  u32(bytes: Buffer, at: number): number;
  bucketPage(bucket: number): number;
  /** A page not read before; each page belongs to one bucket chain or one overflow item. */
  page(pageNumber: number): Buffer;
  item(page: Buffer, bounds: [number, number]): Buffer;
}

function openHashDatabase(content: Buffer): HashDatabase {
  if (content.length < MIN_PAGE_SIZE) {
    throw new RpmDatabaseError('too short for a Berkeley DB file');
  }
  let littleEndian: boolean;
  if (content.readUInt32LE(META.magic) === HASH_MAGIC) littleEndian = true;
  else if (content.readUInt32BE(META.magic) === HASH_MAGIC) littleEndian = false;
  else throw new RpmDatabaseError('not a Berkeley DB hash database');
  const u16 = (bytes: Buffer, at: number) =>
    littleEndian ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at);
  const u32 = (bytes: Buffer, at: number) =>
    littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);

  const version = u32(content, META.version);
  if (version < MIN_HASH_VERSION || version > MAX_HASH_VERSION) {
    throw new RpmDatabaseError(`unsupported hash version ${version}`);
  }
  const pageSize = u32(content, META.pageSize);
  if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || (pageSize & (pageSize - 1)) !== 0) {
    throw new RpmDatabaseError(`impossible page size ${pageSize}`);
  }
  if (content[META.type] !== PAGE_TYPE.HASH_META) {
    throw new RpmDatabaseError('the first page is not hash metadata');
  }
  if (content[META.encryption] !== 0) throw new RpmDatabaseError('the database is encrypted');
  const lastPage = u32(content, META.lastPage);
  // libdb extends the file to its last page when it allocates pages, so a shorter file was
  // cut off; checking once here bounds every page number read later.
  if ((lastPage + 1) * pageSize > content.length) {
    throw new RpmDatabaseError(`truncated: ${lastPage + 1} pages declared`);
  }
  const maxBucket = u32(content, META.maxBucket);
  if (maxBucket >= lastPage) {
    throw new RpmDatabaseError(`${maxBucket + 1} buckets cannot fit in ${lastPage} pages`);
  }
  const overhead =
    PAGE_HEADER_SIZE + ((content[META.flags] ?? 0) & META_FLAG_CHECKSUM ? CHECKSUM_SIZE : 0);
  const visited = new Uint8Array(lastPage + 1);

  const page = (pageNumber: number): Buffer => {
    if (pageNumber < 1 || pageNumber > lastPage) {
      throw new RpmDatabaseError(`page ${pageNumber} is outside the file`);
    }
    if (visited[pageNumber]) {
      throw new RpmDatabaseError(`page ${pageNumber} is reached twice`);
    }
    visited[pageNumber] = 1;
    const bytes = content.subarray(pageNumber * pageSize, (pageNumber + 1) * pageSize);
    // A page names itself: anything else is a pointer into the wrong place.
    if (u32(bytes, 8) !== pageNumber) {
      throw new RpmDatabaseError(`page ${pageNumber} is not where it belongs`);
    }
    return bytes;
  };

  const overflowValue = (firstPage: number, length: number): Buffer => {
    if (length === 0 || length > content.length) {
      throw new RpmDatabaseError(`an overflow item of ${length} bytes`);
    }
    const chunks: Buffer[] = [];
    let remaining = length;
    let pageNumber = firstPage;
    while (remaining > 0) {
      const bytes = page(pageNumber);
      if (bytes[PAGE.type] !== PAGE_TYPE.OVERFLOW) {
        throw new RpmDatabaseError(`page ${pageNumber} of an overflow item is not overflow`);
      }
      // On overflow pages the free-offset field holds the bytes of the item on this page.
      const onPage = u16(bytes, PAGE.highFree);
      if (overhead + onPage > pageSize || onPage > remaining) {
        throw new RpmDatabaseError(`overflow page ${pageNumber} holds an impossible length`);
      }
      chunks.push(bytes.subarray(overhead, overhead + onPage));
      remaining -= onPage;
      pageNumber = u32(bytes, PAGE.next);
    }
    return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, length);
  };

  return {
    pageSize,
    overhead,
    maxBucket,
    u16,
    u32,
    bucketPage(bucket) {
      // Buckets are allocated in doublings ("split points"); spares[n] is the page offset
      // of the doubling that holds buckets of n significant bits (hash.h BUCKET_TO_PAGE).
      const splitPoint = 32 - Math.clz32(bucket);
      if (splitPoint >= SPARES) throw new RpmDatabaseError(`bucket ${bucket} is out of range`);
      return bucket + u32(content, META.spares + splitPoint * 4);
    },
    page,
    item(bytes, [start, end]) {
      const type = bytes[start];
      if (type === ITEM_TYPE.KEYDATA) return bytes.subarray(start + 1, end);
      if (type === ITEM_TYPE.OFFPAGE && end - start === OFFPAGE_ITEM_SIZE) {
        return overflowValue(u32(bytes, start + 4), u32(bytes, start + 8));
      }
      // Duplicates and external blobs: rpm never writes them into Packages.
      throw new RpmDatabaseError(`a hash item of type ${type} is not an rpm header`);
    },
  };
}

import { RpmDatabaseError } from './rpm-database-error.js';

/*
 * rpm's own "ndb" package database, `Packages.db` (SUSE Linux Enterprise 15, openSUSE), as
 * rpm's lib/backend/ndb/rpmpkg.c writes it, always little-endian: a 32-byte header, then
 * pages of 16-byte slots (the header takes the first two), each slot locating one package's
 * blob by 16-byte block; a blob is a 16-byte head (magic, package index, generation, length),
 * the header blob, padding, and a 12-byte tail (checksum, length, magic).
 */

const FILE_MAGIC = 0x506d7052; // 'RpmP'
const FILE_VERSION = 0;
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOB_HEAD_MAGIC = 0x53626c42; // 'BlbS'
const BLOB_TAIL_MAGIC = 0x45626c42; // 'BlbE'
const HEADER = { magic: 0, version: 4, slotPages: 12 } as const;
const HEADER_SIZE = 32;
const SLOT_PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const BLOB_HEAD_SIZE = 16;
const BLOB_TAIL_SIZE = 12;
/** The smallest blob: head and tail with nothing between, rounded up to whole blocks. */
const MIN_BLOB_BLOCKS = Math.ceil((BLOB_HEAD_SIZE + BLOB_TAIL_SIZE) / BLOCK_SIZE);

/**
 * The header blobs of an ndb `Packages.db`, in file order. Throws only RpmDatabaseError.
 * Slots are checked as rpmpkgReadSlots checks them, and blobs may not overlap, so hostile
 * bytes are read at most once and nothing is allocated beyond a fraction of the file's size.
 */
export function* ndbHeaderBlobs(content: Buffer): Generator<Buffer, void, undefined> {
  if (content.length < SLOT_PAGE_SIZE || content.readUInt32LE(HEADER.magic) !== FILE_MAGIC) {
    throw new RpmDatabaseError('not an ndb package database');
  }
  if (content.readUInt32LE(HEADER.version) !== FILE_VERSION) {
    throw new RpmDatabaseError('unsupported ndb version');
  }
  // rpm refuses such a file too: everything in it is addressed in whole blocks.
  if (content.length % BLOCK_SIZE !== 0) {
    throw new RpmDatabaseError('the file is not a whole number of blocks');
  }
  const slotPages = content.readUInt32LE(HEADER.slotPages);
  if (slotPages === 0 || slotPages * SLOT_PAGE_SIZE > content.length) {
    throw new RpmDatabaseError(`truncated: ${slotPages} slot pages declared`);
  }
  const fileBlocks = content.length / BLOCK_SIZE;
  const firstBlobBlock = (slotPages * SLOT_PAGE_SIZE) / BLOCK_SIZE;
  for (const at of usedSlots(content, slotPages, firstBlobBlock, fileBlocks)) {
    yield blobAt(content, at);
  }
}

const SLOT = { packageIndex: 4, block: 8, blocks: 12 } as const;

/** The byte offsets of the slots in use, in the order of their blobs in the file. */
function usedSlots(
  content: Buffer,
  slotPages: number,
  firstBlobBlock: number,
  fileBlocks: number,
): Uint32Array {
  const slotsEnd = slotPages * SLOT_PAGE_SIZE;
  // Blobs are at least two blocks and may not overlap, which bounds how many slots can be
  // in use; offsets rather than objects keep a file of many slots cheap to hold.
  const maxUsed = Math.floor((fileBlocks - firstBlobBlock) / MIN_BLOB_BLOCKS);
  const used = new Uint32Array(Math.min(maxUsed, (slotsEnd - HEADER_SIZE) / SLOT_SIZE));
  let count = 0;
  for (let at = HEADER_SIZE; at < slotsEnd; at += SLOT_SIZE) {
    if (content.readUInt32LE(at) !== SLOT_MAGIC) {
      throw new RpmDatabaseError(`bad slot at byte ${at}`);
    }
    const block = content.readUInt32LE(at + SLOT.block);
    // rpm marks a free slot by its block offset alone.
    if (block === 0) continue;
    const blocks = content.readUInt32LE(at + SLOT.blocks);
    if (
      content.readUInt32LE(at + SLOT.packageIndex) === 0 ||
      blocks < MIN_BLOB_BLOCKS ||
      block < firstBlobBlock
    ) {
      throw new RpmDatabaseError(`bad slot at byte ${at}`);
    }
    if (block + blocks > fileBlocks) {
      throw new RpmDatabaseError('truncated: a blob ends past the end of the file');
    }
    if (count === used.length) throw new RpmDatabaseError('more slots in use than blobs fit');
    used[count] = at;
    count += 1;
  }
  const blockOf = (at: number) => content.readUInt32LE(at + SLOT.block);
  const ordered = used.subarray(0, count).sort((a, b) => blockOf(a) - blockOf(b));
  let end = firstBlobBlock;
  for (const at of ordered) {
    if (blockOf(at) < end) throw new RpmDatabaseError('two blobs overlap');
    end = blockOf(at) + content.readUInt32LE(at + SLOT.blocks);
  }
  return ordered;
}

/**
 * The header blob a slot points to, checked as rpmpkgReadBlob checks it. rpm does not verify
 * the Adler-32 checksum when it reads a package either; the header parser checks every
 * offset inside the blob.
 */
function blobAt(content: Buffer, slotAt: number): Buffer {
  const packageIndex = content.readUInt32LE(slotAt + SLOT.packageIndex);
  const blocks = content.readUInt32LE(slotAt + SLOT.blocks);
  const start = content.readUInt32LE(slotAt + SLOT.block) * BLOCK_SIZE;
  const end = start + blocks * BLOCK_SIZE;
  const length = content.readUInt32LE(start + 12);
  if (
    content.readUInt32LE(start) !== BLOB_HEAD_MAGIC ||
    content.readUInt32LE(start + 4) !== packageIndex ||
    blocks !== Math.ceil((BLOB_HEAD_SIZE + length + BLOB_TAIL_SIZE) / BLOCK_SIZE) ||
    content.readUInt32LE(end - 8) !== length ||
    content.readUInt32LE(end - 4) !== BLOB_TAIL_MAGIC
  ) {
    throw new RpmDatabaseError(`the blob of package ${packageIndex} is damaged`);
  }
  return content.subarray(start + BLOB_HEAD_SIZE, start + BLOB_HEAD_SIZE + length);
}

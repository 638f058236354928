/*
 * rpm `Packages.db` files in rpm's ndb format, as lib/backend/ndb/rpmpkg.c writes them
 * (rpmpkgWriteHeader, rpmpkgWriteEmptySlotpage, rpmpkgWriteslot, rpmpkgWriteBlob), always
 * little-endian: a 32-byte header, slot pages of 4 KiB whose first two slots the header
 * takes, then one blob per package in 16-byte blocks. Written from rpm's writer, not from
 * Berth's reader.
 */

export interface NdbOptions {
  /** Slot pages before the first blob; rpm starts with one and adds more as slots run out. */
  slotPages?: number;
  /**
   * Header numbers whose package was erased again: their slot is freed (block offset 0) and
   * their blocks zeroed, as rpmpkgDel leaves them, so the file has holes.
   */
  erased?: readonly number[];
}

const SLOT_PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const HEADER_SIZE = 32;
const BLOB_HEAD_SIZE = 16;
const BLOB_TAIL_SIZE = 12;

const magic = (text: string) => Buffer.from(text, 'latin1').readUInt32LE();

/** RFC 1950's Adler-32, over the blob head, the blob and its padding (rpmpkgWriteBlob). */
function adler32(bytes: Uint8Array): number {
  let s1 = 1;
  let s2 = 0;
  for (const byte of bytes) {
    s1 = (s1 + byte) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

/** A `Packages.db` holding these header blobs, numbered from 1. */
export function rpmdbNdb(blobs: readonly Buffer[], options: NdbOptions = {}): Buffer {
  const slotPages = options.slotPages ?? 1;
  const erased = new Set(options.erased ?? []);
  const slotArea = Buffer.alloc(slotPages * SLOT_PAGE_SIZE);
  if (HEADER_SIZE + blobs.length * SLOT_SIZE > slotArea.length) {
    throw new Error(`${blobs.length} packages need more than ${slotPages} slot pages`);
  }
  for (let at = 0; at < slotArea.length; at += SLOT_SIZE) slotArea.writeUInt32LE(magic('Slot'), at);

  const blobArea: Buffer[] = [];
  let block = slotArea.length / BLOCK_SIZE;
  blobs.forEach((blob, index) => {
    const packageIndex = index + 1;
    const blocks = Math.ceil((BLOB_HEAD_SIZE + blob.length + BLOB_TAIL_SIZE) / BLOCK_SIZE);
    const stored = Buffer.alloc(blocks * BLOCK_SIZE);
    if (!erased.has(packageIndex)) {
      stored.writeUInt32LE(magic('BlbS'), 0);
      stored.writeUInt32LE(packageIndex, 4);
      stored.writeUInt32LE(packageIndex, 8); // generation: when it was written
      stored.writeUInt32LE(blob.length, 12);
      blob.copy(stored, BLOB_HEAD_SIZE);
      const tail = stored.length - BLOB_TAIL_SIZE;
      stored.writeUInt32LE(adler32(stored.subarray(0, tail)), tail);
      stored.writeUInt32LE(blob.length, tail + 4);
      stored.writeUInt32LE(magic('BlbE'), tail + 8);
      // Slots follow the header's two, in order of package index.
      const slot = HEADER_SIZE + index * SLOT_SIZE;
      slotArea.writeUInt32LE(packageIndex, slot + 4);
      slotArea.writeUInt32LE(block, slot + 8);
      slotArea.writeUInt32LE(blocks, slot + 12);
    }
    blobArea.push(stored);
    block += blocks;
  });

  slotArea.writeUInt32LE(magic('RpmP'), 0);
  slotArea.writeUInt32LE(0, 4); // version
  slotArea.writeUInt32LE(blobs.length + erased.size, 8); // generation: one per slot write
  slotArea.writeUInt32LE(slotPages, 12);
  slotArea.writeUInt32LE(blobs.length + 1, 16); // next package index
  slotArea.fill(0, 20, HEADER_SIZE);
  return Buffer.concat([slotArea, ...blobArea]);
}

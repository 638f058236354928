import type { RetentionDecision } from '@berth/domain';

/**
 * A preview keeps every decision so it can be paged, downloaded and confirmed exactly. At a
 * million images, one row per decision would cost more to write than the preview costs to
 * compute, so the decisions are packed column by column into one value: 21 bytes an image.
 */
export interface PreviewColumns {
  manifestIds: Float64Array;
  revisions: Uint32Array;
  /** 0 when the image is not counted (untagged under "retain untagged"). */
  ranks: Uint32Array;
  /** 0 for none, else 1 + an index into the preview's protection texts. */
  protections: Uint32Array;
  decisions: Uint8Array;
}

export const DECISION_CODES: Record<RetentionDecision, number> = {
  keep: 0,
  protected: 1,
  delete: 2,
};
export const DECISIONS: RetentionDecision[] = ['keep', 'protected', 'delete'];

const MAGIC = 0x31505242; // "BRP1"
const HEADER = 8;
/** What one image's decision takes packed, and in memory once decoded. */
export const BYTES_PER_DECISION = 21;

export function allocateColumns(count: number): PreviewColumns {
  return {
    manifestIds: new Float64Array(count),
    revisions: new Uint32Array(count),
    ranks: new Uint32Array(count),
    protections: new Uint32Array(count),
    decisions: new Uint8Array(count),
  };
}

export function encodeColumns(c: PreviewColumns, count: number): Buffer {
  const out = Buffer.alloc(HEADER + count * BYTES_PER_DECISION);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(count, 4);
  let offset = HEADER;
  for (const column of [c.manifestIds, c.revisions, c.ranks, c.protections, c.decisions]) {
    const bytes = new Uint8Array(
      column.buffer,
      column.byteOffset,
      count * column.BYTES_PER_ELEMENT,
    );
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}

export function decodeColumns(stored: Uint8Array): { columns: PreviewColumns; count: number } {
  // A copy, so every typed array below starts on an aligned offset.
  const bytes = new Uint8Array(stored);
  const view = new DataView(bytes.buffer);
  if (bytes.length < HEADER || view.getUint32(0, true) !== MAGIC) {
    throw new Error('stored retention preview has an unknown format');
  }
  const count = view.getUint32(4, true);
  let offset = HEADER;
  const take = <T>(
    make: (buffer: ArrayBuffer, offset: number, length: number) => T,
    size: number,
  ) => {
    const column = make(bytes.buffer, offset, count);
    offset += count * size;
    return column;
  };
  const columns: PreviewColumns = {
    manifestIds: take((b, o, n) => new Float64Array(b, o, n), 8),
    revisions: take((b, o, n) => new Uint32Array(b, o, n), 4),
    ranks: take((b, o, n) => new Uint32Array(b, o, n), 4),
    protections: take((b, o, n) => new Uint32Array(b, o, n), 4),
    decisions: take((b, o, n) => new Uint8Array(b, o, n), 1),
  };
  return { columns, count };
}

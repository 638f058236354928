import type { BlobReader } from '@berth/store';

/**
 * Reads `length` bytes at `position` into `into`, fewer only where the stored bytes end (a
 * positioned read may return less than asked). Returns how many it read.
 */
export async function readUpTo(
  reader: Pick<BlobReader, 'read'>,
  into: Buffer,
  length: number,
  position: number,
): Promise<number> {
  let got = 0;
  while (got < length) {
    const n = await reader.read(into.subarray(got), length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

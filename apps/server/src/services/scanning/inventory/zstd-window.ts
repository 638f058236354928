import type { Decompress } from 'fzstd';

/**
 * The largest window a zstd frame may ask for: zstd's own decoders refuse more than 2^27 bytes
 * (128 MiB) unless told otherwise (`--long=31` frames need `--memory`). fzstd allocates the
 * window a frame header declares, up to 2 GiB, before reading a byte of content: one hostile
 * header would otherwise take 2 GiB of the server's memory.
 */
export const MAX_ZSTD_WINDOW = 128 * 1024 * 1024;

/** Bytes fzstd waits for before it reads a frame header (magic, descriptor, sizes). */
const HEADER_BYTES = 18;

/** fzstd's internals this guard reads: the frame state and the bytes it holds back. */
interface DecoderState {
  /** undefined or 0 between frames; a positive number while skipping; an object in a frame. */
  s?: unknown;
  c: Uint8Array[];
}

export class ZstdWindowTooLarge extends Error {
  constructor(readonly window: number) {
    super(
      `a zstd frame asks for a ${Math.round(window / 1024 / 1024)} MiB window; the scanner reads frames of up to ${MAX_ZSTD_WINDOW / 1024 / 1024} MiB`,
    );
  }
}

/**
 * Checks each frame header before fzstd reads it, throwing ZstdWindowTooLarge for a window over
 * `max`. fzstd reads a header where its state says "between frames", from the bytes it held
 * back plus the new chunk; it calls `this.push` again for the frames that follow one in the
 * same chunk, so the check replaces `push` on the instance to see those calls too.
 */
export function guardZstdWindows(decoder: Decompress, max = MAX_ZSTD_WINDOW): void {
  const push = decoder.push.bind(decoder);
  const state = decoder as unknown as DecoderState;
  decoder.push = (chunk: Uint8Array, final?: boolean) => {
    if (!state.s) {
      const head = Buffer.concat(
        [...state.c, chunk].map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)),
      );
      if (head.length >= HEADER_BYTES || (final && head.length >= 6)) {
        const window = declaredWindow(head);
        if (window !== null && window > max) throw new ZstdWindowTooLarge(window);
      }
    }
    push(chunk, final);
  };
}

/** The window a zstd frame header declares (RFC 8878 3.1.1.1), or null for another frame. */
export function declaredWindow(head: Uint8Array): number | null {
  const magic = (head[0] ?? 0) | ((head[1] ?? 0) << 8) | ((head[2] ?? 0) << 16);
  if (magic !== 0x2fb528 || head[3] !== 0xfd) return null;
  const flags = head[4] ?? 0;
  const singleSegment = (flags >> 5) & 1;
  if (!singleSegment) {
    const descriptor = head[5] ?? 0;
    const base = 2 ** (10 + (descriptor >> 3));
    return base + (base / 8) * (descriptor & 7);
  }
  // A single-segment frame's window is its content size.
  const dictionaryBytes = [0, 1, 2, 4][flags & 3]!;
  const sizeFlag = flags >> 6;
  const sizeBytes = sizeFlag ? 2 ** sizeFlag : 1;
  let size = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + (head[5 + dictionaryBytes + i] ?? 0);
  return sizeFlag === 1 ? size + 256 : size;
}

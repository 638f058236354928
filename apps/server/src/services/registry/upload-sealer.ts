import {
  type SegmentHeader,
  SEGMENT_BYTES,
  openTail,
  sealSegment,
  sealSegmentParts,
  sealTail,
} from '../encryption/segment-format.js';

/** What an UploadSealer holds, to go back to when a chunk fails half-way. */
export interface SealerSnapshot {
  segments: number;
  tail: Buffer;
}

/**
 * Encrypts an upload as its chunks arrive (issue 18), into the final at-rest layout (format
 * version 2): segment i is sealed, and can be written at its final offset, once the bytes
 * after it have started to arrive. Until then it is the tail, kept in memory and, between
 * requests, sealed on its own (sealedTail) in the session's meta: whether a segment is the
 * last is only known when the client finishes, so the last full segment cannot be sealed
 * before. No plaintext of the upload is ever written anywhere.
 *
 * The digest is not known yet: segments are sealed without it (version 2 does not bind it).
 */
export class UploadSealer {
  readonly #tail = Buffer.allocUnsafe(SEGMENT_BYTES);
  #fill = 0;
  #segments: number;
  /** Set once the last segment is sealed (finish): nothing may follow. */
  finished = false;

  constructor(
    readonly key: Buffer,
    readonly header: SegmentHeader,
    segments = 0,
    tail: Uint8Array = Buffer.alloc(0),
  ) {
    this.#segments = segments;
    if (tail.length > SEGMENT_BYTES) throw new RangeError('an upload tail is at most one segment');
    Buffer.from(tail.buffer, tail.byteOffset, tail.length).copy(this.#tail, 0);
    this.#fill = tail.length;
  }

  /** A sealer where the session's meta left it: throws CiphertextError for a tail not its own. */
  static resume(key: Buffer, header: SegmentHeader, segments: number, sealedTail: Buffer) {
    return new UploadSealer(key, header, segments, openTail(key, header, segments, sealedTail));
  }

  /** Segments sealed so far: the stored bytes end at segmentOffset(segments). */
  get segments(): number {
    return this.#segments;
  }

  /** Plaintext bytes taken so far. */
  get offset(): number {
    return this.#segments * SEGMENT_BYTES + this.#fill;
  }

  /**
   * Takes plaintext; returns the segments it completed, sealed, in order (each in the pieces
   * it is made of, to be written as they are).
   */
  encode(plain: Buffer[]): Buffer[] {
    const out: Buffer[] = [];
    this.cut(plain, (index, bytes) => {
      out.push(...sealSegmentParts(this.key, this.header, '', index, false, bytes));
    });
    return out;
  }

  /**
   * Takes plaintext; hands each segment it completed to `seal` in order (none of them is the
   * last): its index and its plaintext, valid only until `seal` returns.
   */
  cut(plain: Buffer[], seal: (index: number, bytes: Buffer) => void): void {
    if (this.finished) throw new Error('the upload was finished; nothing can follow');
    const complete = (bytes: Buffer) => {
      seal(this.#segments, bytes);
      this.#segments += 1;
    };
    for (const chunk of plain) {
      let at = 0;
      while (at < chunk.length) {
        if (this.#fill === SEGMENT_BYTES) {
          complete(this.#tail);
          this.#fill = 0;
        }
        if (this.#fill === 0 && chunk.length - at > SEGMENT_BYTES) {
          // A whole segment with more after it: taken where it is, without a copy.
          complete(chunk.subarray(at, at + SEGMENT_BYTES));
          at += SEGMENT_BYTES;
          continue;
        }
        const n = Math.min(SEGMENT_BYTES - this.#fill, chunk.length - at);
        chunk.copy(this.#tail, this.#fill, at, at + n);
        this.#fill += n;
        at += n;
      }
    }
  }

  /** The tail sealed for keeping between requests (see sealTail). */
  sealedTail(): Buffer {
    return sealTail(this.key, this.header, this.#segments, this.#tail.subarray(0, this.#fill));
  }

  /** The last segment, sealed as the last; it goes at segmentOffset(segments). */
  finish(): Buffer {
    this.finished = true;
    return sealSegment(
      this.key,
      this.header,
      '',
      this.#segments,
      true,
      this.#tail.subarray(0, this.#fill),
    );
  }

  snapshot(): SealerSnapshot {
    return { segments: this.#segments, tail: Buffer.from(this.#tail.subarray(0, this.#fill)) };
  }

  restore(snapshot: SealerSnapshot): void {
    this.#segments = snapshot.segments;
    snapshot.tail.copy(this.#tail, 0);
    this.#fill = snapshot.tail.length;
    this.finished = false;
  }
}

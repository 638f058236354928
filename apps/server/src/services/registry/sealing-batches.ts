import {
  BATCH_SEGMENTS,
  type CipherSlot,
  type SegmentCipherPool,
} from '../encryption/segment-cipher-pool.js';
import {
  NONCE_BYTES,
  sealInputs,
  sealSegmentParts,
  TAG_BYTES,
} from '../encryption/segment-format.js';
import type { EncodedPiece, StoredEncoder } from './hashing-file-writer.js';
import type { UploadSealer } from './upload-sealer.js';

/**
 * An upload chunk's segments sealed in batches of 16 on the cipher pool's workers (issue 18):
 * the request's thread cuts segments and copies them into shared memory, a worker seals them
 * while the next ones arrive. Without a free slot, segments are sealed on this thread, as they
 * always were; the bytes written are the same either way (format version 2, a random nonce
 * per segment).
 */
export class SealingBatches implements StoredEncoder {
  #slot: CipherSlot | null = null;
  #count = 0;
  #in = 0;
  #out = 0;
  /** Segments sealed here since the last piece, waiting to become one. */
  #here: Buffer[] = [];
  #hereBytes = 0;

  constructor(
    private readonly sealer: UploadSealer,
    private readonly pool: SegmentCipherPool | null,
  ) {}

  encode(plain: Buffer[]): EncodedPiece[] {
    const pieces: EncodedPiece[] = [];
    const { key, header } = this.sealer;
    this.sealer.cut(plain, (index, bytes) => {
      if (!this.#slot) {
        this.#slot = this.pool?.acquire('seal') ?? null;
        // What was sealed here goes first: pieces are written in order.
        if (this.#slot) this.#takeHere(pieces);
      }
      const slot = this.#slot;
      if (!slot) {
        const parts = sealSegmentParts(key, header, '', index, false, bytes);
        this.#here.push(...parts);
        for (const part of parts) this.#hereBytes += part.length;
        return;
      }
      // Stored as nonce | ciphertext | tag, the nonce written here, the rest by the worker.
      const { nonce, aad } = sealInputs(header, '', index, false);
      bytes.copy(slot.input, this.#in);
      nonce.copy(slot.output, this.#out);
      slot.add({
        inputAt: this.#in,
        inputLength: bytes.length,
        nonce,
        aad,
        outputAt: this.#out + NONCE_BYTES,
        tagAt: this.#out + NONCE_BYTES + bytes.length,
      });
      this.#in += bytes.length;
      this.#out += NONCE_BYTES + bytes.length + TAG_BYTES;
      this.#count += 1;
      if (this.#count === BATCH_SEGMENTS) pieces.push(this.#dispatch());
    });
    // A short chunk's segments sealed here go out now; a batch in a slot waits to fill up.
    this.#takeHere(pieces);
    return pieces;
  }

  flush(): EncodedPiece[] {
    const pieces: EncodedPiece[] = [];
    this.#takeHere(pieces);
    if (this.#slot && this.#count > 0) pieces.push(this.#dispatch());
    this.discard();
    return pieces;
  }

  discard(): void {
    this.#slot?.release();
    this.#slot = null;
    this.#count = 0;
    this.#in = 0;
    this.#out = 0;
  }

  #takeHere(pieces: EncodedPiece[]) {
    if (this.#here.length === 0) return;
    pieces.push({ length: this.#hereBytes, bytes: this.#here });
    this.#here = [];
    this.#hereBytes = 0;
  }

  #dispatch(): EncodedPiece {
    const slot = this.#slot!;
    const length = this.#out;
    this.#slot = null;
    this.#count = 0;
    this.#in = 0;
    this.#out = 0;
    const sealed = this.pool!.run(slot, this.sealer.key).then(() => [
      slot.output.subarray(0, length),
    ]);
    return { length, bytes: sealed, release: () => slot.release() };
  }
}

import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * Bytes a writer may hold while the file catches up: large enough that a fast client is not
 * paused every 16 KiB (createWriteStream's default), small enough that five layers streaming
 * at once stay a few MiB of memory.
 */
const BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * After this many bytes the file's dirty pages are handed to the disk in the background
 * (fdatasync, not awaited): the kernel would otherwise hold a whole layer in the page cache
 * until the fsync that acknowledges it, and a 500 MiB push then ended with the disk writing
 * everything while the network and the CPU waited. Small, because what is still dirty at the
 * end is what the client waits for: an fdatasync costs ~0.6 ms per dirty MiB on the benchmark
 * machine, so at 32 MiB a layer's PUT waited ~23 ms for its last stretch, at 4 MiB ~1 ms.
 */
const WRITEBACK_EVERY_BYTES = 4 * 1024 * 1024;
/**
 * Background syncs at once, across all uploads: each holds one of libuv's four threads for
 * as long as the disk takes, and file writes need the others.
 */
const WRITEBACK_MAX = 2;
let writebacks = 0;

/** Pieces being written at once: one is written while the next arrives (or is sealed). */
const PIECES_IN_FLIGHT = 2;

/**
 * What plaintext becomes in the file (an upload encrypted as it arrives: the segments it
 * completed, sealed). Pieces are written in order, each right after the one before it.
 */
export interface StoredEncoder {
  /** Takes plaintext; returns the pieces it completed. */
  encode(plain: Buffer[]): EncodedPiece[];
  /** The pieces held back for a fuller batch, at the end of the stream. */
  flush(): EncodedPiece[];
  /** Gives back what is held (the stream failed). */
  discard(): void;
}

export interface EncodedPiece {
  /** Bytes it takes in the file, known before they are. */
  length: number;
  /** The bytes, now or once sealed elsewhere (a cipher worker). */
  bytes: Buffer[] | Promise<Buffer[]>;
  /** Called once the bytes are written (or failed): their memory may be used again. */
  release?(): void;
}

/**
 * Writes a stream into an open file from `position` on and hashes it in the same pass, chunk
 * by chunk as each is written (no Transform between them, no second read). Two writes are in
 * flight while the next chunk is hashed (and sealed); `onWritten` sees each batch once it is
 * on its way, and all of them are in the file when the stream finishes. Writes are batched
 * (writev) while others are in flight.
 */
export class HashingFileWriter extends Writable {
  #unsynced = 0;
  #writeback: Promise<void> | null = null;
  #position: number;
  readonly #inFlight: Promise<void>[] = [];

  constructor(
    private readonly file: FileHandle,
    private readonly hash: Hash,
    position: number,
    private readonly onWritten: (bytes: number) => void,
    /**
     * Turns the plaintext into what is written; the hash and onWritten still see the
     * plaintext, `position` counts written bytes.
     */
    private readonly encoder?: StoredEncoder,
  ) {
    super({ highWaterMark: BUFFER_BYTES, decodeStrings: true });
    this.#position = position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this.#append([chunk]).then(() => done(), done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    this.#append(chunks.map((c) => c.chunk)).then(() => done(), done);
  }

  override _final(done: (error?: Error | null) => void): void {
    const finish = async () => {
      if (this.encoder) this.#start(this.encoder.flush());
      while (this.#inFlight.length > 0) await this.#inFlight.shift();
      // The file must not be closed under a sync still running on it.
      await this.#writeback;
    };
    finish().then(() => done(), done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.encoder?.discard();
    void this.settled().then(() => done(error));
  }

  /**
   * Resolves once no write of this stream is in flight. A pipeline rejects before its streams
   * have finished destroying: a caller that cuts the file back after a failure waits for this
   * first, so that no write lands after the cut.
   */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#inFlight);
  }

  async #append(buffers: Buffer[]): Promise<void> {
    let bytes = 0;
    for (const b of buffers) {
      this.hash.update(b);
      bytes += b.length;
    }
    // Plaintext is written as it came; the stream hands over new buffers for each chunk, so
    // the ones in flight are never written into.
    this.#start(this.encoder ? this.encoder.encode(buffers) : [{ length: bytes, bytes: buffers }]);
    while (this.#inFlight.length >= PIECES_IN_FLIGHT) await this.#inFlight.shift();
    this.onWritten(bytes);
  }

  /** Starts writing each piece at its place; failures surface when it is awaited. */
  #start(pieces: EncodedPiece[]): void {
    for (const piece of pieces) {
      const at = this.#position;
      this.#position += piece.length;
      const write = (async () => {
        try {
          await writevFully(this.file, await piece.bytes, at);
        } finally {
          piece.release?.();
        }
        this.#written(piece.length);
      })();
      write.catch(() => undefined);
      this.#inFlight.push(write);
    }
  }

  #written(bytes: number): void {
    this.#unsynced += bytes;
    if (this.#unsynced >= WRITEBACK_EVERY_BYTES && !this.#writeback && writebacks < WRITEBACK_MAX) {
      this.#unsynced = 0;
      writebacks += 1;
      // Only an early start for the disk: the fsync before the blob is acknowledged is what
      // makes it durable, and it reports any error this one would have.
      this.#writeback = this.file
        .datasync()
        .catch(() => undefined)
        .finally(() => {
          writebacks -= 1;
          this.#writeback = null;
        });
    }
  }
}

/** writev until every byte is in: a regular file may take fewer bytes than offered. */
export async function writevFully(
  file: FileHandle,
  buffers: Buffer[],
  position: number,
): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await file.writev(pending, position);
    position += bytesWritten;
    if (bytesWritten === 0) throw new Error('the upload file accepted no bytes');
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    pending = rest;
  }
}

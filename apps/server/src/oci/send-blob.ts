import type { Response } from 'express';
import type { BlobReader } from '@berth/store';
import type { ViewingReader } from '../services/encryption/decrypting-reader.js';

/** Bytes per read: a sixteenth of the syscalls of 64 KiB reads, and a whole socket buffer. */
const CHUNK = 1024 * 1024;

/**
 * Sends `length` bytes from `start` with two buffers used in turn: one is read into while
 * the socket takes the other. A read stream allocates a new buffer for every chunk; pulling
 * 500 MiB that way made garbage collection a third of the server's time (a full collection
 * every few dozen MiB of external memory). A buffer is read into again only once the socket
 * has written it. Closes the reader; ends the response.
 */
export async function sendBlob(
  res: Response,
  reader: BlobReader | ViewingReader,
  start: number,
  length: number,
): Promise<void> {
  let closed: Error | null = null;
  const waiting = new Set<(error: Error) => void>();
  const onClose = () => {
    if (res.writableFinished) return;
    // The code a stream pipeline gives the same event, which the error handler logs as such.
    closed = Object.assign(new Error('the client closed the connection before the blob was sent'), {
      code: 'ERR_STREAM_PREMATURE_CLOSE',
    });
    for (const fail of waiting) fail(closed);
  };
  res.once('close', onClose);
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (closed) {
        reject(closed);
        return;
      }
      waiting.add(reject);
      res.write(chunk, (error) => {
        waiting.delete(reject);
        if (error) reject(error);
        else resolve();
      });
    });
  try {
    if ('view' in reader) {
      await sendViews(reader, write, start, length);
      res.end();
      return;
    }
    const size = Math.max(1, Math.min(CHUNK, length));
    const buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)];
    const written: (Promise<void> | undefined)[] = [undefined, undefined];
    let position = start;
    let left = length;
    for (let turn = 0; left > 0; turn++) {
      const slot = turn % 2;
      const buffer = buffers[slot]!;
      await written[slot];
      const n = await reader.read(buffer, Math.min(size, left), position);
      if (n === 0) throw new Error(`the blob ended ${left} bytes before its recorded size`);
      position += n;
      left -= n;
      written[slot] = write(n === buffer.length ? buffer : buffer.subarray(0, n));
      // Not awaited yet: a failure surfaces when this slot comes round again, or below.
      written[slot].catch(() => undefined);
    }
    await Promise.all(written);
    res.end();
  } finally {
    res.off('close', onClose);
    await reader.close();
  }
}

/**
 * As sendBlob's loop, for a reader that lends its bytes (a decrypting reader's shared memory):
 * each view is written as it is, without a copy, and released once the socket has taken it.
 */
async function sendViews(
  reader: ViewingReader,
  write: (chunk: Buffer) => Promise<void>,
  start: number,
  length: number,
): Promise<void> {
  const written: Promise<void>[] = [];
  try {
    for (let position = start, left = length; left > 0;) {
      const view = await reader.view(position, Math.min(CHUNK, left));
      if (view.bytes.length === 0) {
        view.release();
        throw new Error(`the blob ended ${left} bytes before its recorded size`);
      }
      position += view.bytes.length;
      left -= view.bytes.length;
      const sent = write(view.bytes).finally(view.release);
      sent.catch(() => undefined); // surfaces when awaited below
      written.push(sent);
      // Two in the socket at once, as the buffered loop keeps two reads.
      if (written.length >= 2) await written.shift();
    }
    await Promise.all(written);
  } finally {
    await Promise.allSettled(written);
  }
}

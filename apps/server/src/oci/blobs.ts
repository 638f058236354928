import type { Request, Response } from 'express';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { blobIntegrityError } from '../services/encryption/integrity-error.js';
import type { Services } from '../services/index.js';
import { actorOf } from '../api/respond.js';
import { byteRange } from './http.js';
import { sendBlob } from './send-blob.js';

export function blobHandlers({ registry }: Services) {
  return {
    async get(req: Request, res: Response, [name = '', digest = '']: string[]) {
      const { size } = await registry.statBlob(name, digest);
      // As Distribution does: GET only (a HEAD costs Berth nothing to answer), and before the
      // Range is read, since the client sends it to S3 with the redirected request.
      const redirect = req.method === 'GET' ? await registry.blobRedirect(digest) : null;
      if (redirect) {
        res.status(307).set({ Location: redirect, 'Docker-Content-Digest': digest }).end();
        return;
      }
      let range: ReturnType<typeof byteRange>;
      try {
        range = byteRange(req, size);
      } catch (error) {
        // RFC 9110: a 416 says how long the blob is, so the client can ask again.
        res.set('Content-Range', `bytes */${size}`);
        throw error;
      }
      res.set({
        'Content-Type': 'application/octet-stream',
        'Docker-Content-Digest': digest,
        'Accept-Ranges': 'bytes',
        ETag: `"${digest}"`,
        'Cache-Control': 'max-age=31536000',
      });
      const length = range ? range.end - range.start + 1 : size;
      res.set('Content-Length', String(length));
      if (range) res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
      else res.status(200);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const body = await registry
        .openBlobToSend(digest, range ?? undefined, { repository: name, size })
        .catch((error: unknown) => {
          throw blobIntegrityError(digest, error, 'open') ?? error;
        });
      // A segment of the first read that does not authenticate fails before the status line
      // goes out: the client gets a 500 saying why instead of a connection cut at byte 0. A
      // later one can only cut the response short (its status is sent by then).
      const firstReadFailed = (error: unknown) =>
        res.headersSent ? error : (blobIntegrityError(digest, error, 'read') ?? error);
      if ('reader' in body) {
        await sendBlob(res, body.reader, range?.start ?? 0, length).catch((error: unknown) => {
          throw firstReadFailed(error);
        });
        return;
      }
      // Resolves once the first chunk is decrypted and buffered (or the stream ended); the
      // pipeline then sends it and the rest.
      await once(body.stream, 'readable').catch((error: unknown) => {
        throw firstReadFailed(error);
      });
      await pipeline(body.stream, res);
    },

    async delete(req: Request, res: Response, [name = '', digest = '']: string[]) {
      await registry.deleteBlob(name, digest, actorOf(req));
      res.status(202).end();
    },
  };
}

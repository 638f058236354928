import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
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
      const body = await registry.openBlobToSend(digest, range ?? undefined, {
        repository: name,
        size,
      });
      if ('reader' in body) {
        await sendBlob(res, body.reader, range?.start ?? 0, length);
        return;
      }
      await pipeline(body.stream, res);
    },

    async delete(req: Request, res: Response, [name = '', digest = '']: string[]) {
      await registry.deleteBlob(name, digest, actorOf(req));
      res.status(202).end();
    },
  };
}

import type { Request, Response } from 'express';
import { MAX_MANIFEST_BYTES } from '@berth/domain';
import type { Services } from '../services/index.js';
import { actorOf } from '../api/respond.js';
import { OciError } from './errors.js';
import { header, queryAll } from './http.js';

/** `?tag=` parameters one push may carry: the spec asks for at least 10. */
export const MAX_TAGS_PER_PUSH = 100;

async function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(header(req, 'content-length') ?? '0');
  if (declared > limit) {
    req.resume();
    throw new OciError('MANIFEST_INVALID', `manifest is larger than ${limit} bytes`, 413);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new OciError('MANIFEST_INVALID', `manifest is larger than ${limit} bytes`, 413);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function manifestHandlers({ registry }: Services) {
  return {
    async get(req: Request, res: Response, [name = '', reference = '']: string[]) {
      const head = req.method === 'HEAD';
      // The bytes are read for a HEAD too: a sealed row that does not authenticate must get
      // the same 500 as its GET (RFC 9110: HEAD answers as GET would), not a 200 announcing
      // a manifest the registry will not serve.
      const m = await registry.getManifest(name, reference, header(req, 'accept'), true);
      res.status(200).set({
        'Content-Type': m.mediaType,
        'Content-Length': String(m.size),
        'Docker-Content-Digest': m.digest,
        ETag: `"${m.digest}"`,
      });
      if (head) {
        res.end();
        return;
      }
      if (!m.content)
        throw new OciError('MANIFEST_UNKNOWN', `manifest ${m.digest} has no stored content`);
      res.end(Buffer.from(m.content));
    },

    async put(req: Request, res: Response, [name = '', reference = '']: string[]) {
      const tags = queryAll(req, 'tag');
      if (tags.length > MAX_TAGS_PER_PUSH) {
        req.resume();
        throw new OciError(
          'TAG_INVALID',
          `a push may carry at most ${MAX_TAGS_PER_PUSH} ?tag= parameters (got ${tags.length}); push the rest in another request`,
          414,
        );
      }
      const body = await readBody(req, MAX_MANIFEST_BYTES);
      const out = await registry.putManifest(
        name,
        reference,
        header(req, 'content-type'),
        body,
        actorOf(req),
        tags,
      );
      res.status(201).set({
        Location: `/v2/${name}/manifests/${out.digest}`,
        'Docker-Content-Digest': out.digest,
        ...(out.subject ? { 'OCI-Subject': out.subject } : {}),
      });
      // One OCI-Tag header per tag the push gave the image.
      if (out.tags.length > 0) res.set('OCI-Tag', out.tags);
      res.end();
    },

    async delete(req: Request, res: Response, [name = '', reference = '']: string[]) {
      await registry.deleteManifest(name, reference, actorOf(req));
      res.status(202).end();
    },
  };
}

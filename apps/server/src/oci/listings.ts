import type { Request, Response } from 'express';
import type { Services } from '../services/index.js';
import { pageParams, query, setNextLink } from './http.js';
import { OciError } from './errors.js';
import { registryCallerOf } from './registry-auth.js';

/** Page sizes: the spec leaves the maximum to the registry. */
const MAX_PAGE = 1000;
/** Each referrer is read with its bytes (for annotations), so pages stay smaller. */
const MAX_REFERRERS_PAGE = 500;

/** A referrers page continues after a row id that only Berth's own Link header hands out. */
function referrersCursor(last: string): number {
  if (!/^\d{1,15}$/.test(last)) {
    throw new OciError('PAGINATION_NUMBER_INVALID', 'last must be the cursor from a Link header');
  }
  return Number(last);
}

export function listingHandlers({ registry, access }: Services) {
  return {
    async tags(req: Request, res: Response, [name = '']: string[]) {
      const page = pageParams(req, MAX_PAGE);
      const out = await registry.tags(name, page);
      const last = out.names.at(-1);
      if (out.more && last !== undefined) setNextLink(res, `/v2/${name}/tags/list`, page.n, last);
      res.status(200).json({ name, tags: out.names });
    },

    async catalog(req: Request, res: Response) {
      const page = pageParams(req, MAX_PAGE);
      // Only the repositories of namespaces the caller can see.
      const { visibility } = await access.namespaceListing(registryCallerOf(req).principal);
      const out = await registry.catalog(page, visibility);
      const last = out.names.at(-1);
      if (out.more && last !== undefined) setNextLink(res, '/v2/_catalog', page.n, last);
      res.status(200).json({ repositories: out.names });
    },

    async referrers(req: Request, res: Response, [name = '', digest = '']: string[]) {
      const artifactType = query(req, 'artifactType');
      const page = pageParams(req, MAX_REFERRERS_PAGE);
      const after = page.last === undefined ? undefined : referrersCursor(page.last);
      // n=0 still reads one row: a page that holds nothing could never lead anywhere.
      const limit = Math.max(page.n, 1);
      const { index, next } = await registry.referrers(name, digest, {
        limit,
        ...(artifactType !== undefined ? { artifactType } : {}),
        ...(after !== undefined ? { after } : {}),
      });
      if (artifactType !== undefined) res.set('OCI-Filters-Applied', 'artifactType');
      if (next !== undefined) {
        setNextLink(res, `/v2/${name}/referrers/${digest}`, limit, String(next), {
          ...(artifactType !== undefined ? { artifactType } : {}),
        });
      }
      // A Buffer, so Express adds no "; charset=utf-8": conformance wants the bare media type.
      res
        .status(200)
        .type(index.mediaType)
        .send(Buffer.from(JSON.stringify(index)));
    },
  };
}

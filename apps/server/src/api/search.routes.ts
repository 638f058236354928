import { Router } from 'express';
import { searchQuery, searchResults } from '@berth/contract';
import type { Services } from '../services/index.js';
import { principalOf } from './request-auth.js';
import { send } from './respond.js';

/** The console header's search: what the caller may read that starts with `q`. */
export function searchRoutes(services: Services): Router {
  const r = Router();
  r.get('/search', async (req, res) => {
    const query = searchQuery.parse(req.query);
    send(res, searchResults, await services.search.search(principalOf(req), query));
  });
  return r;
}

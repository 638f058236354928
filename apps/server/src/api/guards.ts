import type { RequestHandler, Response } from 'express';
import type { NamespaceAction, ProjectAction } from '@berth/domain';
import type { Services } from '../services/index.js';
import type { NamespaceAccess } from '../services/identity/access-service.js';
import { requireNamespaceName } from '../services/name-checks.js';
import { principalOf } from './request-auth.js';
import { param } from './respond.js';

/**
 * Route-level checks, written next to each route so the table of who-may-do-what reads
 * straight off the routers. A malformed name is still a 400; a namespace or project the
 * caller cannot see is a 404 like one that does not exist.
 */
export function guards({ access }: Services) {
  return {
    namespace:
      (action: NamespaceAction): RequestHandler =>
      async (req, res, next) => {
        const name = requireNamespaceName(param(req, 'namespace'));
        res.locals.namespace = await access.requireNamespace(principalOf(req), name, action);
        next();
      },
    project:
      (action: ProjectAction): RequestHandler =>
      async (req, res, next) => {
        res.locals.projectRole = await access.requireProject(
          principalOf(req),
          param(req, 'projectId'),
          action,
        );
        next();
      },
    admin:
      (action: 'read' | 'write' = 'write'): RequestHandler =>
      (req, _res, next) => {
        access.requireAdmin(principalOf(req), action);
        next();
      },
  };
}

/** What the namespace guard found: the namespace and the caller's role in it. */
export function namespaceOf(res: Response): NamespaceAccess {
  return res.locals.namespace as NamespaceAccess;
}

/**
 * The console's client-side routes (React Router patterns, relative to `/`). The console's
 * router is built from this table, and the server answers every path under one of these
 * routes' first segments with the console's index.html: the console then shows the page, or
 * its own "not found" page for a path under a known section. Every other path the server does
 * not know (`/v1/...`, `/foo.json`) is a JSON 404, so API clients and registry clients that
 * probe a path get an error they can read rather than a web page with 200.
 */
export const CONSOLE_ROUTES = {
  namespaces: 'namespaces',
  namespace: 'namespaces/:namespace',
  repositories: 'namespaces/:namespace/repositories',
  namespaceMembers: 'namespaces/:namespace/members',
  namespaceSettings: 'namespaces/:namespace/settings',
  images: 'namespaces/:namespace/repositories/*',
  repositoriesPicker: 'repositories',
  trash: 'trash',
  retention: 'retention',
  projects: 'projects',
  deletedProjects: 'projects/deleted',
  project: 'projects/:projectId',
  apiKeys: 'account/api-keys',
  accountPassword: 'account/password',
  users: 'admin/users',
  audit: 'admin/audit',
  gc: 'admin/gc',
  advisories: 'admin/advisories',
  backups: 'admin/backups',
} as const;

export type ConsoleRouteName = keyof typeof CONSOLE_ROUTES;

/** The first path segments of the console's routes: `namespaces`, `trash`, `admin`, … */
export const CONSOLE_SECTIONS: readonly string[] = [
  ...new Set(Object.values(CONSOLE_ROUTES).map((route) => route.split('/')[0]!)),
];

/** Whether the console answers `pathname`: its root, or a path in one of its sections. */
export function isConsolePath(pathname: string): boolean {
  if (pathname === '/') return true;
  const section = /^\/([^/]+)(?:\/|$)/.exec(pathname)?.[1];
  return section !== undefined && CONSOLE_SECTIONS.includes(section);
}

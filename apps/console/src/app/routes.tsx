import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { CONSOLE_ROUTES, type ConsoleRouteName } from '@berth/contract';
import { NotFoundPage, RootErrorBoundary } from './RootErrorBoundary';
import { SessionGate } from './SessionGate';

/** Named route table; every page is its own lazily loaded chunk. */
export const routes = {
  namespaces: {
    path: CONSOLE_ROUTES.namespaces,
    lazy: async () => ({
      Component: (await import('../features/namespaces/NamespacesPage')).NamespacesPage,
    }),
  },
  namespace: {
    path: CONSOLE_ROUTES.namespace,
    element: <Navigate to="repositories" replace />,
  },
  repositories: {
    path: CONSOLE_ROUTES.repositories,
    lazy: async () => ({
      Component: (await import('../features/repositories/RepositoriesPage')).RepositoriesPage,
    }),
  },
  namespaceMembers: {
    path: CONSOLE_ROUTES.namespaceMembers,
    lazy: async () => ({
      Component: (await import('../features/namespaces/NamespaceMembersPage')).NamespaceMembersPage,
    }),
  },
  namespaceSettings: {
    path: CONSOLE_ROUTES.namespaceSettings,
    lazy: async () => ({
      Component: (await import('../features/namespaces/NamespaceSettingsPage'))
        .NamespaceSettingsPage,
    }),
  },
  images: {
    // The splat is the repository name, which may contain "/", and then, after "/-/images/",
    // one image's digest (see parseRepositorySplat): the repository's images or that image.
    path: CONSOLE_ROUTES.images,
    lazy: async () => ({
      Component: (await import('../features/images/RepositoryRoute')).RepositoryRoute,
    }),
  },
  repositoriesPicker: {
    path: CONSOLE_ROUTES.repositoriesPicker,
    lazy: async () => ({
      Component: (await import('../features/repositories/RepositoriesPickerPage'))
        .RepositoriesPickerPage,
    }),
  },
  trash: {
    path: CONSOLE_ROUTES.trash,
    lazy: async () => ({
      Component: (await import('../features/trash/TrashPage')).TrashPage,
    }),
  },
  retention: {
    path: CONSOLE_ROUTES.retention,
    lazy: async () => ({
      Component: (await import('../features/retention/RetentionPage')).RetentionPage,
    }),
  },
  projects: {
    path: CONSOLE_ROUTES.projects,
    lazy: async () => ({
      Component: (await import('../features/projects/ProjectsPage')).ProjectsPage,
    }),
  },
  deletedProjects: {
    // Listed before `projects/:projectId` for the reader; the router ranks the static path first.
    path: CONSOLE_ROUTES.deletedProjects,
    lazy: async () => ({
      Component: (await import('../features/projects/ProjectsPage')).DeletedProjectsPage,
    }),
  },
  project: {
    path: CONSOLE_ROUTES.project,
    lazy: async () => ({
      Component: (await import('../features/projects/ProjectDetailsPage')).ProjectDetailsPage,
    }),
  },
  apiKeys: {
    path: CONSOLE_ROUTES.apiKeys,
    lazy: async () => ({
      Component: (await import('../features/api-keys/ApiKeysPage')).ApiKeysPage,
    }),
  },
  accountPassword: {
    path: CONSOLE_ROUTES.accountPassword,
    lazy: async () => ({
      Component: (await import('../features/session/AccountPasswordPage')).AccountPasswordPage,
    }),
  },
  // Admin pages: the side nav offers them to admins only, and the API refuses anyone else.
  users: {
    path: CONSOLE_ROUTES.users,
    lazy: async () => ({
      Component: (await import('../features/users/UsersPage')).UsersPage,
    }),
  },
  audit: {
    path: CONSOLE_ROUTES.audit,
    lazy: async () => ({
      Component: (await import('../features/audit/AuditPage')).AuditPage,
    }),
  },
  gc: {
    path: CONSOLE_ROUTES.gc,
    lazy: async () => ({
      Component: (await import('../features/gc/GcPage')).GcPage,
    }),
  },
  advisories: {
    path: CONSOLE_ROUTES.advisories,
    lazy: async () => ({
      Component: (await import('../features/advisories/AdvisoriesPage')).AdvisoriesPage,
    }),
  },
  backups: {
    path: CONSOLE_ROUTES.backups,
    lazy: async () => ({
      Component: (await import('../features/backups/BackupsPage')).BackupsPage,
    }),
  },
} satisfies Record<ConsoleRouteName, RouteObject>;

export function createRouter() {
  return createBrowserRouter([
    {
      path: '/',
      // Every page, and unknown addresses too, sits behind the session gate.
      Component: SessionGate,
      ErrorBoundary: RootErrorBoundary,
      HydrateFallback: () => null,
      children: [
        { index: true, element: <Navigate to="/namespaces" replace /> },
        ...Object.values(routes),
        { path: '*', Component: NotFoundPage },
      ],
    },
  ]);
}

import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { NotFoundPage, RootErrorBoundary } from './RootErrorBoundary';
import { SessionGate } from './SessionGate';

/** Named route table; every page is its own lazily loaded chunk. */
export const routes = {
  namespaces: {
    path: 'namespaces',
    lazy: async () => ({
      Component: (await import('../features/namespaces/NamespacesPage')).NamespacesPage,
    }),
  },
  namespace: {
    path: 'namespaces/:namespace',
    element: <Navigate to="repositories" replace />,
  },
  repositories: {
    path: 'namespaces/:namespace/repositories',
    lazy: async () => ({
      Component: (await import('../features/repositories/RepositoriesPage')).RepositoriesPage,
    }),
  },
  namespaceMembers: {
    path: 'namespaces/:namespace/members',
    lazy: async () => ({
      Component: (await import('../features/namespaces/NamespaceMembersPage')).NamespaceMembersPage,
    }),
  },
  namespaceSettings: {
    path: 'namespaces/:namespace/settings',
    lazy: async () => ({
      Component: (await import('../features/namespaces/NamespaceSettingsPage'))
        .NamespaceSettingsPage,
    }),
  },
  images: {
    // The splat is the repository name, which may contain "/".
    path: 'namespaces/:namespace/repositories/*',
    lazy: async () => ({
      Component: (await import('../features/images/ImagesPage')).ImagesPage,
    }),
  },
  repositoriesPicker: {
    path: 'repositories',
    lazy: async () => ({
      Component: (await import('../features/repositories/RepositoriesPickerPage'))
        .RepositoriesPickerPage,
    }),
  },
  trash: {
    path: 'trash',
    lazy: async () => ({
      Component: (await import('../features/trash/TrashPage')).TrashPage,
    }),
  },
  retention: {
    path: 'retention',
    lazy: async () => ({
      Component: (await import('../features/retention/RetentionPage')).RetentionPage,
    }),
  },
  projects: {
    path: 'projects',
    lazy: async () => ({
      Component: (await import('../features/projects/ProjectsPage')).ProjectsPage,
    }),
  },
  deletedProjects: {
    // Listed before `projects/:projectId` for the reader; the router ranks the static path first.
    path: 'projects/deleted',
    lazy: async () => ({
      Component: (await import('../features/projects/ProjectsPage')).DeletedProjectsPage,
    }),
  },
  project: {
    path: 'projects/:projectId',
    lazy: async () => ({
      Component: (await import('../features/projects/ProjectDetailsPage')).ProjectDetailsPage,
    }),
  },
  apiKeys: {
    path: 'account/api-keys',
    lazy: async () => ({
      Component: (await import('../features/api-keys/ApiKeysPage')).ApiKeysPage,
    }),
  },
  accountPassword: {
    path: 'account/password',
    lazy: async () => ({
      Component: (await import('../features/session/AccountPasswordPage')).AccountPasswordPage,
    }),
  },
  // Admin pages: the side nav offers them to admins only, and the API refuses anyone else.
  users: {
    path: 'admin/users',
    lazy: async () => ({
      Component: (await import('../features/users/UsersPage')).UsersPage,
    }),
  },
  audit: {
    path: 'admin/audit',
    lazy: async () => ({
      Component: (await import('../features/audit/AuditPage')).AuditPage,
    }),
  },
} satisfies Record<string, RouteObject>;

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

import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { AppShell } from './AppShell';
import { NotFoundPage, RootErrorBoundary } from './RootErrorBoundary';

/** Named route table; every page is its own lazily loaded chunk. */
export const routes = {
  namespaces: {
    path: 'namespaces',
    lazy: async () => ({
      Component: (await import('../features/namespaces/NamespacesPage')).NamespacesPage,
    }),
  },
  repositories: {
    path: 'namespaces/:namespace/repositories',
    lazy: async () => ({
      Component: (await import('../features/repositories/RepositoriesPage')).RepositoriesPage,
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
} satisfies Record<string, RouteObject>;

export function createRouter() {
  return createBrowserRouter([
    {
      path: '/',
      Component: AppShell,
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

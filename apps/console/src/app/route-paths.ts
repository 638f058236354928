/** URL builders for console pages; repository names keep their "/" as path segments. */
const seg = encodeURIComponent;
const repoPath = (repository: string) => repository.split('/').map(seg).join('/');

function withSearch(path: string, params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export const routePaths = {
  namespaces: () => '/namespaces',
  namespace: (namespace: string) => `/namespaces/${seg(namespace)}`,
  repositories: (namespace: string) => `/namespaces/${seg(namespace)}/repositories`,
  namespaceMembers: (namespace: string) => `/namespaces/${seg(namespace)}/members`,
  namespaceSettings: (namespace: string) => `/namespaces/${seg(namespace)}/settings`,
  repositoriesPicker: (namespace?: string) => withSearch('/repositories', { namespace }),
  images: (namespace: string, repository: string) =>
    `/namespaces/${seg(namespace)}/repositories/${repoPath(repository)}`,
  trash: (namespace?: string, repository?: string, retentionRun?: string) =>
    withSearch('/trash', { namespace, repository, retentionRun }),
  retention: (namespace?: string) => withSearch('/retention', { namespace }),
  projects: () => '/projects',
  deletedProjects: () => '/projects/deleted',
  project: (projectId: string, tab?: string) =>
    withSearch(`/projects/${seg(projectId)}`, { tab: tab === 'apps' ? undefined : tab }),
  apiKeys: () => '/account/api-keys',
  accountPassword: () => '/account/password',
  users: () => '/admin/users',
  audit: () => '/admin/audit',
  gc: () => '/admin/gc',
};

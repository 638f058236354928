/** URL builders for console pages; repository names keep their "/" as path segments. */
const seg = encodeURIComponent;
const repoPath = (repository: string) => repository.split('/').map(seg).join('/');

/**
 * Repository names contain "/", so an image's page cannot be `<repository>/images/<digest>`:
 * `images` may itself be a path component of a repository. No component can be "-" (the OCI
 * name grammar starts each with a letter or digit), so `/-/images/` ends the name unambiguously.
 */
const IMAGE_MARKER = '/-/images/';

/** The images route's splat: a repository name, or a repository and one image's digest. */
export function parseRepositorySplat(splat: string): { repository: string; digest: string | null } {
  const at = splat.indexOf(IMAGE_MARKER);
  if (at < 0) return { repository: splat.replace(/\/+$/, ''), digest: null };
  return {
    repository: splat.slice(0, at),
    digest: splat.slice(at + IMAGE_MARKER.length).replace(/\/+$/, ''),
  };
}

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
  /** `q`: the images table opens filtered on a tag or digest prefix. */
  images: (namespace: string, repository: string, q?: string) =>
    withSearch(`/namespaces/${seg(namespace)}/repositories/${repoPath(repository)}`, { q }),
  /** One image: see IMAGE_MARKER. The digest's ":" stays readable; nothing else in it needs escaping. */
  image: (namespace: string, repository: string, digest: string) =>
    `/namespaces/${seg(namespace)}/repositories/${repoPath(repository)}${IMAGE_MARKER}${seg(digest).replace('%3A', ':')}`,
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
  advisories: () => '/admin/advisories',
  backups: () => '/admin/backups',
};

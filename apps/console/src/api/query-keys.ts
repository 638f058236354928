import type { ProjectChildKind } from '@berth/contract';

/**
 * Every query key in one builder. Keys are nested so one prefix invalidates a whole
 * branch: `namespaces.all()` covers every list, detail and deletion preview.
 */
export interface NamespaceListParams {
  region: string | undefined;
  q: string;
}
export interface RepositoryListParams {
  q: string;
  sort: string;
  order: 'asc' | 'desc';
}
export interface ImageListParams {
  q: string;
  sort: string;
  order: 'asc' | 'desc';
}
export interface TrashListParams {
  repository: string;
  retentionRun: string;
  /** The start of a tag or digest; '' for everything. */
  q: string;
}
export interface ProjectListParams {
  region: string | undefined;
  status: 'active' | 'deleted';
}
/** The audit list's filters as the API takes them; empty strings mean "any". */
export interface AuditFilters {
  actor: string;
  action: string;
  namespace: string;
  outcome: '' | 'success' | 'failure';
  /** ISO date-times with an offset, or ''. */
  from: string;
  to: string;
}
export interface RetentionPreviewRepositoriesParams {
  /** Part of a repository name; '' for all. */
  q: string;
  offset: number;
  limit: number;
}
export interface RetentionPreviewItemsParams {
  repository: string;
  decision: 'keep' | 'protected' | 'delete' | undefined;
}

/** The findings table's filters and page (see api/scans.ts). */
export interface FindingsParams {
  severity: string;
  q: string;
  platform: string;
  offset: number;
  limit: number;
}

export const queryKeys = {
  /** Who is signed in; kept when everything else is dropped at a new sign-in. */
  session: () => ['session'] as const,
  regions: () => ['regions'] as const,
  namespaces: {
    all: () => ['namespaces'] as const,
    /** Every list and picker: what shows many namespaces at once. */
    lists: () => ['namespaces', 'list'] as const,
    allOptions: () => ['namespaces', 'options'] as const,
    list: (params: NamespaceListParams) => ['namespaces', 'list', params] as const,
    /** `region` undefined: the namespaces of every region. */
    options: (region: string | undefined) => ['namespaces', 'options', region ?? null] as const,
    /** One namespace's summary, with the caller's role in it. */
    detail: (namespace: string) => ['namespaces', 'detail', namespace] as const,
    deletionPreview: (namespace: string) => ['namespaces', 'deletion-preview', namespace] as const,
    /**
     * Vulnerability totals: under `namespaces`, so image moves (which refetch every namespace
     * query for their counts) refetch them too.
     */
    vulnerabilities: {
      all: () => ['namespaces', 'vulnerabilities'] as const,
      namespace: (namespace: string) =>
        ['namespaces', 'vulnerabilities', 'namespace', namespace] as const,
      /** `region` undefined: over every region. */
      registry: (region: string | undefined) =>
        ['namespaces', 'vulnerabilities', 'registry', region ?? null] as const,
    },
  },
  repositories: {
    inNamespace: (namespace: string) => ['repositories', namespace] as const,
    list: (namespace: string, params: RepositoryListParams) =>
      ['repositories', namespace, 'list', params] as const,
    /** The few largest, for the storage chart; under the namespace, so image moves refresh it. */
    largest: (namespace: string, count: number) =>
      ['repositories', namespace, 'largest', count] as const,
  },
  images: {
    /** Every image list: project workloads (their `usedBy`) can point into any namespace. */
    all: () => ['images'] as const,
    inNamespace: (namespace: string) => ['images', namespace] as const,
    inRepository: (namespace: string, repository: string) =>
      ['images', namespace, repository] as const,
    /** Every list (any filter or order) of one repository's images. */
    lists: (namespace: string, repository: string) =>
      ['images', namespace, repository, 'list'] as const,
    list: (namespace: string, repository: string, params: ImageListParams) =>
      ['images', namespace, repository, 'list', params] as const,
    /** What a download as an OCI layout holds; under the repository, so changes refetch it. */
    exportPreview: (namespace: string, repository: string) =>
      ['images', namespace, repository, 'export-preview'] as const,
    /** Under the repository's key: deleting, restoring or untagging there refetches it. */
    detail: (namespace: string, repository: string, digest: string) =>
      ['images', namespace, repository, 'detail', digest] as const,
    /** The bytes never change for a digest, but the image may go to the trash. */
    manifest: (namespace: string, repository: string, digest: string) =>
      ['images', namespace, repository, 'manifest', digest] as const,
    /** Its vulnerability scan: under the repository's key, so a delete or restore refetches it. */
    scan: (namespace: string, repository: string, digest: string) =>
      ['images', namespace, repository, 'scan', digest] as const,
    findings: (namespace: string, repository: string, digest: string, params: FindingsParams) =>
      ['images', namespace, repository, 'scan', digest, 'findings', params] as const,
    /** Which live image holds a tag now, if any. */
    tagHolder: (namespace: string, repository: string, tag: string) =>
      ['images', namespace, repository, 'tag-holder', tag] as const,
  },
  trash: {
    inNamespace: (namespace: string) => ['trash', namespace] as const,
    list: (namespace: string, params: TrashListParams) =>
      ['trash', namespace, 'list', params] as const,
    /** The repository filter's suggestions: under the namespace's trash, so restores stale them. */
    repositories: (namespace: string, q: string) =>
      ['trash', namespace, 'repositories', q] as const,
  },
  projects: {
    all: () => ['projects'] as const,
    /** Every region's lists: they carry the caller's role in each project. */
    allLists: () => ['projects', 'list'] as const,
    /** Both lists of a region carry its quota, so a change to either list stales both. */
    lists: (region: string) => ['projects', 'list', region] as const,
    list: (params: ProjectListParams) =>
      ['projects', 'list', params.region ?? null, params.status] as const,
    /** Everything about one project: its summary, children and deletion preview. */
    project: (projectId: string) => ['projects', 'project', projectId] as const,
    summary: (projectId: string) => ['projects', 'project', projectId, 'summary'] as const,
    children: (projectId: string, kind: ProjectChildKind) =>
      ['projects', 'project', projectId, 'children', kind] as const,
    deletionPreview: (projectId: string) =>
      ['projects', 'project', projectId, 'deletion-preview'] as const,
  },
  /** Kept apart from namespaces and projects: image moves must not refetch member lists. */
  members: {
    namespace: (namespace: string) => ['members', 'namespace', namespace] as const,
    project: (projectId: string) => ['members', 'project', projectId] as const,
  },
  apiKeys: () => ['api-keys'] as const,
  users: () => ['users'] as const,
  audit: {
    all: () => ['audit'] as const,
    list: (filters: AuditFilters) => ['audit', 'list', filters] as const,
  },
  /** What a garbage collection would free now; a run changes it. */
  gc: {
    dryRun: () => ['gc', 'dry-run'] as const,
  },
  /** The advisory data's size and age; only `berth advisories import` changes it. */
  advisories: () => ['advisories'] as const,
  /** Scheduled backups; runs in the server change it, so it is read fresh on each visit. */
  backups: () => ['backups'] as const,
  /** Bulk work followed by id; the running list is how a reloaded page finds it again. */
  operations: {
    all: () => ['operations'] as const,
    detail: (id: string) => ['operations', 'detail', id] as const,
    /** `namespace` undefined: running operations of every namespace the caller can see. */
    running: (namespace: string | undefined) =>
      ['operations', 'running', namespace ?? null] as const,
  },
  /** The header's search, by its text. */
  search: (q: string) => ['search', q] as const,
  retention: {
    inNamespace: (namespace: string) => ['retention', namespace] as const,
    policy: (namespace: string) => ['retention', namespace, 'policy'] as const,
    previews: (namespace: string) => ['retention', namespace, 'previews'] as const,
    previewRepositories: (
      namespace: string,
      previewId: string,
      params: RetentionPreviewRepositoriesParams,
    ) => ['retention', namespace, 'previews', previewId, 'repositories', params] as const,
    previewItems: (namespace: string, previewId: string, params: RetentionPreviewItemsParams) =>
      ['retention', namespace, 'previews', previewId, 'items', params] as const,
    runs: (namespace: string) => ['retention', namespace, 'runs'] as const,
  },
};

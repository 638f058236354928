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
}
export interface RetentionPreviewItemsParams {
  repository: string;
  decision: 'keep' | 'protected' | 'delete' | undefined;
}

export const queryKeys = {
  regions: () => ['regions'] as const,
  namespaces: {
    all: () => ['namespaces'] as const,
    list: (params: NamespaceListParams) => ['namespaces', 'list', params] as const,
    options: (region: string | undefined) => ['namespaces', 'options', region ?? null] as const,
    deletionPreview: (namespace: string) => ['namespaces', 'deletion-preview', namespace] as const,
  },
  repositories: {
    inNamespace: (namespace: string) => ['repositories', namespace] as const,
    list: (namespace: string, params: RepositoryListParams) =>
      ['repositories', namespace, 'list', params] as const,
  },
  images: {
    inNamespace: (namespace: string) => ['images', namespace] as const,
    inRepository: (namespace: string, repository: string) =>
      ['images', namespace, repository] as const,
    list: (namespace: string, repository: string, params: ImageListParams) =>
      ['images', namespace, repository, 'list', params] as const,
  },
  trash: {
    inNamespace: (namespace: string) => ['trash', namespace] as const,
    list: (namespace: string, params: TrashListParams) =>
      ['trash', namespace, 'list', params] as const,
  },
  retention: {
    inNamespace: (namespace: string) => ['retention', namespace] as const,
    policy: (namespace: string) => ['retention', namespace, 'policy'] as const,
    previews: (namespace: string) => ['retention', namespace, 'previews'] as const,
    previewItems: (namespace: string, previewId: string, params: RetentionPreviewItemsParams) =>
      ['retention', namespace, 'previews', previewId, 'items', params] as const,
    runs: (namespace: string) => ['retention', namespace, 'runs'] as const,
  },
};

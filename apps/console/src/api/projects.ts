import {
  apiPaths,
  app,
  appList,
  configMap,
  configMapList,
  job,
  jobList,
  projectDeleted,
  projectDeletionPreview,
  projectList,
  projectSummary,
  secret,
  secretList,
  type AppUpdateBody,
  type ConfigMapUpdateBody,
  type CreateProjectBody,
  type ImagePointerStatus,
  type JobUpdateBody,
  type ProjectChildKind,
  type ProjectDeleted,
  type ProjectDeletionPreview,
  type ProjectList,
  type ProjectStatus,
  type ProjectSummary,
  type SecretUpdateBody,
} from '@berth/contract';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

/** A region holds at most its project limit, so one unpaged list is the whole story. */
export function useProjectList(region: string | undefined, status: ProjectStatus) {
  return useQuery<ProjectList, ApiError>({
    queryKey: queryKeys.projects.list({ region, status }),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.projects(), projectList, {
        query: { region, status },
        signal,
      }),
    enabled: region !== undefined,
  });
}

export function useProject(projectId: string) {
  return useQuery<ProjectSummary, ApiError>({
    queryKey: queryKeys.projects.summary(projectId),
    queryFn: ({ signal }) => apiRequest(apiPaths.project(projectId), projectSummary, { signal }),
  });
}

export function useProjectDeletionPreview(projectId: string) {
  return useQuery<ProjectDeletionPreview, ApiError>({
    queryKey: queryKeys.projects.deletionPreview(projectId),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.projectDeletionPreview(projectId), projectDeletionPreview, { signal }),
    // The preview is what the person agrees to; never show a cached, older one.
    staleTime: 0,
    gcTime: 0,
  });
}

export function useCreateProject() {
  const queryClient = useQueryClient();
  return useMutation<ProjectSummary, ApiError, CreateProjectBody>({
    mutationFn: (body) => apiRequest(apiPaths.projects(), projectSummary, { method: 'POST', body }),
    onSuccess: (created) =>
      queryClient.invalidateQueries({ queryKey: queryKeys.projects.lists(created.region) }),
  });
}

export interface DeleteProjectInput {
  project: ProjectSummary;
  /** false: soft delete, restorable for 7 days. */
  hard: boolean;
  /** The name as typed, required by the server for a hard delete. */
  confirm?: string;
}

/**
 * A project's state shows in the lists of its region (and their quota), on its own page and
 * in `usedBy` of every image its workloads point at (deleted projects are marked there).
 */
export function useDeleteProject() {
  const queryClient = useQueryClient();
  return useMutation<ProjectDeleted, ApiError, DeleteProjectInput>({
    mutationFn: ({ project, hard, confirm }) =>
      apiRequest(apiPaths.project(project.id), projectDeleted, {
        method: 'DELETE',
        query: { hard: hard ? 'true' : undefined, confirm: hard ? confirm : undefined },
      }),
    onSuccess: async (result, { project }) => {
      if (result.permanent) {
        // Gone for good: drop it rather than refetch its page into 404s.
        queryClient.removeQueries({ queryKey: queryKeys.projects.project(project.id) });
      } else {
        queryClient.setQueryData(queryKeys.projects.summary(project.id), result.project);
      }
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.projects.lists(project.region) }),
        queryClient.invalidateQueries({ queryKey: queryKeys.images.all() }),
      ]);
    },
  });
}

export function useRestoreProject() {
  const queryClient = useQueryClient();
  // Undo restores from a delete result, whose project carries no role: the id is enough.
  return useMutation<ProjectSummary, ApiError, Pick<ProjectSummary, 'id'>>({
    mutationFn: (project) =>
      apiRequest(apiPaths.projectRestore(project.id), projectSummary, { method: 'POST' }),
    onSuccess: async (restored) => {
      queryClient.setQueryData(queryKeys.projects.summary(restored.id), restored);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.projects.lists(restored.region) }),
        queryClient.invalidateQueries({ queryKey: queryKeys.images.all() }),
      ]);
    },
  });
}

/** Each kind of project child: its schemas and the body a replace (PUT) takes. */
const childSchemas = {
  apps: { item: app, list: appList },
  jobs: { item: job, list: jobList },
  secrets: { item: secret, list: secretList },
  'config-maps': { item: configMap, list: configMapList },
} as const;

export type ChildItem<K extends ProjectChildKind> = z.infer<(typeof childSchemas)[K]['item']>;
interface UpdateBodies {
  apps: AppUpdateBody;
  jobs: JobUpdateBody;
  secrets: SecretUpdateBody;
  'config-maps': ConfigMapUpdateBody;
}
/** The create body of every kind is its replace body plus the name. */
export type ChildBody<K extends ProjectChildKind> = UpdateBodies[K];

export function useProjectChildren<K extends ProjectChildKind>(projectId: string, kind: K) {
  return useQuery<{ items: ChildItem<K>[] }, ApiError>({
    queryKey: queryKeys.projects.children(projectId, kind),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.projectChildren(projectId, kind), childSchemas[kind].list, {
        signal,
      }) as Promise<{ items: ChildItem<K>[] }>,
  });
}

/** The project a child belongs to: its id, and its region, whose lists show the counts. */
export interface ProjectRef {
  id: string;
  region: string;
}

function pointerOf(item: unknown): ImagePointerStatus | null {
  return typeof item === 'object' && item !== null && 'image' in item
    ? (item as { image: ImagePointerStatus }).image
    : null;
}

/** Image rows list the workloads pointing at them: refresh the namespaces a pointer led to. */
function invalidatePointedImages(
  queryClient: QueryClient,
  pointers: readonly (ImagePointerStatus | null | undefined)[],
) {
  const namespaces = new Set(
    pointers
      .filter((p): p is ImagePointerStatus => !!p && p.state !== 'external')
      .map((p) => p.namespace),
  );
  return Promise.all(
    [...namespaces].map((namespace) =>
      queryClient.invalidateQueries({ queryKey: queryKeys.images.inNamespace(namespace) }),
    ),
  );
}

/** Counts show on the project's page and in its region's lists. */
function invalidateCounts(queryClient: QueryClient, project: ProjectRef) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.projects.summary(project.id) }),
    queryClient.invalidateQueries({ queryKey: queryKeys.projects.lists(project.region) }),
  ]);
}

export interface SaveChildInput<K extends ProjectChildKind> {
  project: ProjectRef;
  name: string;
  body: ChildBody<K>;
  /** The item being replaced; absent when creating. */
  previous?: ChildItem<K>;
}

export function useSaveProjectChild<K extends ProjectChildKind>(kind: K) {
  const queryClient = useQueryClient();
  return useMutation<ChildItem<K>, ApiError, SaveChildInput<K>>({
    mutationFn: ({ project, name, body, previous }) => {
      const schema = childSchemas[kind].item;
      const request = previous
        ? apiRequest(apiPaths.projectChild(project.id, kind, name), schema, {
            method: 'PUT',
            body,
          })
        : apiRequest(apiPaths.projectChildren(project.id, kind), schema, {
            method: 'POST',
            body: { name, ...body },
          });
      return request as Promise<ChildItem<K>>;
    },
    onSuccess: (saved, { project, previous }) =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.projects.children(project.id, kind) }),
        // A replace changes no counts; a create does.
        previous ? null : invalidateCounts(queryClient, project),
        invalidatePointedImages(queryClient, [pointerOf(saved), pointerOf(previous)]),
      ]),
  });
}

export interface DeleteChildInput<K extends ProjectChildKind> {
  project: ProjectRef;
  item: ChildItem<K>;
}

export function useDeleteProjectChild<K extends ProjectChildKind>(kind: K) {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, DeleteChildInput<K>>({
    mutationFn: async ({ project, item }) => {
      await apiRequest(apiPaths.projectChild(project.id, kind, item.name), z.undefined(), {
        method: 'DELETE',
      });
    },
    onSuccess: (_result, { project, item }) =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.projects.children(project.id, kind) }),
        invalidateCounts(queryClient, project),
        invalidatePointedImages(queryClient, [pointerOf(item)]),
      ]),
  });
}

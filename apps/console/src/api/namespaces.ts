import {
  MAX_PAGE_SIZE,
  apiPaths,
  namespaceDeleted,
  namespaceDeletionPreview,
  namespaceList,
  namespaceSummary,
  type CreateNamespaceBody,
  type NamespaceDeleted,
  type NamespaceDeletionPreview,
  type NamespaceList,
  type NamespaceSummary,
  type UpdateNamespaceBody,
} from '@berth/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCursorList } from './cursor-list';
import { apiRequest, type ApiError } from './client';
import { requestBulk, type BulkAnswer } from './operations';
import { queryKeys, type NamespaceListParams } from './query-keys';
import { forgetDeletedNamespace, hideNamespaceBeingDeleted } from './namespace-removal';

export function useNamespaceList(params: NamespaceListParams) {
  return useCursorList({
    queryKey: queryKeys.namespaces.list(params),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.namespaces(), namespaceList, {
        query: { region: params.region, q: params.q, cursor },
        signal,
      }),
  });
}

/**
 * Namespace pickers (Repositories, Trash) list one page of the largest size the API
 * allows; a deployment with more namespaces than that in one region is out of scope.
 */
export function useNamespaceOptions(region: string | undefined) {
  return useQuery<NamespaceList, ApiError>({
    queryKey: queryKeys.namespaces.options(region),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.namespaces(), namespaceList, {
        query: { region, limit: MAX_PAGE_SIZE },
        signal,
      }),
    enabled: region !== undefined,
  });
}

/** Every namespace the caller can see, in all regions: for choices not tied to the region switcher. */
export function useAllNamespaceOptions() {
  return useQuery<NamespaceList, ApiError>({
    queryKey: queryKeys.namespaces.options(undefined),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.namespaces(), namespaceList, { query: { limit: MAX_PAGE_SIZE }, signal }),
  });
}

/** One namespace, with the caller's role there: pages ask it what to offer. */
export function useNamespace(namespace: string) {
  return useQuery<NamespaceSummary, ApiError>({
    queryKey: queryKeys.namespaces.detail(namespace),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.namespace(namespace), namespaceSummary, { signal }),
    enabled: namespace !== '',
  });
}

export interface UpdateNamespaceInput {
  namespace: string;
  body: UpdateNamespaceBody;
}

export function useUpdateNamespace() {
  const queryClient = useQueryClient();
  return useMutation<NamespaceSummary, ApiError, UpdateNamespaceInput>({
    mutationFn: ({ namespace, body }) =>
      apiRequest(apiPaths.namespace(namespace), namespaceSummary, { method: 'PATCH', body }),
    onSuccess: (updated) => {
      queryClient.setQueryData(queryKeys.namespaces.detail(updated.name), updated);
      // Lists show the quota beside the size; the answer already is the new detail.
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.namespaces.lists() }),
        queryClient.invalidateQueries({ queryKey: queryKeys.namespaces.allOptions() }),
      ]);
    },
  });
}

export function useNamespaceDeletionPreview(namespace: string) {
  return useQuery<NamespaceDeletionPreview, ApiError>({
    queryKey: queryKeys.namespaces.deletionPreview(namespace),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.namespaceDeletionPreview(namespace), namespaceDeletionPreview, {
        signal,
      }),
    // The preview is what the person agrees to; never show a cached, older one.
    staleTime: 0,
    gcTime: 0,
  });
}

export function useCreateNamespace() {
  const queryClient = useQueryClient();
  return useMutation<NamespaceSummary, ApiError, CreateNamespaceBody>({
    mutationFn: (body) =>
      apiRequest(apiPaths.namespaces(), namespaceSummary, { method: 'POST', body }),
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.namespaces.all() }),
        queryClient.invalidateQueries({ queryKey: queryKeys.regions() }),
      ]);
    },
  });
}

/** A large namespace is deleted as an operation (202): its queries go when that ends. */
export function useDeleteNamespace() {
  const queryClient = useQueryClient();
  return useMutation<BulkAnswer<NamespaceDeleted>, ApiError, string>({
    mutationFn: (namespace) =>
      requestBulk(apiPaths.namespace(namespace), namespaceDeleted, { method: 'DELETE' }),
    onSuccess: (answer, namespace) =>
      answer.kind === 'accepted'
        ? hideNamespaceBeingDeleted(queryClient)
        : forgetDeletedNamespace(queryClient, namespace),
  });
}

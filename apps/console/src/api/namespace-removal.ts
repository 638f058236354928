import type { QueryClient } from '@tanstack/react-query';
import { queryKeys } from './query-keys';

/**
 * A namespace is gone with everything under it: its queries are dropped rather than refetched
 * into 404s, and what lists namespaces (and the regions' counts) is refetched.
 */
export async function forgetDeletedNamespace(queryClient: QueryClient, namespace: string) {
  for (const key of [
    queryKeys.repositories.inNamespace(namespace),
    queryKeys.images.inNamespace(namespace),
    queryKeys.trash.inNamespace(namespace),
    queryKeys.retention.inNamespace(namespace),
    queryKeys.members.namespace(namespace),
    queryKeys.namespaces.detail(namespace),
  ]) {
    queryClient.removeQueries({ queryKey: key });
  }
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.namespaces.all() }),
    queryClient.invalidateQueries({ queryKey: queryKeys.regions() }),
  ]);
}

/**
 * A namespace delete that became an operation: the server stops listing the namespace at
 * once, so lists and pickers are refetched now; its own pages stay until the delete ends.
 */
export async function hideNamespaceBeingDeleted(queryClient: QueryClient) {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.namespaces.lists() }),
    queryClient.invalidateQueries({ queryKey: queryKeys.namespaces.allOptions() }),
  ]);
}

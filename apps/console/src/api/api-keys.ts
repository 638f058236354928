import {
  apiKeyList,
  apiPaths,
  createdApiKey,
  type ApiKeyList,
  type CreateApiKeyBody,
  type CreatedApiKey,
} from '@berth/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

/** The signed-in user's own keys, revoked ones included: a person has a handful. */
export function useApiKeys() {
  return useQuery<ApiKeyList, ApiError>({
    queryKey: queryKeys.apiKeys(),
    queryFn: ({ signal }) => apiRequest(apiPaths.apiKeys(), apiKeyList, { signal }),
  });
}

/**
 * The answer carries the key's secret, the only time it exists outside the server; it is
 * never put in the query cache, and the page drops it (mutation.reset) once shown.
 */
export function useCreateApiKey() {
  const queryClient = useQueryClient();
  return useMutation<CreatedApiKey, ApiError, CreateApiKeyBody>({
    mutationFn: (body) => apiRequest(apiPaths.apiKeys(), createdApiKey, { method: 'POST', body }),
    // Finished mutations stay in the mutation cache for five minutes by default; not this one.
    gcTime: 0,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys() }),
  });
}

export function useRevokeApiKey() {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, string>({
    mutationFn: async (keyId) => {
      await apiRequest(apiPaths.apiKey(keyId), z.undefined(), { method: 'DELETE' });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys() }),
  });
}

import {
  apiPaths,
  session,
  type ChangePasswordBody,
  type CurrentUser,
  type LoginBody,
  type Session,
} from '@berth/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { ApiError, apiRequest } from './client';
import { queryKeys } from './query-keys';
import { setCsrfToken } from './session-events';

/** null: nobody is signed in (the API answered 401). */
export function useSession() {
  return useQuery<Session | null, ApiError>({
    queryKey: queryKeys.session(),
    queryFn: async ({ signal }) => {
      try {
        const current = await apiRequest(apiPaths.session(), session, { signal });
        setCsrfToken(current.csrfToken);
        return current;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    // The session changes through this console's own calls, and any 401 ends it at once.
    staleTime: Infinity,
  });
}

/** The signed-in user; undefined only in the moment the session ends. */
export function useCurrentUser(): CurrentUser | undefined {
  return useSession().data?.user;
}

export function useSignIn() {
  const queryClient = useQueryClient();
  return useMutation<Session, ApiError, LoginBody>({
    mutationFn: (body) => apiRequest(apiPaths.session(), session, { method: 'POST', body }),
    onSuccess: (signedIn) => {
      setCsrfToken(signedIn.csrfToken);
      // A new session starts from an empty cache: one person never sees what the previous
      // one loaded in this tab, and nothing cached under an ended session is shown as current.
      queryClient.removeQueries({
        predicate: (query) => query.queryKey[0] !== queryKeys.session()[0],
      });
      queryClient.setQueryData(queryKeys.session(), signedIn);
    },
  });
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, void>({
    mutationFn: async () => {
      await apiRequest(apiPaths.session(), z.undefined(), { method: 'DELETE' });
    },
    onSuccess: () => {
      setCsrfToken(null);
      queryClient.setQueryData(queryKeys.session(), null);
    },
  });
}

export function useChangePassword() {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, ChangePasswordBody>({
    mutationFn: async (body) => {
      await apiRequest(apiPaths.sessionPassword(), z.undefined(), { method: 'POST', body });
    },
    // The session no longer needs a change, and the server may have issued a new CSRF token.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.session() }),
  });
}

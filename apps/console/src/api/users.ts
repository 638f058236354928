import {
  apiPaths,
  user,
  userList,
  type CreateUserBody,
  type UpdateUserBody,
  type User,
  type UserList,
} from '@berth/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

/** Admins only; the API returns every account in one list. */
export function useUsers() {
  return useQuery<UserList, ApiError>({
    queryKey: queryKeys.users(),
    queryFn: ({ signal }) => apiRequest(apiPaths.users(), userList, { signal }),
  });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation<User, ApiError, CreateUserBody>({
    mutationFn: (body) => apiRequest(apiPaths.users(), user, { method: 'POST', body }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users() }),
  });
}

export interface UpdateUserInput {
  username: string;
  body: UpdateUserBody;
}

/** Make or unmake admin, disable or enable, or reset the password (a new temporary one). */
export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation<User, ApiError, UpdateUserInput>({
    mutationFn: ({ username, body }) =>
      apiRequest(apiPaths.user(username), user, { method: 'PATCH', body }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users() }),
  });
}

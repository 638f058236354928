import {
  apiPaths,
  namespaceMember,
  namespaceMemberList,
  projectMember,
  projectMemberList,
  type NamespaceMember,
  type ProjectMember,
  type Session,
} from '@berth/contract';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { apiRequest, type ApiError } from './client';
import { queryKeys } from './query-keys';

type Member = NamespaceMember | ProjectMember;

/**
 * Namespace and project memberships share one shape; what differs is the path, the role
 * names, and which summaries carry the caller's own role.
 */
interface Scope<M extends Member> {
  key: (id: string) => readonly unknown[];
  list: (id: string) => string;
  one: (id: string, username: string) => string;
  listSchema: z.ZodType<{ items: M[] }>;
  itemSchema: z.ZodType<M>;
  /** Refetches what shows the caller's own role in `id`, after that role changed. */
  ownRoleChanged: (queryClient: QueryClient, id: string) => Promise<unknown>;
}

const namespaceScope: Scope<NamespaceMember> = {
  key: queryKeys.members.namespace,
  list: apiPaths.namespaceMembers,
  one: apiPaths.namespaceMember,
  listSchema: namespaceMemberList,
  itemSchema: namespaceMember,
  ownRoleChanged: (queryClient) =>
    queryClient.invalidateQueries({ queryKey: queryKeys.namespaces.all() }),
};

const projectScope: Scope<ProjectMember> = {
  key: queryKeys.members.project,
  list: apiPaths.projectMembers,
  one: apiPaths.projectMember,
  listSchema: projectMemberList,
  itemSchema: projectMember,
  ownRoleChanged: (queryClient, projectId) =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.projects.summary(projectId) }),
      queryClient.invalidateQueries({ queryKey: queryKeys.projects.allLists() }),
    ]),
};

/** A manager who changes their own membership changes what the console lets them do. */
function afterChange<M extends Member>(
  queryClient: QueryClient,
  scope: Scope<M>,
  id: string,
  username: string,
) {
  const me = queryClient.getQueryData<Session | null>(queryKeys.session())?.user.username;
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: scope.key(id) }),
    username === me ? scope.ownRoleChanged(queryClient, id) : null,
  ]);
}

function useMembers<M extends Member>(scope: Scope<M>, id: string) {
  return useQuery<{ items: M[] }, ApiError>({
    queryKey: scope.key(id),
    queryFn: ({ signal }) => apiRequest(scope.list(id), scope.listSchema, { signal }),
  });
}

export interface SetMemberInput<Role extends string> {
  /** The namespace name or project id. */
  id: string;
  username: string;
  role: Role;
}

/** Adds a member, or changes the role of one: the API's PUT does both. */
function useSetMember<M extends Member>(scope: Scope<M>) {
  const queryClient = useQueryClient();
  return useMutation<M, ApiError, SetMemberInput<M['role']>>({
    mutationFn: ({ id, username, role }) =>
      apiRequest(scope.one(id, username), scope.itemSchema, { method: 'PUT', body: { role } }),
    onSuccess: (_member, { id, username }) => afterChange(queryClient, scope, id, username),
  });
}

export interface RemoveMemberInput {
  id: string;
  username: string;
}

function useRemoveMember<M extends Member>(scope: Scope<M>) {
  const queryClient = useQueryClient();
  return useMutation<void, ApiError, RemoveMemberInput>({
    mutationFn: async ({ id, username }) => {
      await apiRequest(scope.one(id, username), z.undefined(), { method: 'DELETE' });
    },
    onSuccess: (_result, { id, username }) => afterChange(queryClient, scope, id, username),
  });
}

export const useNamespaceMembers = (namespace: string) => useMembers(namespaceScope, namespace);
export const useSetNamespaceMember = () => useSetMember(namespaceScope);
export const useRemoveNamespaceMember = () => useRemoveMember(namespaceScope);

export const useProjectMembers = (projectId: string) => useMembers(projectScope, projectId);
export const useSetProjectMember = () => useSetMember(projectScope);
export const useRemoveProjectMember = () => useRemoveMember(projectScope);

import type { ProjectSummary } from '@berth/contract';
import { namespaceRoleAllows, projectRoleAllows } from '@berth/domain';
import { useNamespace } from '../api/namespaces';
import { useCurrentUser } from '../api/session';

/**
 * What the signed-in person may do, from the role the API puts in each summary and the
 * domain's own rules. The console hides what a role does not allow; the API still decides.
 */
export function useIsAdmin(): boolean {
  return useCurrentUser()?.admin ?? false;
}

/**
 * The caller's rights in one namespace. Until its summary has loaded nothing is allowed,
 * so buttons appear once rather than flash and vanish.
 */
export function useNamespaceAccess(namespace: string) {
  const summary = useNamespace(namespace);
  const role = summary.data?.role ?? null;
  return {
    summary,
    role,
    canWrite: namespaceRoleAllows(role, 'write'),
    canManage: namespaceRoleAllows(role, 'manage'),
  };
}

export function projectAccess(project: Pick<ProjectSummary, 'role'>) {
  return {
    canEdit: projectRoleAllows(project.role, 'edit'),
    canManage: projectRoleAllows(project.role, 'manage'),
  };
}

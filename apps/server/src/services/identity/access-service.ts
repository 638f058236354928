import {
  ForbiddenError,
  NAMESPACE_ACTIONS,
  type NamespaceAction,
  type NamespaceRole,
  NotFoundError,
  type Principal,
  PROJECT_ACTIONS,
  type ProjectAction,
  type ProjectRole,
  actorName,
  effectiveNamespaceRole,
  effectiveProjectRole,
  isAdmin,
  namespaceRoleAllows,
  projectRoleAllows,
} from '@berth/domain';
import type {
  NamespaceMember,
  NamespaceRoleName,
  ProjectMember,
  ProjectRoleName,
} from '@berth/contract';
import type { MemberRecord, NamespaceVisibility } from '@berth/store';
import type { ServiceDeps } from '../deps.js';
import { iso } from '../iso.js';

export interface NamespaceAccess {
  id: number;
  name: string;
  public: boolean;
  role: NamespaceRole;
}

function toMember<R>(m: MemberRecord<R>) {
  return { username: m.username, role: m.role, addedAt: iso(m.addedAt), addedBy: m.addedBy };
}

/**
 * Every "may this caller do that?" decision, on top of the pure rules in @berth/domain.
 * Resources the caller cannot see answer exactly like ones that do not exist.
 */
export function createAccessService({ store, clock }: ServiceDeps) {
  const unknownNamespace = (name: string) =>
    new NotFoundError('NAMESPACE_UNKNOWN', `namespace "${name}" does not exist`);
  const unknownProject = (id: string) =>
    new NotFoundError('PROJECT_UNKNOWN', `project "${id}" does not exist`);
  /** Only for a caller who can see the resource: one who cannot gets the 404 above. */
  const forbidden = (what: string, role: string) =>
    new ForbiddenError('FORBIDDEN', `the ${role} role is needed to do this to ${what}`);

  async function namespaceRole(p: Principal, name: string) {
    const found = await store.namespaces.findForAccess(
      name,
      p.kind === 'user' && !p.admin ? p.userId : null,
    );
    if (!found) return null;
    const { memberRole, ...ns } = found;
    return { ...ns, role: effectiveNamespaceRole(p, ns, memberRole as NamespaceRole | null) };
  }

  async function projectRole(p: Principal, id: string) {
    if (p.kind !== 'user') return null;
    const member = p.admin ? null : await store.members.projects.roleOf(id, p.userId);
    return effectiveProjectRole(p, member);
  }

  return {
    requireAdmin(p: Principal, action: 'read' | 'write' = 'write'): void {
      if (!isAdmin(p, action)) {
        throw new ForbiddenError('FORBIDDEN', 'only deployment admins may do this');
      }
    },

    /** The namespace and the caller's role in it, when the role allows the action. */
    async requireNamespace(
      p: Principal,
      name: string,
      action: NamespaceAction,
    ): Promise<NamespaceAccess> {
      const found = await namespaceRole(p, name);
      if (!found || found.role === null) throw unknownNamespace(name);
      if (!namespaceRoleAllows(found.role, action)) {
        throw forbidden(`namespace "${name}"`, NAMESPACE_ACTIONS[action]);
      }
      return { ...found, role: found.role };
    },

    /** The caller's role in a namespace, or null when it cannot see it (or it does not exist). */
    async namespaceRoleOf(p: Principal, name: string): Promise<NamespaceRole | null> {
      return (await namespaceRole(p, name))?.role ?? null;
    },

    /** For listings: which namespaces to show, and a role for each one shown. */
    async namespaceListing(p: Principal): Promise<{
      visibility: NamespaceVisibility | undefined;
      roleOf: (ns: { name: string; public: boolean }) => NamespaceRole;
    }> {
      if (p.kind !== 'user') {
        return { visibility: { userId: '', names: [] }, roleOf: () => 'viewer' };
      }
      const roles = p.admin ? new Map() : await store.members.namespaceRolesOf(p.userId);
      const visibility: NamespaceVisibility | undefined =
        p.admin && !p.key?.namespaces
          ? undefined
          : { userId: p.admin ? null : p.userId, names: p.key?.namespaces ?? null };
      return {
        visibility,
        roleOf: (ns) => effectiveNamespaceRole(p, ns, roles.get(ns.name) ?? null) ?? 'viewer',
      };
    },

    async requireProject(p: Principal, id: string, action: ProjectAction): Promise<ProjectRole> {
      const role = await projectRole(p, id);
      if (role === null) throw unknownProject(id);
      if (!projectRoleAllows(role, action)) {
        throw forbidden(`project "${id}"`, PROJECT_ACTIONS[action]);
      }
      return role;
    },

    /** Roles for many projects at once; projects without one are left out. */
    async projectRoles(p: Principal): Promise<(id: string) => ProjectRole | null> {
      if (p.kind !== 'user') return () => null;
      const roles = p.admin
        ? new Map<string, ProjectRole>()
        : await store.members.projectRolesOf(p.userId);
      return (id) => effectiveProjectRole(p, roles.get(id) ?? null);
    },

    async namespaceMembers(ns: NamespaceAccess): Promise<NamespaceMember[]> {
      return (await store.members.namespaces.list(ns.id)).map(toMember);
    },

    async setNamespaceMember(
      ns: NamespaceAccess,
      username: string,
      role: NamespaceRoleName,
      actor: Principal,
    ): Promise<NamespaceMember> {
      return toMember(
        await store.members.namespaces.set(ns, username, role, {
          actor: actorName(actor),
          now: clock(),
        }),
      );
    },

    async removeNamespaceMember(ns: NamespaceAccess, username: string, actor: Principal) {
      await store.members.namespaces.remove(ns, username, {
        actor: actorName(actor),
        now: clock(),
      });
    },

    async projectMembers(projectId: string): Promise<ProjectMember[]> {
      return (await store.members.projects.list(projectId)).map(toMember);
    },

    async setProjectMember(
      projectId: string,
      username: string,
      role: ProjectRoleName,
      actor: Principal,
    ): Promise<ProjectMember> {
      const project = await store.projects.get(projectId);
      return toMember(
        await store.members.projects.set({ id: projectId, name: project.name }, username, role, {
          actor: actorName(actor),
          now: clock(),
        }),
      );
    },

    async removeProjectMember(projectId: string, username: string, actor: Principal) {
      const project = await store.projects.get(projectId);
      await store.members.projects.remove({ id: projectId, name: project.name }, username, {
        actor: actorName(actor),
        now: clock(),
      });
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;

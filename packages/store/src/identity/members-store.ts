import { NotFoundError, type NamespaceRole, type ProjectRole } from '@berth/domain';
import type { Db } from '../database.js';
import type { ActionContext } from '../context.js';
import { recordAudit } from '../audit-store.js';

export interface MemberRecord<R> {
  username: string;
  role: R;
  addedAt: number;
  addedBy: string;
}

async function requireUser(db: Db, username: string) {
  const user = await db
    .selectFrom('users')
    .select(['id', 'username'])
    .where('username', '=', username)
    .executeTakeFirst();
  if (!user) throw new NotFoundError('USER_UNKNOWN', `there is no user "${username}"`);
  return user;
}

/**
 * Namespace and project memberships. Both tables have the same shape; only the parent
 * column and the audit wording differ, so one implementation serves both.
 */
function membersOf<R extends string>(db: Db, kind: 'namespace' | 'project') {
  const table = kind === 'namespace' ? 'namespace_members' : 'project_members';
  const parentColumn = kind === 'namespace' ? 'namespace_id' : 'project_id';
  type ParentId = number | string;
  return {
    async list(parentId: ParentId): Promise<MemberRecord<R>[]> {
      const rows = await db
        .selectFrom(`${table} as m` as 'namespace_members as m')
        .innerJoin('users', 'users.id', 'm.user_id')
        .select(['users.username', 'm.role', 'm.added_at', 'm.added_by'])
        .where(`m.${parentColumn}` as 'm.namespace_id', '=', parentId as number)
        .orderBy('users.username')
        .execute();
      return rows.map((r) => ({
        username: r.username,
        role: r.role as R,
        addedAt: r.added_at,
        addedBy: r.added_by,
      }));
    },

    /** Role of one user in one parent, or null. */
    async roleOf(parentId: ParentId, userId: string): Promise<R | null> {
      const row = await db
        .selectFrom(table as 'namespace_members')
        .select('role')
        .where(parentColumn as 'namespace_id', '=', parentId as number)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return (row?.role as R | undefined) ?? null;
    },

    async set(
      parent: { id: ParentId; name: string },
      username: string,
      role: R,
      ctx: ActionContext,
    ): Promise<MemberRecord<R>> {
      return db.transaction().execute(async (trx) => {
        const user = await requireUser(trx, username);
        const before = await trx
          .selectFrom(table as 'namespace_members')
          .select('role')
          .where(parentColumn as 'namespace_id', '=', parent.id as number)
          .where('user_id', '=', user.id)
          .executeTakeFirst();
        if (before) {
          await trx
            .updateTable(table as 'namespace_members')
            .set({ role })
            .where(parentColumn as 'namespace_id', '=', parent.id as number)
            .where('user_id', '=', user.id)
            .execute();
        } else {
          await trx
            .insertInto(table as 'namespace_members')
            .values({
              [parentColumn]: parent.id,
              user_id: user.id,
              role,
              added_at: ctx.now,
              added_by: ctx.actor,
            } as never)
            .execute();
        }
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: `${kind}.member.set`,
          target: `${parent.name}/${username}`,
          outcome: 'success',
          details: { role, previousRole: before?.role ?? null },
        });
        const row = await trx
          .selectFrom(table as 'namespace_members')
          .selectAll()
          .where(parentColumn as 'namespace_id', '=', parent.id as number)
          .where('user_id', '=', user.id)
          .executeTakeFirstOrThrow();
        return { username, role, addedAt: row.added_at, addedBy: row.added_by };
      });
    },

    async remove(
      parent: { id: ParentId; name: string },
      username: string,
      ctx: ActionContext,
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const user = await requireUser(trx, username);
        const removed = await trx
          .deleteFrom(table as 'namespace_members')
          .where(parentColumn as 'namespace_id', '=', parent.id as number)
          .where('user_id', '=', user.id)
          .returning('role')
          .executeTakeFirst();
        if (!removed) {
          throw new NotFoundError(
            'MEMBER_UNKNOWN',
            `"${username}" is not a member of ${parent.name}`,
          );
        }
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: `${kind}.member.remove`,
          target: `${parent.name}/${username}`,
          outcome: 'success',
          details: { previousRole: removed.role },
        });
      });
    },
  };
}

export function createMembersStore(db: Db) {
  return {
    namespaces: membersOf<NamespaceRole>(db, 'namespace'),
    projects: membersOf<ProjectRole>(db, 'project'),

    /** Every namespace role a user holds, by namespace name: one query per request. */
    async namespaceRolesOf(userId: string): Promise<Map<string, NamespaceRole>> {
      const rows = await db
        .selectFrom('namespace_members')
        .innerJoin('namespaces', 'namespaces.id', 'namespace_members.namespace_id')
        .select(['namespaces.name', 'namespace_members.role'])
        .where('namespace_members.user_id', '=', userId)
        .execute();
      return new Map(rows.map((r) => [r.name, r.role as NamespaceRole]));
    },

    async projectRolesOf(userId: string): Promise<Map<string, ProjectRole>> {
      const rows = await db
        .selectFrom('project_members')
        .select(['project_id', 'role'])
        .where('user_id', '=', userId)
        .execute();
      return new Map(rows.map((r) => [r.project_id, r.role as ProjectRole]));
    },
  };
}

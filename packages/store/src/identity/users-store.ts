import { ConflictError, NotFoundError } from '@berth/domain';
import type { Db, UsersTable } from '../database.js';
import type { ActionContext } from '../context.js';
import { recordAudit } from '../audit-store.js';

export interface UserRecord {
  id: string;
  username: string;
  /** Stays in the store layer's callers that verify passwords; never leaves the server. */
  passwordHash: string;
  admin: boolean;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: number;
  lastLoginAt: number | null;
}

export function toUserRecord(r: UsersTable): UserRecord {
  return {
    id: r.id,
    username: r.username,
    passwordHash: r.password_hash,
    admin: r.admin === 1,
    disabled: r.disabled === 1,
    mustChangePassword: r.must_change_password === 1,
    createdAt: r.created_at,
    lastLoginAt: r.last_login_at,
  };
}

export interface NewUser {
  id: string;
  username: string;
  passwordHash: string;
  admin: boolean;
  mustChangePassword: boolean;
}

export interface UserChanges {
  admin?: boolean;
  disabled?: boolean;
  /** A reset: the user must change it at next sign-in, and every session ends. */
  passwordHash?: string;
}

export function createUsersStore(db: Db) {
  const byName = (trx: Db, username: string) =>
    trx.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  return {
    async count(): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async find(username: string): Promise<UserRecord | null> {
      const row = await byName(db, username);
      return row ? toUserRecord(row) : null;
    },

    async findById(id: string): Promise<UserRecord | null> {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toUserRecord(row) : null;
    },

    async list(): Promise<UserRecord[]> {
      const rows = await db.selectFrom('users').selectAll().orderBy('username').execute();
      return rows.map(toUserRecord);
    },

    /** The first admin is created only while no user exists, once across processes. */
    async create(input: NewUser, ctx: ActionContext, opts: { onlyIfNone?: boolean } = {}) {
      return db.transaction().execute(async (trx) => {
        if (opts.onlyIfNone) {
          const any = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
          if (any) return null;
        }
        if (await byName(trx, input.username)) {
          throw new ConflictError('USER_EXISTS', `user "${input.username}" already exists`);
        }
        await trx
          .insertInto('users')
          .values({
            id: input.id,
            username: input.username,
            password_hash: input.passwordHash,
            admin: input.admin ? 1 : 0,
            disabled: 0,
            must_change_password: input.mustChangePassword ? 1 : 0,
            created_at: ctx.now,
            last_login_at: null,
          })
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'user.create',
          target: input.username,
          outcome: 'success',
          details: { admin: input.admin },
        });
        return toUserRecord((await byName(trx, input.username))!);
      });
    },

    async update(username: string, changes: UserChanges, ctx: ActionContext) {
      return db.transaction().execute(async (trx) => {
        const before = await byName(trx, username);
        if (!before) throw new NotFoundError('USER_UNKNOWN', `user "${username}" does not exist`);
        const demotes = changes.admin === false || changes.disabled === true;
        if (demotes && before.admin === 1 && before.disabled === 0) {
          const others = await trx
            .selectFrom('users')
            .select('id')
            .where('admin', '=', 1)
            .where('disabled', '=', 0)
            .where('id', '!=', before.id)
            .limit(1)
            .executeTakeFirst();
          if (!others) {
            throw new ConflictError(
              'LAST_ADMIN',
              `"${username}" is the only active admin; make another user admin first`,
            );
          }
        }
        await trx
          .updateTable('users')
          .set({
            ...(changes.admin === undefined ? {} : { admin: changes.admin ? 1 : 0 }),
            ...(changes.disabled === undefined ? {} : { disabled: changes.disabled ? 1 : 0 }),
            ...(changes.passwordHash === undefined
              ? {}
              : { password_hash: changes.passwordHash, must_change_password: 1 }),
          })
          .where('id', '=', before.id)
          .execute();
        if (changes.disabled || changes.passwordHash !== undefined) {
          await trx.deleteFrom('sessions').where('user_id', '=', before.id).execute();
        }
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'user.update',
          target: username,
          outcome: 'success',
          details: {
            ...(changes.admin === undefined ? {} : { admin: changes.admin }),
            ...(changes.disabled === undefined ? {} : { disabled: changes.disabled }),
            ...(changes.passwordHash === undefined ? {} : { passwordReset: true }),
          },
        });
        return toUserRecord((await byName(trx, username))!);
      });
    },

    /** Own password change: clears the must-change flag and ends the user's other sessions. */
    async changePassword(
      userId: string,
      passwordHash: string,
      keepSession: string,
      ctx: ActionContext,
    ) {
      await db.transaction().execute(async (trx) => {
        const user = await trx
          .selectFrom('users')
          .select('username')
          .where('id', '=', userId)
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('users')
          .set({ password_hash: passwordHash, must_change_password: 0 })
          .where('id', '=', userId)
          .execute();
        await trx
          .deleteFrom('sessions')
          .where('user_id', '=', userId)
          .where('token_hash', '!=', keepSession)
          .execute();
        await recordAudit(trx, ctx.now, {
          actor: ctx.actor,
          action: 'user.password.change',
          target: user.username,
          outcome: 'success',
        });
      });
    },
  };
}

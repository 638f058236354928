import { Button, OverflowMenu, OverflowMenuItem, Tag } from '@carbon/react';
import { Add } from '@carbon/icons-react';
import type { UpdateUserBody, User } from '@berth/contract';
import { useState } from 'react';
import { useCurrentUser } from '../../api/session';
import { useUpdateUser, useUsers } from '../../api/users';
import { useToasts } from '../../app/ToastProvider';
import { AdminOnly } from '../../components/AdminOnly';
import { ClientTable, type Column } from '../../components/ClientTable';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { DateText } from '../../components/DateText';
import { PageHeader } from '../../components/PageHeader';
import { CreateUserModal } from './CreateUserModal';
import { ResetPasswordModal } from './ResetPasswordModal';

type Change = 'make-admin' | 'remove-admin' | 'disable' | 'enable';

/** Each change to an account: what it sends, how it is confirmed, and what it is called. */
const CHANGES: Record<
  Change,
  {
    body: UpdateUserBody;
    menu: string;
    title: (u: string) => string;
    button: string;
    danger: boolean;
    explain: (u: string) => string;
    done: (u: string) => string;
  }
> = {
  'make-admin': {
    body: { admin: true },
    menu: 'Make administrator',
    title: (u) => `Make ${u} an administrator?`,
    button: 'Make administrator',
    danger: false,
    explain: (u) =>
      `${u} becomes a manager of every namespace and project, and can create namespaces, projects and users, change any account and read the audit log.`,
    done: (u) => `${u} is now an administrator`,
  },
  'remove-admin': {
    body: { admin: false },
    menu: 'Remove administrator',
    title: (u) => `Remove administrator from ${u}?`,
    button: 'Remove administrator',
    danger: true,
    explain: (u) =>
      `${u} keeps only the roles they were given as a member of namespaces and projects.`,
    done: (u) => `${u} is no longer an administrator`,
  },
  disable: {
    body: { disabled: true },
    menu: 'Disable',
    title: (u) => `Disable ${u}?`,
    button: 'Disable account',
    danger: true,
    explain: (u) =>
      `${u} is signed out and can no longer sign in or use their API keys, until the account is enabled again. Their memberships are kept.`,
    done: (u) => `${u} disabled`,
  },
  enable: {
    body: { disabled: false },
    menu: 'Enable',
    title: (u) => `Enable ${u}?`,
    button: 'Enable account',
    danger: false,
    explain: (u) => `${u} can sign in again, with the roles they had.`,
    done: (u) => `${u} enabled`,
  },
};

function StatusTags({ user }: { user: User }) {
  return (
    <div className="berth-tags">
      {user.disabled ? (
        <Tag size="sm" type="red">
          Disabled
        </Tag>
      ) : (
        <Tag size="sm" type="green">
          Active
        </Tag>
      )}
      {user.mustChangePassword ? (
        <Tag size="sm" type="warm-gray" title="Signs in with a temporary password next">
          Temporary password
        </Tag>
      ) : null}
    </div>
  );
}

export function UsersPage() {
  return (
    <AdminOnly title="Users" what="see and change the accounts of this Berth">
      <UsersAdmin />
    </AdminOnly>
  );
}

function UsersAdmin() {
  const users = useUsers();
  const update = useUpdateUser();
  const toasts = useToasts();
  const me = useCurrentUser()?.username;
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [changing, setChanging] = useState<{ user: User; change: Change } | null>(null);
  const items = users.data
    ? [...users.data.items].sort((a, b) => a.username.localeCompare(b.username))
    : undefined;

  const columns: Column<User>[] = [
    {
      key: 'username',
      header: 'Username',
      sortValue: (u) => u.username,
      render: (u) => (
        <span>
          <strong>{u.username}</strong>
          {u.username === me ? <span className="berth-muted"> (you)</span> : null}
        </span>
      ),
    },
    {
      key: 'admin',
      header: 'Role',
      sortValue: (u) => (u.admin ? 0 : 1),
      render: (u) =>
        u.admin ? (
          <Tag size="sm" type="purple">
            Administrator
          </Tag>
        ) : (
          <span className="berth-muted">Member roles only</span>
        ),
    },
    {
      key: 'status',
      header: 'Status',
      sortValue: (u) => (u.disabled ? 1 : 0),
      render: (u) => <StatusTags user={u} />,
    },
    {
      key: 'createdAt',
      header: 'Created',
      sortValue: (u) => u.createdAt,
      render: (u) => <DateText iso={u.createdAt} />,
    },
    {
      key: 'lastLoginAt',
      header: 'Last sign-in',
      sortValue: (u) => u.lastLoginAt ?? '',
      render: (u) =>
        u.lastLoginAt ? (
          <DateText iso={u.lastLoginAt} />
        ) : (
          <span className="berth-muted">never</span>
        ),
    },
  ];

  const open = (user: User, change: Change) => {
    update.reset();
    setChanging({ user, change });
  };

  return (
    <>
      <PageHeader
        title="Users"
        description="Accounts that can sign in to the console, the registry and the API. Roles in namespaces and projects are given on their Members tabs."
        actions={
          <Button renderIcon={Add} onClick={() => setCreating(true)}>
            Create user
          </Button>
        }
      />
      <ClientTable
        label="Users"
        items={items}
        getId={(u) => u.id}
        columns={columns}
        search={{ label: 'Search users', matches: (u, q) => u.username.includes(q) }}
        isPending={users.isPending}
        error={users.error}
        onRetry={() => void users.refetch()}
        emptyTitle="No users"
        emptyBody={<p>Create a user for each person who needs the console or the registry.</p>}
        noMatchBody="No username contains this text."
        rowActions={(u) => (
          <OverflowMenu
            size="sm"
            flipped
            aria-label={`Actions for ${u.username}`}
            iconDescription={`Actions for ${u.username}`}
          >
            <OverflowMenuItem
              itemText="Reset password…"
              onClick={() => setResetting(u)}
              // Your own password is changed from the account menu, with the current one.
              disabled={u.username === me}
            />
            {/* Not for yourself: another administrator has to, so one always remains. */}
            {u.username === me ? null : (
              <OverflowMenuItem
                itemText={u.admin ? CHANGES['remove-admin'].menu : CHANGES['make-admin'].menu}
                onClick={() => open(u, u.admin ? 'remove-admin' : 'make-admin')}
              />
            )}
            {u.username === me ? null : (
              <OverflowMenuItem
                itemText={u.disabled ? CHANGES.enable.menu : CHANGES.disable.menu}
                isDelete={!u.disabled}
                hasDivider
                onClick={() => open(u, u.disabled ? 'enable' : 'disable')}
              />
            )}
          </OverflowMenu>
        )}
      />
      {creating ? (
        <CreateUserModal
          onClose={() => setCreating(false)}
          onCreated={(user) => {
            setCreating(false);
            toasts.show({
              kind: 'success',
              title: `User ${user.username} created`,
              subtitle:
                'Give them the temporary password; they choose their own when they first sign in.',
            });
          }}
        />
      ) : null}
      {resetting ? (
        <ResetPasswordModal
          user={resetting}
          onClose={() => setResetting(null)}
          onReset={(user) => {
            setResetting(null);
            toasts.show({
              kind: 'success',
              title: `Password of ${user.username} reset`,
              subtitle: 'They were signed out and choose a new password at their next sign-in.',
            });
          }}
        />
      ) : null}
      {changing ? (
        <DangerConfirmModal
          danger={CHANGES[changing.change].danger}
          title={CHANGES[changing.change].title(changing.user.username)}
          primaryText={CHANGES[changing.change].button}
          isPending={update.isPending}
          error={update.error}
          onClose={() => setChanging(null)}
          onConfirm={() =>
            update.mutate(
              { username: changing.user.username, body: CHANGES[changing.change].body },
              {
                onSuccess: (user) => {
                  setChanging(null);
                  toasts.show({
                    kind: 'success',
                    title: CHANGES[changing.change].done(user.username),
                  });
                },
              },
            )
          }
        >
          <p>{CHANGES[changing.change].explain(changing.user.username)}</p>
        </DangerConfirmModal>
      ) : null}
    </>
  );
}

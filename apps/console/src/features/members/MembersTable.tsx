import { Button, OverflowMenu, OverflowMenuItem, Tag } from '@carbon/react';
import { Add } from '@carbon/icons-react';
import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import { useState } from 'react';
import type { ApiError } from '../../api/client';
import type { RemoveMemberInput, SetMemberInput } from '../../api/members';
import { useCurrentUser } from '../../api/session';
import { useToasts } from '../../app/ToastProvider';
import { ClientTable, type Column } from '../../components/ClientTable';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { DateText } from '../../components/DateText';
import { MemberRoleModal } from './MemberRoleModal';
import { roleLabel, type RoleOption } from './roles';

interface Member<R extends string> {
  username: string;
  role: R;
  addedAt: string;
  addedBy: string;
}

interface MembersTableProps<R extends string> {
  /** The namespace name or project id the API paths take. */
  id: string;
  /** "demo-shop", "project shop": named in headings and messages. */
  where: string;
  roles: RoleOption<R>[];
  members: UseQueryResult<{ items: Member<R>[] }, ApiError>;
  setMember: UseMutationResult<unknown, ApiError, SetMemberInput<R>>;
  removeMember: UseMutationResult<void, ApiError, RemoveMemberInput>;
  /** Managers add, change and remove; everyone else with access sees the list. */
  canManage: boolean;
}

/** Tag colours by rank, lowest first: the stronger the role, the more it stands out. */
const ROLE_TAG = ['gray', 'blue', 'purple'] as const;

/** Members of a namespace or a project: the two share roles ranked three deep, and this table. */
export function MembersTable<R extends string>({
  id,
  where,
  roles,
  members,
  setMember,
  removeMember,
  canManage,
}: MembersTableProps<R>) {
  const toasts = useToasts();
  const me = useCurrentUser()?.username;
  const [editing, setEditing] = useState<Member<R> | 'new' | null>(null);
  const [removing, setRemoving] = useState<Member<R> | null>(null);
  const rank = (role: R) => roles.findIndex((option) => option.value === role);

  const columns: Column<Member<R>>[] = [
    {
      key: 'username',
      header: 'Username',
      sortValue: (m) => m.username,
      render: (m) => (
        <span>
          <strong>{m.username}</strong>
          {m.username === me ? <span className="berth-muted"> (you)</span> : null}
        </span>
      ),
    },
    {
      key: 'role',
      header: 'Role',
      sortValue: (m) => rank(m.role),
      render: (m) => (
        <Tag size="sm" type={ROLE_TAG[rank(m.role)] ?? 'gray'}>
          {roleLabel(roles, m.role)}
        </Tag>
      ),
    },
    {
      key: 'addedAt',
      header: 'Added',
      sortValue: (m) => m.addedAt,
      render: (m) => (
        <span className="berth-stacked">
          <DateText iso={m.addedAt} />
          <span className="berth-muted">by {m.addedBy}</span>
        </span>
      ),
    },
  ];

  const openAdd = () => {
    setMember.reset();
    setEditing('new');
  };

  return (
    <>
      <ClientTable
        label={`Members of ${where}`}
        items={members.data?.items}
        getId={(m) => m.username}
        columns={columns}
        search={{ label: 'Search members', matches: (m, q) => m.username.includes(q) }}
        toolbarActions={
          canManage ? (
            <Button size="md" renderIcon={Add} onClick={openAdd}>
              Add member
            </Button>
          ) : null
        }
        isPending={members.isPending}
        error={members.error}
        onRetry={() => void members.refetch()}
        emptyTitle="No members yet"
        emptyBody={
          <p>
            Only administrators have access to {where} now.
            {canManage ? ' Use “Add member” to give someone a role here.' : ''}
          </p>
        }
        noMatchBody="No member's username contains this text."
        rowActions={
          canManage
            ? (m) => (
                <OverflowMenu
                  size="sm"
                  flipped
                  aria-label={`Actions for ${m.username}`}
                  iconDescription={`Actions for ${m.username}`}
                >
                  <OverflowMenuItem
                    itemText="Change role"
                    onClick={() => {
                      setMember.reset();
                      setEditing(m);
                    }}
                  />
                  <OverflowMenuItem
                    itemText="Remove"
                    isDelete
                    hasDivider
                    onClick={() => {
                      removeMember.reset();
                      setRemoving(m);
                    }}
                  />
                </OverflowMenu>
              )
            : undefined
        }
      />
      {editing ? (
        <MemberRoleModal
          where={where}
          roles={roles}
          member={editing === 'new' ? undefined : editing}
          isPending={setMember.isPending}
          error={setMember.error}
          onEdit={() => {
            if (setMember.error) setMember.reset();
          }}
          onClose={() => setEditing(null)}
          onSubmit={(username, role) =>
            setMember.mutate(
              { id, username, role },
              {
                onSuccess: () => {
                  setEditing(null);
                  toasts.show({
                    kind: 'success',
                    title:
                      editing === 'new'
                        ? `${username} added as ${roleLabel(roles, role).toLowerCase()}`
                        : `${username} is now ${roleLabel(roles, role).toLowerCase()}`,
                    subtitle: `In ${where}.`,
                  });
                },
              },
            )
          }
        />
      ) : null}
      {removing ? (
        <DangerConfirmModal
          title={`Remove ${removing.username}?`}
          label={where}
          primaryText="Remove member"
          isPending={removeMember.isPending}
          error={removeMember.error}
          onClose={() => setRemoving(null)}
          onConfirm={() =>
            removeMember.mutate(
              { id, username: removing.username },
              {
                onSuccess: () => {
                  setRemoving(null);
                  toasts.show({
                    kind: 'success',
                    title: `${removing.username} removed`,
                    subtitle: `From ${where}.`,
                  });
                },
              },
            )
          }
        >
          <p>
            <strong>{removing.username}</strong> loses the {roleLabel(roles, removing.role)} role in{' '}
            {where} now, including through their API keys.
            {removing.username === me
              ? ' That is you: unless you are an administrator, you lose access here.'
              : ''}
          </p>
        </DangerConfirmModal>
      ) : null}
    </>
  );
}

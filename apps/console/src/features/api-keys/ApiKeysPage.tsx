import { Button, OverflowMenu, OverflowMenuItem, Tag } from '@carbon/react';
import { Add } from '@carbon/icons-react';
import type { ApiKey } from '@berth/contract';
import { useState } from 'react';
import { useApiKeys, useRevokeApiKey } from '../../api/api-keys';
import { useToasts } from '../../app/ToastProvider';
import { ClientTable, type Column } from '../../components/ClientTable';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { DateText } from '../../components/DateText';
import { PageHeader } from '../../components/PageHeader';
import { CreateApiKeyModal } from './CreateApiKeyModal';
import { usePageTitle } from '../../lib/page-title';

/** Active keys first, newest first: revoked ones stay listed for the record. */
function byStatusThenNewest(a: ApiKey, b: ApiKey): number {
  if ((a.revokedAt === null) !== (b.revokedAt === null)) return a.revokedAt === null ? -1 : 1;
  return b.createdAt.localeCompare(a.createdAt);
}

const columns: Column<ApiKey>[] = [
  {
    key: 'name',
    header: 'Name',
    sortValue: (k) => k.name,
    render: (k) => <strong>{k.name}</strong>,
  },
  {
    key: 'access',
    header: 'Access',
    sortValue: (k) => k.access,
    render: (k) =>
      k.access === 'read-only' ? (
        <Tag size="sm" type="gray">
          Read only
        </Tag>
      ) : (
        <Tag size="sm" type="blue">
          Read and write
        </Tag>
      ),
  },
  {
    key: 'namespaces',
    header: 'Namespaces',
    render: (k) =>
      k.namespaces === null ? (
        <span className="berth-muted">All you can reach</span>
      ) : (
        <div className="berth-tags">
          {k.namespaces.map((ns) => (
            <Tag key={ns} size="sm" type="outline">
              {ns}
            </Tag>
          ))}
        </div>
      ),
    className: 'berth-wrap',
  },
  {
    key: 'prefix',
    header: 'Key starts with',
    render: (k) => <code className="berth-code">{k.prefix}…</code>,
  },
  {
    key: 'createdAt',
    header: 'Created',
    sortValue: (k) => k.createdAt,
    render: (k) => <DateText iso={k.createdAt} />,
  },
  {
    key: 'lastUsedAt',
    header: 'Last used',
    sortValue: (k) => k.lastUsedAt ?? '',
    render: (k) =>
      k.lastUsedAt ? <DateText iso={k.lastUsedAt} /> : <span className="berth-muted">never</span>,
  },
  {
    key: 'status',
    header: 'Status',
    sortValue: (k) => (k.revokedAt ? 1 : 0),
    render: (k) =>
      k.revokedAt ? (
        <span className="berth-stacked">
          <span>
            <Tag size="sm" type="red">
              Revoked
            </Tag>
          </span>
          <DateText iso={k.revokedAt} />
        </span>
      ) : (
        <Tag size="sm" type="green">
          Active
        </Tag>
      ),
  },
];

export function ApiKeysPage() {
  usePageTitle('API keys');
  const keys = useApiKeys();
  const revoke = useRevokeApiKey();
  const toasts = useToasts();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const items = keys.data ? [...keys.data.items].sort(byStatusThenNewest) : undefined;

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let scripts, CI jobs and registry clients act as you, without your password. Each can be limited to reading, or to some namespaces."
        actions={
          <Button renderIcon={Add} onClick={() => setCreating(true)}>
            Create API key
          </Button>
        }
      />
      <ClientTable
        label="Your API keys"
        dense
        items={items}
        getId={(k) => k.id}
        columns={columns}
        isPending={keys.isPending}
        error={keys.error}
        onRetry={() => void keys.refetch()}
        emptyTitle="No API keys yet"
        emptyBody={
          <p>
            Create a key for each script or machine that pushes, pulls or calls the API, so one can
            be revoked without touching the others.
          </p>
        }
        rowActions={(k) =>
          k.revokedAt ? null : (
            <OverflowMenu
              size="sm"
              flipped
              aria-label={`Actions for ${k.name}`}
              iconDescription={`Actions for ${k.name}`}
            >
              <OverflowMenuItem
                itemText="Revoke"
                isDelete
                onClick={() => {
                  revoke.reset();
                  setRevoking(k);
                }}
              />
            </OverflowMenu>
          )
        }
      />
      {creating ? <CreateApiKeyModal onClose={() => setCreating(false)} /> : null}
      {revoking ? (
        <DangerConfirmModal
          title={`Revoke API key ${revoking.name}?`}
          label={`Starts with ${revoking.prefix}`}
          primaryText="Revoke key"
          isPending={revoke.isPending}
          error={revoke.error}
          onClose={() => setRevoking(null)}
          onConfirm={() =>
            revoke.mutate(revoking.id, {
              onSuccess: () => {
                setRevoking(null);
                toasts.show({
                  kind: 'success',
                  title: `API key ${revoking.name} revoked`,
                  subtitle: 'It no longer works anywhere.',
                });
              },
            })
          }
        >
          <p>
            Anything using <strong>{revoking.name}</strong> (scripts, CI jobs, registry logins)
            stops working at once. This cannot be undone; create a new key to replace it.
          </p>
        </DangerConfirmModal>
      ) : null}
    </>
  );
}

import { Button, Tag } from '@carbon/react';
import { Add } from '@carbon/icons-react';
import type { ProjectSummary, Secret } from '@berth/contract';
import { useState } from 'react';
import { useProjectChildren } from '../../api/projects';
import { projectAccess } from '../../app/access';
import { ClientTable, type Column } from '../../components/ClientTable';
import { DateText } from '../../components/DateText';
import { DeleteChildModal } from './DeleteChildModal';
import { RowActionsMenu } from './RowActionsMenu';
import { SecretFormModal } from './SecretFormModal';

/** Stands for a value the console never has: the API does not send secret values. */
export const MASK = '••••••••';

function Masked() {
  return (
    <span className="berth-masked" aria-label="value hidden" role="img">
      {MASK}
    </span>
  );
}

/** A secret's keys, or a registry's server and user, each value masked. */
function SecretContents({ secret }: { secret: Secret }) {
  if (secret.type === 'registry') {
    return (
      <dl className="berth-secret-keys" aria-label={`Contents of ${secret.name}`}>
        <div>
          <dt>server</dt>
          <dd>{secret.server}</dd>
        </div>
        <div>
          <dt>username</dt>
          <dd>{secret.username}</dd>
        </div>
        <div>
          <dt>password</dt>
          <dd>
            <Masked />
          </dd>
        </div>
      </dl>
    );
  }
  return (
    <dl className="berth-secret-keys" aria-label={`Contents of ${secret.name}`}>
      {secret.keys.map((key) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>
            <Masked />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function SecretsTab({ project }: { project: ProjectSummary }) {
  const list = useProjectChildren(project.id, 'secrets');
  const [editing, setEditing] = useState<Secret | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Secret | null>(null);
  // A deleted project is read-only until restored; changing children needs the editor role.
  const readOnly = project.status === 'deleted' || !projectAccess(project).canEdit;
  const items = list.data
    ? [...list.data.items].sort((a, b) => a.name.localeCompare(b.name))
    : undefined;

  const columns: Column<Secret>[] = [
    {
      key: 'name',
      header: 'Name',
      sortValue: (s) => s.name,
      render: (s) => <strong>{s.name}</strong>,
    },
    {
      key: 'type',
      header: 'Type',
      sortValue: (s) => s.type,
      render: (s) =>
        s.type === 'registry' ? (
          <Tag size="sm" type="teal">
            Registry credentials
          </Tag>
        ) : (
          <Tag size="sm" type="gray">
            Generic
          </Tag>
        ),
    },
    {
      key: 'contents',
      header: 'Contents',
      render: (s) => <SecretContents secret={s} />,
      className: 'berth-wrap berth-contents-cell',
    },
    {
      key: 'updatedAt',
      header: 'Updated',
      sortValue: (s) => s.updatedAt,
      render: (s) => <DateText iso={s.updatedAt} />,
    },
  ];

  return (
    <>
      <p className="berth-tab-intro">
        Secret values are encrypted at rest and never shown again once saved: replace them to change
        them.
      </p>
      <ClientTable
        label={`Secrets of ${project.name}`}
        items={items}
        getId={(s) => s.name}
        columns={columns}
        search={{ label: 'Search secrets', matches: (s, q) => s.name.includes(q) }}
        toolbarActions={
          readOnly ? null : (
            <Button size="md" renderIcon={Add} onClick={() => setEditing('new')}>
              Create secret
            </Button>
          )
        }
        isPending={list.isPending}
        error={list.error}
        onRetry={() => void list.refetch()}
        emptyTitle="No secrets yet"
        emptyBody={
          <p>
            Secrets hold API keys, passwords and registry credentials for this project&apos;s apps
            and jobs.{readOnly ? '' : ' Use “Create secret” to add one.'}
          </p>
        }
        noMatchBody="No secret name contains this text."
        rowActions={
          readOnly
            ? undefined
            : (s) => (
                <RowActionsMenu
                  name={s.name}
                  actionText="Replace values"
                  onAction={() => setEditing(s)}
                  onDelete={() => setDeleting(s)}
                />
              )
        }
      />
      {editing ? (
        <SecretFormModal
          project={project}
          existing={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {deleting ? (
        <DeleteChildModal
          kind="secrets"
          project={project}
          item={deleting}
          noun="secret"
          onClose={() => setDeleting(null)}
        />
      ) : null}
    </>
  );
}

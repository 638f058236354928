import { Button, Tag } from '@carbon/react';
import { Add } from '@carbon/icons-react';
import type { ConfigMap, ProjectSummary } from '@berth/contract';
import { useState } from 'react';
import { useProjectChildren } from '../../api/projects';
import { projectAccess } from '../../app/access';
import { ClientTable, type Column } from '../../components/ClientTable';
import { DateText } from '../../components/DateText';
import { ConfigMapFormModal } from './ConfigMapFormModal';
import { DeleteChildModal } from './DeleteChildModal';
import { RowActionsMenu } from './RowActionsMenu';

/** Shows a few keys; the rest are a count, the values are in the edit form. */
const SHOWN_KEYS = 6;

function Keys({ configMap }: { configMap: ConfigMap }) {
  const keys = Object.keys(configMap.data).sort();
  if (keys.length === 0) return <span className="berth-muted">empty</span>;
  return (
    <div className="berth-tags">
      {keys.slice(0, SHOWN_KEYS).map((key) => (
        <Tag key={key} size="sm" type="gray">
          {key}
        </Tag>
      ))}
      {keys.length > SHOWN_KEYS ? (
        <span className="berth-muted">and {keys.length - SHOWN_KEYS} more</span>
      ) : null}
    </div>
  );
}

export function ConfigMapsTab({ project }: { project: ProjectSummary }) {
  const list = useProjectChildren(project.id, 'config-maps');
  const [editing, setEditing] = useState<ConfigMap | 'new' | null>(null);
  const [deleting, setDeleting] = useState<ConfigMap | null>(null);
  // A deleted project is read-only until restored; changing children needs the editor role.
  const readOnly = project.status === 'deleted' || !projectAccess(project).canEdit;
  const items = list.data
    ? [...list.data.items].sort((a, b) => a.name.localeCompare(b.name))
    : undefined;

  const columns: Column<ConfigMap>[] = [
    {
      key: 'name',
      header: 'Name',
      sortValue: (c) => c.name,
      render: (c) => <strong>{c.name}</strong>,
    },
    {
      key: 'keys',
      header: 'Keys',
      sortValue: (c) => Object.keys(c.data).length,
      render: (c) => <Keys configMap={c} />,
      className: 'berth-wrap',
    },
    {
      key: 'updatedAt',
      header: 'Updated',
      sortValue: (c) => c.updatedAt,
      render: (c) => <DateText iso={c.updatedAt} />,
    },
  ];

  return (
    <>
      <ClientTable
        label={`Config maps of ${project.name}`}
        items={items}
        getId={(c) => c.name}
        columns={columns}
        search={{
          label: 'Search config maps',
          matches: (c, q) =>
            c.name.includes(q) || Object.keys(c.data).some((key) => key.toLowerCase().includes(q)),
        }}
        toolbarActions={
          readOnly ? null : (
            <Button size="md" renderIcon={Add} onClick={() => setEditing('new')}>
              Create config map
            </Button>
          )
        }
        isPending={list.isPending}
        error={list.error}
        onRetry={() => void list.refetch()}
        emptyTitle="No config maps yet"
        emptyBody={
          <p>
            Config maps hold settings that are not secret, as keys and values, for this
            project&apos;s apps and jobs.{readOnly ? '' : ' Use “Create config map” to add one.'}
          </p>
        }
        noMatchBody="No config map name or key contains this text."
        // The table shows only keys, so read-only the menu still opens the values.
        rowActions={(c) => (
          <RowActionsMenu
            name={c.name}
            actionText={readOnly ? 'View' : 'Edit'}
            onAction={() => setEditing(c)}
            onDelete={readOnly ? undefined : () => setDeleting(c)}
          />
        )}
      />
      {editing ? (
        <ConfigMapFormModal
          project={project}
          existing={editing === 'new' ? undefined : editing}
          readOnly={readOnly}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {deleting ? (
        <DeleteChildModal
          kind="config-maps"
          project={project}
          item={deleting}
          noun="config map"
          onClose={() => setDeleting(null)}
        />
      ) : null}
    </>
  );
}

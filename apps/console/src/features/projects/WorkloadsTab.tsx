import { Button, Tag } from '@carbon/react';
import { Add } from '@carbon/icons-react';
import type { App, Job, ProjectSummary } from '@berth/contract';
import { useState } from 'react';
import { useProjectChildren } from '../../api/projects';
import { projectAccess } from '../../app/access';
import { ClientTable, type Column } from '../../components/ClientTable';
import { DateText } from '../../components/DateText';
import { DeleteChildModal } from './DeleteChildModal';
import { ImagePointer } from './ImagePointer';
import { RowActionsMenu } from './RowActionsMenu';
import { WorkloadFormModal } from './WorkloadFormModal';
import { formatCpu, formatMemory } from './workload-form';

type Workload = App | Job;

const TEXT = {
  apps: {
    noun: 'app',
    title: 'Apps',
    create: 'Create app',
    empty: 'No apps yet',
    emptyBody:
      'An app is a long-running workload: it points at an image and runs it with the command, environment and size you give it.',
  },
  jobs: {
    noun: 'job',
    title: 'Jobs',
    create: 'Create job',
    empty: 'No jobs or job templates yet',
    emptyBody:
      'A job runs an image to completion; a job template is a job kept ready to be submitted again and again.',
  },
} as const;

function isJob(workload: Workload): workload is Job {
  return 'kind' in workload;
}

export function WorkloadsTab({
  kind,
  project,
}: {
  kind: 'apps' | 'jobs';
  project: ProjectSummary;
}) {
  const list = useProjectChildren(project.id, kind);
  const [editing, setEditing] = useState<Workload | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Workload | null>(null);
  // A deleted project is read-only until restored; changing children needs the editor role.
  const readOnly = project.status === 'deleted' || !projectAccess(project).canEdit;
  const text = TEXT[kind];
  const items = list.data
    ? [...list.data.items].sort((a, b) => a.name.localeCompare(b.name))
    : undefined;

  const columns: Column<Workload>[] = [
    {
      key: 'name',
      header: 'Name',
      sortValue: (w) => w.name,
      render: (w) => <strong>{w.name}</strong>,
    },
    ...(kind === 'jobs'
      ? [
          {
            key: 'kind',
            header: 'Kind',
            sortValue: (w: Workload) => (isJob(w) ? w.kind : ''),
            render: (w: Workload) =>
              isJob(w) && w.kind === 'template' ? (
                <Tag size="sm" type="purple">
                  Template
                </Tag>
              ) : (
                <Tag size="sm" type="gray">
                  Job
                </Tag>
              ),
          },
        ]
      : []),
    {
      key: 'image',
      header: 'Image',
      sortValue: (w) => w.image.pointer,
      render: (w) => <ImagePointer image={w.image} />,
      className: 'berth-wrap berth-image-cell',
    },
    { key: 'cpu', header: 'CPU', sortValue: (w) => w.cpu, render: (w) => formatCpu(w.cpu) },
    {
      key: 'memoryMiB',
      header: 'Memory',
      sortValue: (w) => w.memoryMiB,
      render: (w) => formatMemory(w.memoryMiB),
    },
    {
      key: 'updatedAt',
      header: 'Updated',
      sortValue: (w) => w.updatedAt,
      render: (w) => <DateText iso={w.updatedAt} />,
    },
  ];

  return (
    <>
      <ClientTable
        label={`${text.title} of ${project.name}`}
        items={items}
        getId={(w) => w.name}
        columns={columns}
        search={{
          label: `Search ${text.title.toLowerCase()}`,
          matches: (w, q) => w.name.includes(q) || w.image.pointer.toLowerCase().includes(q),
        }}
        toolbarActions={
          readOnly ? null : (
            <Button size="md" renderIcon={Add} onClick={() => setEditing('new')}>
              {text.create}
            </Button>
          )
        }
        isPending={list.isPending}
        error={list.error}
        onRetry={() => void list.refetch()}
        emptyTitle={text.empty}
        emptyBody={
          <p>
            {text.emptyBody}
            {readOnly ? '' : ` Use “${text.create}” to add one.`}
          </p>
        }
        noMatchBody={`No ${text.noun} name or image contains this text.`}
        rowActions={
          readOnly
            ? undefined
            : (w) => (
                <RowActionsMenu
                  name={w.name}
                  actionText="Edit"
                  onAction={() => setEditing(w)}
                  onDelete={() => setDeleting(w)}
                />
              )
        }
      />
      {editing ? (
        <WorkloadFormModal
          kind={kind}
          project={project}
          existing={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {deleting ? (
        <DeleteChildModal
          kind={kind}
          project={project}
          item={deleting}
          noun={isJob(deleting) && deleting.kind === 'template' ? 'job template' : text.noun}
          onClose={() => setDeleting(null)}
        />
      ) : null}
    </>
  );
}

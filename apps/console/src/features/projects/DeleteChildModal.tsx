import type { ProjectChildKind, ProjectSummary } from '@berth/contract';
import { useDeleteProjectChild, type ChildItem } from '../../api/projects';
import { useToasts } from '../../app/ToastProvider';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { capitalize } from '../../lib/format';

const CONSEQUENCE: Record<ProjectChildKind, string> = {
  apps: 'The app stops being part of the project. Its image stays in the registry.',
  jobs: 'It stops being part of the project. Its image stays in the registry.',
  secrets:
    'Its values are destroyed and cannot be recovered. Apps and jobs that read it will not find it.',
  'config-maps': 'Apps and jobs that read it will not find it.',
};

interface DeleteChildModalProps<K extends ProjectChildKind> {
  kind: K;
  project: ProjectSummary;
  item: ChildItem<K>;
  /** "app", "job template", "secret", "config map". */
  noun: string;
  onClose: () => void;
}

/** Deleting one thing inside a project: immediate and not restorable, so a danger modal. */
export function DeleteChildModal<K extends ProjectChildKind>({
  kind,
  project,
  item,
  noun,
  onClose,
}: DeleteChildModalProps<K>) {
  const remove = useDeleteProjectChild(kind);
  const toasts = useToasts();
  return (
    <DangerConfirmModal
      title={`Delete ${noun} ${item.name}?`}
      label={`Project ${project.name}`}
      primaryText={`Delete ${noun}`}
      isPending={remove.isPending}
      error={remove.error}
      onClose={onClose}
      onConfirm={() =>
        remove.mutate(
          { project, item },
          {
            onSuccess: () => {
              onClose();
              toasts.show({
                kind: 'success',
                title: `${capitalize(noun)} ${item.name} deleted`,
                subtitle: `From project ${project.name}.`,
              });
            },
          },
        )
      }
    >
      <p>
        This deletes the {noun} <strong>{item.name}</strong> from <strong>{project.name}</strong>{' '}
        now; it cannot be undone. {CONSEQUENCE[kind]}
      </p>
    </DangerConfirmModal>
  );
}

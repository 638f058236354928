import type { ProjectDeleted, ProjectSummary } from '@berth/contract';
import { Link } from 'react-router';
import { toApiError } from '../../api/client';
import { useRestoreProject } from '../../api/projects';
import { routePaths } from '../../app/route-paths';
import { useToasts } from '../../app/ToastProvider';

const deletedKey = (projectId: string) => `project-deleted:${projectId}`;

/**
 * What the person hears after deleting or restoring a project. A soft delete offers Undo;
 * restores use mutateAsync because Undo may be pressed after leaving the page it came from,
 * and the answer must still reach the person.
 */
export function useProjectToasts() {
  const toasts = useToasts();
  const restore = useRestoreProject();

  const restoreProject = (project: Pick<ProjectSummary, 'id' | 'name'>) =>
    restore
      .mutateAsync(project)
      .then((restored) => {
        // Its "deleted … Undo" toast would otherwise offer to restore it a second time.
        toasts.dismissKey(deletedKey(project.id));
        toasts.show({
          kind: 'success',
          title: `Project ${restored.name} restored`,
          // Carbon's plain toast may hold no links; the project is back in its list.
          subtitle: 'With its apps, jobs, secrets and config maps.',
        });
        return restored;
      })
      .catch((error: unknown) => {
        const apiError = toApiError(error);
        if (apiError.code === 'PROJECT_NOT_DELETED') {
          // Restored in the meantime, from another page, tab or person: nothing went wrong.
          toasts.dismissKey(deletedKey(project.id));
          toasts.show({
            kind: 'info',
            title: `Project ${project.name} is already restored`,
            subtitle: 'It is back in its list; there was nothing to undo.',
          });
          return null;
        }
        toasts.show({
          kind: 'error',
          title: `Project ${project.name} not restored`,
          subtitle: `${apiError.message} It is still in Deleted projects.`,
        });
        return null;
      });

  const deleted = ({ project, permanent }: ProjectDeleted) => {
    if (permanent) {
      toasts.show({
        kind: 'success',
        title: `Project ${project.name} deleted permanently`,
        subtitle: 'Its apps, jobs, secrets and config maps are gone for good.',
      });
      return;
    }
    toasts.show({
      kind: 'success',
      title: `Project ${project.name} deleted`,
      subtitle: (
        <>
          It can be restored for 7 days from{' '}
          <Link to={routePaths.deletedProjects()} className="cds--link">
            Deleted projects
          </Link>
          .
        </>
      ),
      action: { label: 'Undo', onClick: () => void restoreProject(project) },
      key: deletedKey(project.id),
    });
  };

  return { deleted, restoreProject, isRestoring: restore.isPending };
}

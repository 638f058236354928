import { Button } from '@carbon/react';
import { Undo } from '@carbon/icons-react';
import type { TrashItem } from '@berth/contract';
import { BatchActionToolbar } from '../../components/BatchActionToolbar';
import type { RowSelection } from '../../lib/use-row-selection';

/** restoreManyBody takes at most this many images in one request. */
export const RESTORE_SELECTION_MAX = 1000;

interface TrashToolbarProps {
  selection: RowSelection<TrashItem>;
  onRestoreSelected: (rows: TrashItem[]) => void;
  /** Set when the trash is filtered to one repository that has images in it. */
  repository: string | null;
  onRestoreRepository: (repository: string) => void;
  /** A "restore repository" of it is already running (found here, or started elsewhere). */
  restoringRepository: boolean;
  /** Set when the trash is filtered to one retention run (alone) that has images in it. */
  run: string | null;
  onRestoreRun: (run: string) => void;
  /** A restore of that run is already running. */
  restoringRun: boolean;
  /** More than one filter is on (or a search): no whole restore matches what is shown. */
  bothFilters: boolean;
  isPending: boolean;
}

/**
 * The trash's actions for a writer: "Restore" over the selected rows (a batch bar while
 * rows are checked), "Restore repository" while the view is one repository, and "Restore
 * run" while it is what one retention run deleted (the run's Undo, where its images are).
 */
export function TrashToolbar({
  selection,
  onRestoreSelected,
  repository,
  onRestoreRepository,
  restoringRepository,
  run,
  onRestoreRun,
  restoringRun,
  bothFilters,
  isPending,
}: TrashToolbarProps) {
  const tooMany = selection.selectedRows.length > RESTORE_SELECTION_MAX;
  return (
    <BatchActionToolbar
      label="Trash toolbar"
      selection={selection}
      action={{
        text: tooMany ? `Restore (at most ${RESTORE_SELECTION_MAX.toLocaleString()})` : 'Restore',
        icon: Undo,
        disabled: isPending || tooMany,
        onClick: onRestoreSelected,
      }}
    >
      {(tabIndex) =>
        bothFilters ? (
          <p className="berth-toolbar-hint berth-muted">
            Select images to restore them; with only a repository or a run filter on, all of it can
            be restored at once.
          </p>
        ) : run && restoringRun ? (
          <p className="berth-toolbar-hint berth-muted">Restoring retention run #{run}…</p>
        ) : run ? (
          <Button
            kind="primary"
            size="md"
            renderIcon={Undo}
            tabIndex={tabIndex}
            disabled={isPending}
            onClick={() => onRestoreRun(run)}
          >
            Restore run #{run}
          </Button>
        ) : repository && restoringRepository ? (
          // Said, not a disabled button: its progress bar is above, and it ends with a toast.
          <p className="berth-toolbar-hint berth-muted">Restoring repository {repository}…</p>
        ) : repository ? (
          <Button
            kind="primary"
            size="md"
            renderIcon={Undo}
            tabIndex={tabIndex}
            disabled={isPending}
            onClick={() => onRestoreRepository(repository)}
          >
            Restore repository {repository}
          </Button>
        ) : (
          <p className="berth-toolbar-hint berth-muted">
            Select images to restore several at once, or filter to one repository to restore all of
            it.
          </p>
        )
      }
    </BatchActionToolbar>
  );
}

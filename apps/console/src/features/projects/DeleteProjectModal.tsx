import { RadioButton, RadioButtonGroup, SkeletonText } from '@carbon/react';
import type { ProjectDeleted, ProjectDeletionPreview, ProjectSummary } from '@berth/contract';
import { useState } from 'react';
import { useDeleteProject, useProjectDeletionPreview } from '../../api/projects';
import { DangerConfirmModal } from '../../components/DangerConfirmModal';
import { ErrorNotification } from '../../components/ErrorNotification';
import { pluralize } from '../../lib/format';

interface DeleteProjectModalProps {
  project: ProjectSummary;
  /** A project already in Deleted projects can only go for good. */
  permanentOnly?: boolean;
  onClose: () => void;
  onDeleted: (result: ProjectDeleted) => void;
}

/** Long lists stay readable: the first names, then how many more. */
const SHOWN = 8;

function NameList({ label, names }: { label: string; names: readonly string[] }) {
  if (names.length === 0) return null;
  const rest = names.length - SHOWN;
  return (
    <p className="berth-preview-line">
      <strong>
        {label} ({names.length.toLocaleString()}):
      </strong>{' '}
      {names.slice(0, SHOWN).map((name, index) => (
        <span key={name}>
          {index > 0 ? ', ' : ''}
          <code>{name}</code>
        </span>
      ))}
      {rest > 0 ? <span className="berth-muted"> and {rest.toLocaleString()} more</span> : null}
    </p>
  );
}

function PreviewBody({ data, hard }: { data: ProjectDeletionPreview; hard: boolean }) {
  const jobs = data.jobs.map((job) =>
    job.kind === 'template' ? `${job.name} (template)` : job.name,
  );
  const empty =
    data.apps.length + data.jobs.length + data.secrets.length + data.configMaps.length === 0;
  return (
    <div className="berth-preview">
      {empty ? (
        <p>The project is empty: no apps, jobs, secrets or config maps.</p>
      ) : (
        <>
          <p className="berth-modal-subheading">
            {hard ? 'Deleted with it, for good:' : 'Deleted with it, and restored with it:'}
          </p>
          <NameList label="Apps" names={data.apps} />
          <NameList label="Jobs and job templates" names={jobs} />
          <NameList label="Secrets" names={data.secrets} />
          <NameList label="Config maps" names={data.configMaps} />
        </>
      )}
      {data.images.length > 0 ? (
        hard ? (
          <>
            <p>
              {pluralize(data.images.length, 'image')} in this registry will no longer be protected
              by this project: retention and image deletes treat them like any other image.
            </p>
            <NameList label="Images no longer protected" names={data.images} />
          </>
        ) : (
          <p>
            The {pluralize(data.images.length, 'image')} its apps and jobs use stay protected while
            the project can be restored, and lose that protection when it is deleted for good.
          </p>
        )
      ) : null}
    </div>
  );
}

export function DeleteProjectModal({
  project,
  permanentOnly = false,
  onClose,
  onDeleted,
}: DeleteProjectModalProps) {
  const [mode, setMode] = useState<'soft' | 'hard'>(permanentOnly ? 'hard' : 'soft');
  const preview = useProjectDeletionPreview(project.id);
  const remove = useDeleteProject();
  const hard = mode === 'hard';

  return (
    <DangerConfirmModal
      title={
        permanentOnly ? `Delete ${project.name} permanently` : `Delete project ${project.name}`
      }
      label={`Region ${project.region}`}
      primaryText={hard ? 'Delete permanently' : 'Delete project'}
      confirmationText={hard ? project.name : undefined}
      primaryDisabled={!preview.data}
      isPending={remove.isPending}
      error={remove.error}
      onClose={onClose}
      onConfirm={() =>
        remove.mutate(
          { project, hard, confirm: hard ? project.name : undefined },
          { onSuccess: onDeleted },
        )
      }
    >
      {permanentOnly ? (
        <p>
          This deletes <strong>{project.name}</strong> now and for good, with everything it holds.
          Its secrets can never be read again. It cannot be restored.
        </p>
      ) : (
        <RadioButtonGroup
          legendText="How to delete"
          name="project-delete-mode"
          orientation="vertical"
          valueSelected={mode}
          onChange={(value) => {
            setMode(value === 'hard' ? 'hard' : 'soft');
            remove.reset();
          }}
        >
          <RadioButton
            id="project-delete-soft"
            value="soft"
            labelText="Delete (restorable for 7 days)"
          />
          <RadioButton id="project-delete-hard" value="hard" labelText="Delete permanently" />
        </RadioButtonGroup>
      )}
      {!permanentOnly ? (
        <p>
          {hard ? (
            <>
              <strong>{project.name}</strong> and everything it holds are deleted now and for good;
              its secrets can never be read again. It cannot be restored.
            </>
          ) : (
            <>
              <strong>{project.name}</strong> moves to Deleted projects. It still counts towards the
              region&apos;s limit until it is deleted for good, after 7 days.
            </>
          )}
        </p>
      ) : null}
      {preview.isPending ? (
        <div aria-label="Loading what will be deleted" role="status">
          <SkeletonText paragraph lineCount={4} />
        </div>
      ) : preview.error ? (
        <ErrorNotification
          error={preview.error}
          title="Could not load what will be deleted"
          onRetry={() => void preview.refetch()}
        />
      ) : (
        <PreviewBody data={preview.data} hard={hard} />
      )}
    </DangerConfirmModal>
  );
}

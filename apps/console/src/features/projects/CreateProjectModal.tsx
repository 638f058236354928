import { InlineNotification, TextInput } from '@carbon/react';
import type { ProjectQuota, ProjectSummary } from '@berth/contract';
import { checkResourceName } from '@berth/domain';
import { useState } from 'react';
import { useCreateProject } from '../../api/projects';
import { useRegion } from '../../app/RegionProvider';
import { FormModal } from '../../components/FormModal';
import { RegionSelect } from '../../components/RegionSelect';
import { fieldOfError } from '../../lib/form-errors';
import { plural } from '../../lib/format';

interface CreateProjectModalProps {
  /** The current region's quota, when loaded: a full region is said up front. */
  quota: ProjectQuota | undefined;
  onClose: () => void;
  onCreated: (project: ProjectSummary) => void;
}

const NAME_RULE =
  'Up to 63 characters: lowercase letters, digits and -, starting and ending with a letter or digit';

export function CreateProjectModal({ quota, onClose, onCreated }: CreateProjectModalProps) {
  const { region: currentRegion } = useRegion();
  const [name, setName] = useState('');
  const [region, setRegion] = useState(currentRegion ?? '');
  const [submitted, setSubmitted] = useState(false);
  const create = useCreateProject();
  const error = create.error;
  const serverField = fieldOfError(error, { name: [], region: [] });
  const nameCheck = checkResourceName(name.trim());
  const nameError = submitted && !nameCheck.ok ? `Name ${nameCheck.reason}` : null;
  const full = quota && quota.region === region && quota.used >= quota.limit;

  const submit = () => {
    setSubmitted(true);
    if (!nameCheck.ok) {
      document.getElementById('project-name')?.focus();
      return;
    }
    create.mutate({ name: name.trim(), region }, { onSuccess: onCreated });
  };

  return (
    <FormModal
      heading="Create project"
      submitText="Create project"
      pendingText="Creating…"
      isPending={create.isPending}
      formError={serverField === null ? error : null}
      formErrorTitle="Project not created"
      onSubmit={submit}
      onClose={onClose}
    >
      <p>
        A project groups the apps, jobs, secrets and config maps of one product or team. Its apps
        and jobs point at images; the images stay in their namespaces.
      </p>
      <TextInput
        id="project-name"
        data-modal-primary-focus
        labelText="Name"
        helperText={NAME_RULE}
        autoComplete="off"
        spellCheck={false}
        value={name}
        invalid={!!nameError || serverField === 'name'}
        invalidText={nameError ?? (serverField === 'name' ? error?.message : undefined)}
        onChange={(event) => {
          setName(event.target.value);
          if (create.error) create.reset();
        }}
      />
      <RegionSelect
        id="project-region"
        helperText={`At most ${quota?.limit ?? 20} projects per region, deleted ones included.`}
        value={region}
        error={serverField === 'region' ? error?.message : undefined}
        onChange={(value) => {
          setRegion(value);
          if (create.error) create.reset();
        }}
      />
      {full && !error ? (
        <InlineNotification
          kind="warning"
          lowContrast
          hideCloseButton
          title={`${region} is at its limit of ${quota.limit} projects`}
          subtitle={
            quota.deleted > 0
              ? `${quota.deleted} of them ${plural(quota.deleted, 'is a deleted project', 'are deleted projects')} that still count. Delete one permanently from Deleted projects to free a slot.`
              : 'Delete a project to free a slot.'
          }
        />
      ) : null}
    </FormModal>
  );
}

import { Modal } from '@carbon/react';
import type { ConfigMap, ProjectSummary } from '@berth/contract';
import { checkDataKey, checkResourceName } from '@berth/domain';
import { useState } from 'react';
import { useSaveProjectChild } from '../../api/projects';
import { useToasts } from '../../app/ToastProvider';
import { fieldOfError } from '../../lib/form-errors';
import { ChildFormModal, ChildNameInput } from './ChildFormModal';
import {
  entriesToMap,
  entryErrors,
  filledEntries,
  KeyValueEditor,
  MAX_ENTRIES,
  newEntry,
  type Entry,
} from './KeyValueEditor';

interface ConfigMapFormModalProps {
  project: ProjectSummary;
  /** Present: edit it (or, in a deleted project, only look at it). */
  existing?: ConfigMap;
  readOnly?: boolean;
  onClose: () => void;
}

function ConfigMapValues({ configMap }: { configMap: ConfigMap }) {
  const entries = Object.entries(configMap.data).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p>This config map is empty.</p>;
  return (
    <table className="berth-summary-table">
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <td>
              <code>{key}</code>
            </td>
            <td className="berth-config-value">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ConfigMapFormModal({
  project,
  existing,
  readOnly = false,
  onClose,
}: ConfigMapFormModalProps) {
  const toasts = useToasts();
  const [name, setName] = useState(existing?.name ?? '');
  const [entries, setEntries] = useState<Entry[]>(() => {
    const initial = Object.entries(existing?.data ?? {}).map(([key, value]) =>
      newEntry(key, value),
    );
    return initial.length > 0 ? initial : [newEntry()];
  });
  const [submitted, setSubmitted] = useState(false);
  const save = useSaveProjectChild('config-maps');
  const creating = existing === undefined;
  const nameCheck = checkResourceName(name.trim());
  const nameError =
    !creating || nameCheck.ok
      ? undefined
      : name.trim() === ''
        ? 'Enter a name'
        : `Name ${nameCheck.reason}`;
  const rowErrors = entryErrors(entries, checkDataKey, false);
  const totalError =
    filledEntries(entries) > MAX_ENTRIES ? `At most ${MAX_ENTRIES} keys` : undefined;
  const serverField = fieldOfError(save.error, { name: [] });
  const shownNameError =
    (submitted ? nameError : undefined) ??
    (serverField === 'name' ? save.error?.message : undefined);

  if (readOnly && existing) {
    return (
      <Modal
        open
        passiveModal
        size="md"
        modalHeading={`Config map ${existing.name}`}
        onRequestClose={onClose}
      >
        <div className="berth-modal-body">
          <p className="berth-modal-context">
            Project {project.name} (
            {project.status === 'deleted' ? 'deleted, read-only' : 'read-only for your role'})
          </p>
          <ConfigMapValues configMap={existing} />
        </div>
      </Modal>
    );
  }

  const submit = () => {
    setSubmitted(true);
    if (nameError || rowErrors.size > 0 || totalError) {
      const first = [...rowErrors.entries()][0];
      const id = nameError
        ? 'config-map-name'
        : first
          ? `config-map-data-${first[1].key ? 'key' : 'value'}-${first[0]}`
          : null;
      if (id) document.getElementById(id)?.focus();
      return;
    }
    const trimmed = name.trim();
    save.mutate(
      { project, name: trimmed, body: { data: entriesToMap(entries) }, previous: existing },
      {
        onSuccess: () => {
          onClose();
          toasts.show({
            kind: 'success',
            title: `Config map ${trimmed} ${creating ? 'created' : 'saved'}`,
            subtitle: `In project ${project.name}.`,
          });
        },
      },
    );
  };

  return (
    <ChildFormModal
      project={project}
      heading={creating ? 'Create config map' : `Edit config map ${existing.name}`}
      submitText={creating ? 'Create config map' : 'Save'}
      isPending={save.isPending}
      onSubmit={submit}
      onClose={onClose}
      formError={serverField === null ? save.error : null}
      formErrorTitle={creating ? 'Config map not created' : 'Not saved'}
    >
      <ChildNameInput
        id="config-map-name"
        creating={creating}
        value={name}
        error={shownNameError}
        onChange={(value) => {
          setName(value);
          if (save.error) save.reset();
        }}
      />
      <KeyValueEditor
        id="config-map-data"
        legend="Keys and values"
        helperText="Settings that are not secret. Keys: letters, digits, “.”, “_” and “-”."
        keyLabel="Key"
        valueLabel="Value"
        addLabel="Add key"
        initialFocus={creating ? undefined : 'value'}
        entries={entries}
        onChange={(next) => {
          setEntries(next);
          if (save.error) save.reset();
        }}
        errors={rowErrors}
        showErrors={submitted}
        error={submitted ? totalError : undefined}
      />
    </ChildFormModal>
  );
}

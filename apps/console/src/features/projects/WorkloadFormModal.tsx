import { NumberInput, RadioButton, RadioButtonGroup, TextArea, TextInput } from '@carbon/react';
import type { App, Job, JobKind, ProjectSummary } from '@berth/contract';
import { CPU_MAX, CPU_MIN, MEMORY_MAX_MIB, MEMORY_MIN_MIB } from '@berth/domain';
import { useState } from 'react';
import { useSaveProjectChild } from '../../api/projects';
import { useRegistryHost } from '../../api/regions';
import { useToasts } from '../../app/ToastProvider';
import { fieldOfError } from '../../lib/form-errors';
import { capitalize } from '../../lib/format';
import { ChildFormModal, ChildNameInput } from './ChildFormModal';
import { KeyValueEditor } from './KeyValueEditor';
import {
  hasErrors,
  initialWorkloadForm,
  validateWorkload,
  workloadBody,
  type WorkloadErrors,
  type WorkloadForm,
} from './workload-form';

interface WorkloadFormModalProps {
  kind: 'apps' | 'jobs';
  project: ProjectSummary;
  /** Absent: create a new one. */
  existing?: App | Job;
  onClose: () => void;
}

/** Where each field's first problem sends keyboard focus when the form is submitted. */
const FIELD_IDS: Record<'name' | 'image' | 'cpu' | 'memoryMiB' | 'command', string> = {
  name: 'workload-name',
  image: 'workload-image',
  cpu: 'workload-cpu',
  memoryMiB: 'workload-memory',
  command: 'workload-command',
};

function focusFirstError(errors: WorkloadErrors) {
  const field = (Object.keys(FIELD_IDS) as (keyof typeof FIELD_IDS)[]).find((key) => errors[key]);
  const firstEnv = [...errors.env.entries()][0];
  const id = field
    ? FIELD_IDS[field]
    : firstEnv
      ? `workload-env-${firstEnv[1].key ? 'key' : 'value'}-${firstEnv[0]}`
      : null;
  if (id) document.getElementById(id)?.focus();
}

export function WorkloadFormModal({ kind, project, existing, onClose }: WorkloadFormModalProps) {
  const toasts = useToasts();
  const registryHost = useRegistryHost();
  const [form, setForm] = useState<WorkloadForm>(() => initialWorkloadForm(existing));
  const [submitted, setSubmitted] = useState(false);
  const save = useSaveProjectChild(kind);
  const errors = validateWorkload(form);
  const shown: Partial<WorkloadErrors> = submitted ? errors : {};
  const serverField = fieldOfError(save.error, {
    name: [],
    image: ['pointer'],
    cpu: [],
    memoryMiB: ['memory'],
    command: [],
  });
  const fieldError = (field: keyof typeof FIELD_IDS) =>
    shown[field] ?? (serverField === field ? save.error?.message : undefined);
  const isApp = kind === 'apps';
  const noun = isApp ? 'app' : form.kind === 'template' ? 'job template' : 'job';
  const editing = existing !== undefined;

  const change = (patch: Partial<WorkloadForm>) => {
    setForm((current) => ({ ...current, ...patch }));
    if (save.error) save.reset();
  };

  const submit = () => {
    setSubmitted(true);
    if (hasErrors(errors)) {
      focusFirstError(errors);
      return;
    }
    const base = workloadBody(form);
    const name = form.name.trim();
    const onSuccess = () => {
      onClose();
      toasts.show({
        kind: 'success',
        title: `${capitalize(noun)} ${name} ${editing ? 'saved' : 'created'}`,
        subtitle: `In project ${project.name}.`,
      });
    };
    if (kind === 'apps') {
      save.mutate(
        { project, name, body: base, previous: existing as App | undefined },
        { onSuccess },
      );
    } else {
      save.mutate(
        {
          project,
          name,
          body: { ...base, kind: form.kind },
          previous: existing as Job | undefined,
        },
        { onSuccess },
      );
    }
  };

  return (
    <ChildFormModal
      project={project}
      heading={editing ? `Edit ${noun} ${existing.name}` : `Create ${isApp ? 'app' : 'job'}`}
      submitText={editing ? 'Save' : `Create ${noun}`}
      isPending={save.isPending}
      onSubmit={submit}
      onClose={onClose}
      formError={serverField === null ? save.error : null}
      formErrorTitle={editing ? 'Not saved' : `${capitalize(noun)} not created`}
    >
      <ChildNameInput
        id={FIELD_IDS.name}
        creating={!editing}
        value={form.name}
        error={fieldError('name')}
        onChange={(name) => change({ name })}
      />
      {!isApp ? (
        <RadioButtonGroup
          legendText="Kind"
          name="workload-kind"
          valueSelected={form.kind}
          helperText="A job runs once when submitted; a template is kept to be submitted again and again."
          onChange={(value) => change({ kind: value === 'template' ? 'template' : 'job' })}
        >
          <RadioButton id="workload-kind-job" value={'job' satisfies JobKind} labelText="Job" />
          <RadioButton
            id="workload-kind-template"
            value={'template' satisfies JobKind}
            labelText="Job template"
          />
        </RadioButtonGroup>
      ) : null}
      <TextInput
        id={FIELD_IDS.image}
        data-modal-primary-focus={editing ? true : undefined}
        labelText="Image"
        placeholder={`${registryHost}/<namespace>/<repository>:<tag>`}
        helperText={`For example ${registryHost}/<namespace>/<repository>:<tag>, or @sha256:… for a digest. Images in other registries are allowed but cannot be checked.`}
        autoComplete="off"
        spellCheck={false}
        value={form.image}
        invalid={!!fieldError('image')}
        invalidText={fieldError('image')}
        onChange={(event) => change({ image: event.target.value })}
      />
      <div className="berth-form__row">
        <NumberInput
          id={FIELD_IDS.cpu}
          label="CPU (vCPU)"
          helperText={`${CPU_MIN} to ${CPU_MAX}, in steps of ${CPU_MIN}`}
          min={CPU_MIN}
          max={CPU_MAX}
          step={CPU_MIN}
          allowEmpty
          value={form.cpu}
          invalid={!!fieldError('cpu')}
          invalidText={fieldError('cpu')}
          onChange={(_event, { value }) => change({ cpu: String(value) })}
        />
        <NumberInput
          id={FIELD_IDS.memoryMiB}
          label="Memory (MiB)"
          helperText={`${MEMORY_MIN_MIB} to ${MEMORY_MAX_MIB.toLocaleString()} MiB`}
          min={MEMORY_MIN_MIB}
          max={MEMORY_MAX_MIB}
          step={128}
          allowEmpty
          value={form.memoryMiB}
          invalid={!!fieldError('memoryMiB')}
          invalidText={fieldError('memoryMiB')}
          onChange={(_event, { value }) => change({ memoryMiB: String(value) })}
        />
      </div>
      <TextArea
        id={FIELD_IDS.command}
        labelText="Command (optional)"
        helperText="One argument per line, for example node, then server.js. Empty: the image's own command."
        rows={3}
        spellCheck={false}
        value={form.command}
        invalid={!!fieldError('command')}
        invalidText={fieldError('command')}
        onChange={(event) => change({ command: event.target.value })}
      />
      <KeyValueEditor
        id="workload-env"
        legend="Environment variables (optional)"
        keyLabel="Variable name"
        valueLabel="Value"
        addLabel="Add variable"
        entries={form.env}
        onChange={(env) => change({ env })}
        errors={errors.env}
        showErrors={submitted}
        error={submitted ? errors.envTotal : undefined}
      />
    </ChildFormModal>
  );
}

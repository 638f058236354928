import { PasswordInput, RadioButton, RadioButtonGroup, TextInput } from '@carbon/react';
import type { ProjectSummary, Secret, SecretType, SecretUpdateBody } from '@berth/contract';
import { checkDataKey, checkResourceName } from '@berth/domain';
import { useState } from 'react';
import { useSaveProjectChild } from '../../api/projects';
import { useRegistryHost } from '../../api/regions';
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

interface SecretFormModalProps {
  project: ProjectSummary;
  /** Present: replace its values (the API never returns them, so all are entered anew). */
  existing?: Secret;
  onClose: () => void;
}

interface Form {
  name: string;
  type: SecretType;
  entries: Entry[];
  server: string;
  username: string;
  password: string;
}

type Field = 'name' | 'server' | 'username' | 'password';

function initialForm(existing: Secret | undefined): Form {
  const keys = existing?.type === 'generic' ? existing.keys : [];
  return {
    name: existing?.name ?? '',
    type: existing?.type ?? 'generic',
    // Replacing keeps the key names (they are not secret) and asks for every value again.
    entries: keys.length > 0 ? keys.map((key) => newEntry(key)) : [newEntry()],
    server: existing?.server ?? '',
    username: existing?.username ?? '',
    password: '',
  };
}

function validate(form: Form, creating: boolean) {
  const errors: Partial<Record<Field, string>> & { entriesTotal?: string } = {};
  if (creating) {
    const name = checkResourceName(form.name.trim());
    if (!name.ok) errors.name = form.name.trim() === '' ? 'Enter a name' : `Name ${name.reason}`;
  }
  // Every value is required: an empty box on "replace" would silently wipe a value.
  const entries = entryErrors(form.entries, checkDataKey, true);
  if (form.type === 'generic') {
    const filled = filledEntries(form.entries);
    if (filled === 0) errors.entriesTotal = 'Add at least one key and its value';
    else if (filled > MAX_ENTRIES) errors.entriesTotal = `At most ${MAX_ENTRIES} keys`;
  } else {
    if (form.server.trim() === '') errors.server = 'Enter the registry server';
    if (form.username.trim() === '') errors.username = 'Enter the user name';
    if (form.password === '') errors.password = 'Enter the password or token';
  }
  const count = Object.keys(errors).length + (form.type === 'generic' ? entries.size : 0);
  return { errors, entries, count };
}

function bodyOf(form: Form): SecretUpdateBody {
  return form.type === 'generic'
    ? { type: 'generic', data: entriesToMap(form.entries) }
    : {
        type: 'registry',
        server: form.server.trim(),
        username: form.username.trim(),
        password: form.password,
      };
}

export function SecretFormModal({ project, existing, onClose }: SecretFormModalProps) {
  const toasts = useToasts();
  const registryHost = useRegistryHost();
  const [form, setForm] = useState<Form>(() => initialForm(existing));
  const [submitted, setSubmitted] = useState(false);
  const save = useSaveProjectChild('secrets');
  const creating = existing === undefined;
  const { errors, entries, count } = validate(form, creating);
  const serverField = fieldOfError(save.error, {
    name: [],
    server: [],
    username: [],
    password: [],
  });
  const fieldError = (field: Field) =>
    (submitted ? errors[field] : undefined) ??
    (serverField === field ? save.error?.message : undefined);
  const change = (patch: Partial<Form>) => {
    setForm((current) => ({ ...current, ...patch }));
    if (save.error) save.reset();
  };

  const submit = () => {
    setSubmitted(true);
    if (count > 0) {
      const first = (['name', 'server', 'username', 'password'] as const).find((f) => errors[f]);
      const firstEntry = [...entries.entries()][0];
      const id = first
        ? `secret-${first}`
        : firstEntry
          ? `secret-data-${firstEntry[1].key ? 'key' : 'value'}-${firstEntry[0]}`
          : null;
      if (id) document.getElementById(id)?.focus();
      return;
    }
    const name = form.name.trim();
    save.mutate(
      { project, name, body: bodyOf(form), previous: existing },
      {
        onSuccess: () => {
          onClose();
          toasts.show({
            kind: 'success',
            title: creating ? `Secret ${name} created` : `Values of secret ${name} replaced`,
            subtitle: 'Its values are encrypted and will not be shown again.',
          });
        },
      },
    );
  };

  return (
    <ChildFormModal
      project={project}
      heading={creating ? 'Create secret' : `Replace values of ${existing.name}`}
      submitText={creating ? 'Create secret' : 'Replace values'}
      isPending={save.isPending}
      onSubmit={submit}
      onClose={onClose}
      formError={serverField === null ? save.error : null}
      formErrorTitle={creating ? 'Secret not created' : 'Values not replaced'}
      autoComplete="off"
    >
      <p>
        {creating
          ? 'Values are encrypted when saved and never shown again, here or in the API.'
          : 'The current values are never shown. Enter every value again: replacing sets all of them.'}
      </p>
      {creating ? (
        <ChildNameInput
          id="secret-name"
          creating
          value={form.name}
          error={fieldError('name')}
          onChange={(name) => change({ name })}
        />
      ) : null}
      {creating ? (
        <RadioButtonGroup
          legendText="Type"
          name="secret-type"
          valueSelected={form.type}
          onChange={(value) => change({ type: value === 'registry' ? 'registry' : 'generic' })}
        >
          <RadioButton id="secret-type-generic" value="generic" labelText="Keys and values" />
          <RadioButton
            id="secret-type-registry"
            value="registry"
            labelText="Registry credentials"
          />
        </RadioButtonGroup>
      ) : null}
      {form.type === 'generic' ? (
        <KeyValueEditor
          id="secret-data"
          legend="Keys and values"
          helperText="Keys: letters, digits, “.”, “_” and “-”. Values are typed into hidden fields."
          keyLabel="Key"
          valueLabel="Value"
          addLabel="Add key"
          entries={form.entries}
          onChange={(next) => change({ entries: next })}
          secret
          initialFocus={creating ? undefined : 'value'}
          errors={entries}
          showErrors={submitted}
          error={submitted ? errors.entriesTotal : undefined}
        />
      ) : (
        <>
          <TextInput
            id="secret-server"
            data-modal-primary-focus={creating ? undefined : true}
            labelText="Registry server"
            placeholder={registryHost}
            helperText={`The host the credentials are for, for example ${registryHost}`}
            autoComplete="off"
            spellCheck={false}
            value={form.server}
            invalid={!!fieldError('server')}
            invalidText={fieldError('server')}
            onChange={(event) => change({ server: event.target.value })}
          />
          <TextInput
            id="secret-username"
            labelText="User name"
            autoComplete="off"
            spellCheck={false}
            value={form.username}
            invalid={!!fieldError('username')}
            invalidText={fieldError('username')}
            onChange={(event) => change({ username: event.target.value })}
          />
          <PasswordInput
            id="secret-password"
            labelText="Password or token"
            autoComplete="new-password"
            value={form.password}
            invalid={!!fieldError('password')}
            invalidText={fieldError('password')}
            onChange={(event) => change({ password: event.target.value })}
          />
        </>
      )}
    </ChildFormModal>
  );
}

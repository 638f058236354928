import {
  FilterableMultiSelect,
  Modal,
  RadioButton,
  RadioButtonGroup,
  TextInput,
} from '@carbon/react';
import type { ApiKeyAccess, CreatedApiKey } from '@berth/contract';
import { checkKeyName } from '@berth/domain';
import { useState } from 'react';
import { useCreateApiKey } from '../../api/api-keys';
import { useAllNamespaceOptions } from '../../api/namespaces';
import { FormModal } from '../../components/FormModal';
import { ruleViolation } from '../../lib/check-rule';
import { fieldOfError } from '../../lib/form-errors';
import { NewKeySecret } from './NewKeySecret';

interface CreateApiKeyModalProps {
  onClose: () => void;
}

/**
 * Two steps in one modal: the form, then the new key's secret, shown this once. Closing
 * drops the secret with the modal (and the mutation, which keeps no cache of it).
 */
export function CreateApiKeyModal({ onClose }: CreateApiKeyModalProps) {
  const create = useCreateApiKey();
  const created = create.data;
  return created ? (
    <SecretStep created={created} onClose={onClose} />
  ) : (
    <FormStep create={create} onClose={onClose} />
  );
}

function SecretStep({ created, onClose }: { created: CreatedApiKey; onClose: () => void }) {
  return (
    <Modal
      open
      size="md"
      modalHeading={`API key ${created.name} created`}
      primaryButtonText="Done"
      // Only the button closes it: a stray click outside must not lose an uncopied key.
      preventCloseOnClickOutside
      onRequestSubmit={onClose}
      onRequestClose={onClose}
    >
      <NewKeySecret created={created} />
    </Modal>
  );
}

function FormStep({
  create,
  onClose,
}: {
  create: ReturnType<typeof useCreateApiKey>;
  onClose: () => void;
}) {
  const namespaces = useAllNamespaceOptions();
  const [name, setName] = useState('');
  const [access, setAccess] = useState<ApiKeyAccess>('read-only');
  const [scope, setScope] = useState<string[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const error = create.error;
  const serverField = fieldOfError(error, { name: ['key'], namespaces: ['namespace'] });
  const nameError =
    (submitted ? ruleViolation(() => checkKeyName(name.trim())) : null) ??
    (serverField === 'name' ? (error?.message ?? null) : null);

  const submit = () => {
    setSubmitted(true);
    if (ruleViolation(() => checkKeyName(name.trim())) !== null) {
      document.getElementById('api-key-name')?.focus();
      return;
    }
    create.mutate({ name: name.trim(), access, namespaces: scope.length > 0 ? scope : null });
  };

  return (
    <FormModal
      heading="Create API key"
      submitText="Create key"
      pendingText="Creating…"
      isPending={create.isPending}
      formError={serverField === null ? error : null}
      formErrorTitle="Key not created"
      onSubmit={submit}
      onClose={onClose}
    >
      <p>
        A key signs in scripts and tools as you: registry clients use it as the password, the API as
        a bearer token. It can do at most what your roles allow.
      </p>
      <TextInput
        id="api-key-name"
        data-modal-primary-focus
        labelText="Name"
        helperText="What will use it, for example ci-deploy or laptop."
        autoComplete="off"
        spellCheck={false}
        value={name}
        invalid={nameError !== null}
        invalidText={nameError ?? undefined}
        onChange={(event) => {
          setName(event.target.value);
          if (create.error) create.reset();
        }}
      />
      <RadioButtonGroup
        legendText="Access"
        name="api-key-access"
        orientation="vertical"
        valueSelected={access}
        onChange={(value) => setAccess(value as ApiKeyAccess)}
      >
        <RadioButton
          id="api-key-access-read-only"
          value="read-only"
          labelText={
            <span className="berth-role-option">
              <strong>Read only</strong>
              <span className="berth-muted">Pull images and read through the API.</span>
            </span>
          }
        />
        <RadioButton
          id="api-key-access-read-write"
          value="read-write"
          labelText={
            <span className="berth-role-option">
              <strong>Read and write</strong>
              <span className="berth-muted">
                Also push, delete and change whatever your roles allow.
              </span>
            </span>
          }
        />
      </RadioButtonGroup>
      <FilterableMultiSelect<string>
        id="api-key-namespaces"
        titleText="Namespaces (optional)"
        helperText="Empty: every namespace you can reach. A key limited to namespaces cannot use projects."
        placeholder={namespaces.isPending ? 'Loading namespaces…' : 'Choose namespaces'}
        items={namespaces.data?.items.map((ns) => ns.name) ?? []}
        itemToString={(item) => item ?? ''}
        selectionFeedback="top-after-reopen"
        // Opening downwards, the list would be cut off by the modal's buttons.
        direction="top"
        invalid={serverField === 'namespaces' || namespaces.error !== null}
        invalidText={
          serverField === 'namespaces'
            ? error?.message
            : namespaces.error
              ? `Namespaces could not be loaded: ${namespaces.error.message}`
              : undefined
        }
        onChange={({ selectedItems }) => {
          setScope(selectedItems);
          if (create.error) create.reset();
        }}
      />
    </FormModal>
  );
}

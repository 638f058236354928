import { InlineNotification, Modal, Select, SelectItem, TextInput } from '@carbon/react';
import { useState } from 'react';
import type { NamespaceSummary } from '@berth/contract';
import type { ApiError } from '../../api/client';
import { useCreateNamespace } from '../../api/namespaces';
import { useRegion } from '../../app/RegionProvider';

interface CreateNamespaceModalProps {
  onClose: () => void;
  onCreated: (namespace: NamespaceSummary) => void;
}

const NAME_RULE = '4–30 characters: lowercase letters, digits, - and _';

/** Which field a 400/409 answer is about, so its message can sit under that field. */
function fieldOf(error: ApiError): 'name' | 'region' {
  const text = `${error.code} ${JSON.stringify(error.details ?? {})}`.toLowerCase();
  return text.includes('region') ? 'region' : 'name';
}

export function CreateNamespaceModal({ onClose, onCreated }: CreateNamespaceModalProps) {
  const { region: currentRegion, regions } = useRegion();
  const [name, setName] = useState('');
  const [region, setRegion] = useState(currentRegion ?? '');
  const create = useCreateNamespace();
  const error = create.error;
  const fieldError =
    error && (error.status === 400 || error.status === 409) ? fieldOf(error) : null;

  const submit = () => {
    if (create.isPending) return;
    create.mutate(
      { name: name.trim(), region },
      { onSuccess: (namespace) => onCreated(namespace) },
    );
  };

  return (
    <Modal
      open
      modalHeading="Create namespace"
      primaryButtonText={create.isPending ? 'Creating…' : 'Create namespace'}
      secondaryButtonText="Cancel"
      primaryButtonDisabled={create.isPending || name.trim() === ''}
      onRequestClose={onClose}
      onRequestSubmit={submit}
      size="sm"
    >
      <form
        className="berth-modal-body"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <TextInput
          id="namespace-name"
          data-modal-primary-focus
          labelText="Name"
          helperText={NAME_RULE}
          autoComplete="off"
          spellCheck={false}
          value={name}
          invalid={fieldError === 'name'}
          invalidText={fieldError === 'name' ? error?.message : undefined}
          onChange={(event) => {
            setName(event.target.value);
            if (create.error) create.reset();
          }}
        />
        <Select
          id="namespace-region"
          labelText="Region"
          value={region}
          invalid={fieldError === 'region'}
          invalidText={fieldError === 'region' ? error?.message : undefined}
          onChange={(event) => setRegion(event.target.value)}
        >
          {regions.map((r) => (
            <SelectItem key={r.name} value={r.name} text={r.name} />
          ))}
        </Select>
        {error && fieldError === null ? (
          <InlineNotification
            kind="error"
            lowContrast
            hideCloseButton
            title="Namespace not created"
            subtitle={error.message}
          />
        ) : null}
        {/* Lets Enter in the name field submit the form. */}
        <button type="submit" hidden aria-hidden tabIndex={-1} />
      </form>
    </Modal>
  );
}

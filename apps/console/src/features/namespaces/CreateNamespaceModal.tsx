import { TextInput } from '@carbon/react';
import { useState } from 'react';
import type { NamespaceSummary } from '@berth/contract';
import type { ApiError } from '../../api/client';
import { useCreateNamespace } from '../../api/namespaces';
import { useRegion } from '../../app/RegionProvider';
import { FormModal } from '../../components/FormModal';
import { RegionSelect } from '../../components/RegionSelect';

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
  const { region: currentRegion } = useRegion();
  const [name, setName] = useState('');
  const [region, setRegion] = useState(currentRegion ?? '');
  const create = useCreateNamespace();
  const error = create.error;
  const fieldError =
    error && (error.status === 400 || error.status === 409) ? fieldOf(error) : null;

  const submit = () => {
    create.mutate(
      { name: name.trim(), region },
      { onSuccess: (namespace) => onCreated(namespace) },
    );
  };

  return (
    <FormModal
      heading="Create namespace"
      submitText="Create namespace"
      pendingText="Creating…"
      isPending={create.isPending}
      submitDisabled={name.trim() === ''}
      formError={fieldError === null ? error : null}
      formErrorTitle="Namespace not created"
      onSubmit={submit}
      onClose={onClose}
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
      <RegionSelect
        id="namespace-region"
        value={region}
        error={fieldError === 'region' ? error?.message : undefined}
        onChange={setRegion}
      />
    </FormModal>
  );
}

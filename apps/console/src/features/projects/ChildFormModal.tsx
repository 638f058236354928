import { TextInput } from '@carbon/react';
import type { ProjectSummary } from '@berth/contract';
import { FormModal, type FormModalProps } from '../../components/FormModal';

type ChildFormModalProps = Omit<
  FormModalProps,
  'context' | 'pendingText' | 'size' | 'hasScrollingContent' | 'className'
> & { project: ProjectSummary };

/**
 * The modal and form around creating or editing one thing in a project: an app, a job, a
 * secret or a config map. Their forms run long, so the modal is wider and scrolls.
 */
export function ChildFormModal({ project, ...props }: ChildFormModalProps) {
  return (
    <FormModal
      {...props}
      context={`Project ${project.name}`}
      pendingText="Saving…"
      size="md"
      hasScrollingContent
      className="berth-form"
    />
  );
}

interface ChildNameInputProps {
  id: string;
  /** Editing shows the name read-only: it is how the API addresses the item. */
  creating: boolean;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}

/** The name field of a child form; it takes the modal's first focus when creating. */
export function ChildNameInput({ id, creating, value, error, onChange }: ChildNameInputProps) {
  return (
    <TextInput
      id={id}
      data-modal-primary-focus={creating ? true : undefined}
      labelText="Name"
      helperText={
        creating
          ? 'Lowercase letters, digits and -, up to 63 characters'
          : 'The name cannot be changed.'
      }
      autoComplete="off"
      spellCheck={false}
      readOnly={!creating}
      value={value}
      invalid={!!error}
      invalidText={error}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

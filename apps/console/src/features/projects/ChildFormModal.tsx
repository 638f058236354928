import { InlineNotification, Modal, TextInput } from '@carbon/react';
import type { ProjectSummary } from '@berth/contract';
import type { ReactNode } from 'react';
import type { ApiError } from '../../api/client';

interface ChildFormModalProps {
  project: ProjectSummary;
  heading: string;
  /** The primary button's text while not saving: "Create secret", "Save", "Replace values". */
  submitText: string;
  isPending: boolean;
  onSubmit: () => void;
  onClose: () => void;
  /** A failed save that no field shows: it goes under the form, with this title. */
  formError: ApiError | null;
  formErrorTitle: string;
  /** "off" keeps the browser from offering remembered values, as for secrets. */
  autoComplete?: 'off';
  children: ReactNode;
}

/**
 * The modal and form around creating or editing one thing in a project: an app, a job, a
 * secret or a config map. A click outside does not close it, so typed values are not lost.
 */
export function ChildFormModal({
  project,
  heading,
  submitText,
  isPending,
  onSubmit,
  onClose,
  formError,
  formErrorTitle,
  autoComplete,
  children,
}: ChildFormModalProps) {
  // Enter in a field submits the form even while the primary button is disabled.
  const submit = () => {
    if (!isPending) onSubmit();
  };
  return (
    <Modal
      open
      size="md"
      hasScrollingContent
      modalHeading={heading}
      primaryButtonText={isPending ? 'Saving…' : submitText}
      secondaryButtonText="Cancel"
      primaryButtonDisabled={isPending}
      preventCloseOnClickOutside
      // Enter goes through the form's submit button instead, so that in a text area it
      // starts a new line rather than saving.
      shouldSubmitOnEnter={false}
      onRequestClose={onClose}
      onRequestSubmit={submit}
    >
      <form
        className="berth-modal-body berth-form"
        noValidate
        autoComplete={autoComplete}
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <p className="berth-modal-context">Project {project.name}</p>
        {children}
        {formError ? (
          <InlineNotification
            kind="error"
            lowContrast
            hideCloseButton
            title={formErrorTitle}
            subtitle={formError.message}
          />
        ) : null}
        {/* Lets Enter in a single-line field submit the form. */}
        <button type="submit" hidden aria-hidden tabIndex={-1} />
      </form>
    </Modal>
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

import { InlineNotification, Modal } from '@carbon/react';
import type { ReactNode } from 'react';

export interface FormModalProps {
  heading: string;
  /** Where the change applies, such as "Project shop": a quiet line above the fields. */
  context?: string;
  /** The primary button's text while not saving: "Create user", "Save". */
  submitText: string;
  /** The primary button's text while saving: "Creating…", "Saving…". */
  pendingText: string;
  isPending: boolean;
  /** Disables the primary button beyond saving, say while nothing has changed yet. */
  submitDisabled?: boolean;
  danger?: boolean;
  size?: 'sm' | 'md';
  /** Long forms scroll inside the modal rather than pushing its buttons off screen. */
  hasScrollingContent?: boolean;
  /** Added to the form's own class, for layouts such as berth-form. */
  className?: string;
  /** "off" keeps the browser from offering remembered values, as for secrets. */
  autoComplete?: 'off';
  /** A failed save that no field shows: it goes under the fields, with this title. */
  formError?: { message: string } | null;
  formErrorTitle?: string;
  onSubmit: () => void;
  onClose: () => void;
  children: ReactNode;
}

/**
 * The modal and form around creating or changing one thing. A click outside does not close
 * it, so typed values are not lost; Enter in a field submits, as the button does.
 */
export function FormModal({
  heading,
  context,
  submitText,
  pendingText,
  isPending,
  submitDisabled = false,
  danger,
  size = 'sm',
  hasScrollingContent,
  className,
  autoComplete,
  formError,
  formErrorTitle,
  onSubmit,
  onClose,
  children,
}: FormModalProps) {
  // Enter in a field submits the form even while the primary button is disabled.
  const submit = () => {
    if (!isPending) onSubmit();
  };
  return (
    <Modal
      open
      size={size}
      danger={danger}
      hasScrollingContent={hasScrollingContent}
      modalHeading={heading}
      primaryButtonText={isPending ? pendingText : submitText}
      secondaryButtonText="Cancel"
      primaryButtonDisabled={isPending || submitDisabled}
      preventCloseOnClickOutside
      // Enter goes through the form's submit button instead, so that in a text area it
      // starts a new line rather than saving.
      shouldSubmitOnEnter={false}
      onRequestClose={onClose}
      onRequestSubmit={submit}
    >
      <form
        className={className ? `berth-modal-body ${className}` : 'berth-modal-body'}
        noValidate
        autoComplete={autoComplete}
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        {context ? <p className="berth-modal-context">{context}</p> : null}
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

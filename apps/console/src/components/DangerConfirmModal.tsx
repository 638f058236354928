import { InlineNotification, Modal, TextInput } from '@carbon/react';
import { useId, useState, type ReactNode } from 'react';
import type { ApiError } from '../api/client';

interface DangerConfirmModalProps {
  title: string;
  label?: string;
  primaryText: string;
  onConfirm: () => void;
  onClose: () => void;
  isPending: boolean;
  error: ApiError | null;
  children: ReactNode;
  /** Irreversible actions ask for this exact text before the button is enabled. */
  confirmationText?: string;
  /** For example: the preview that the confirmation describes is still loading. */
  primaryDisabled?: boolean;
  danger?: boolean;
}

/**
 * Mounted only while open, so a typed confirmation never survives into the next delete.
 */
export function DangerConfirmModal({
  title,
  label,
  primaryText,
  onConfirm,
  onClose,
  isPending,
  error,
  children,
  confirmationText,
  primaryDisabled = false,
  danger = true,
}: DangerConfirmModalProps) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const confirmed = confirmationText === undefined || typed === confirmationText;
  const disabled = primaryDisabled || !confirmed || isPending;

  return (
    <Modal
      open
      danger={danger}
      size="sm"
      modalHeading={title}
      // Carbon names the dialog after modalLabel when there is one; the title is the
      // better accessible name, so the label is shown inside the body instead.
      primaryButtonText={isPending ? 'Working…' : primaryText}
      secondaryButtonText="Cancel"
      primaryButtonDisabled={disabled}
      preventCloseOnClickOutside
      shouldSubmitOnEnter={false}
      onRequestClose={() => {
        if (!isPending) onClose();
      }}
      onRequestSubmit={() => {
        if (!disabled) onConfirm();
      }}
    >
      <div className="berth-modal-body">
        {label ? <p className="berth-modal-context">{label}</p> : null}
        {children}
        {confirmationText !== undefined ? (
          <TextInput
            id={inputId}
            data-modal-primary-focus
            labelText={
              <>
                Type <strong>{confirmationText}</strong> to confirm
              </>
            }
            autoComplete="off"
            spellCheck={false}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && !disabled) onConfirm();
            }}
          />
        ) : null}
        {error ? (
          <InlineNotification
            kind="error"
            lowContrast
            hideCloseButton
            title="Not done"
            subtitle={error.message}
          />
        ) : null}
      </div>
    </Modal>
  );
}

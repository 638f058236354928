import { InlineNotification, Modal } from '@carbon/react';
import type { User } from '@berth/contract';
import { checkPassword } from '@berth/domain';
import { useState } from 'react';
import { useUpdateUser } from '../../api/users';
import { ruleViolation } from '../../lib/check-rule';
import { useReturnFocus } from '../../lib/use-return-focus';
import { TemporaryPasswordField } from './TemporaryPasswordField';
import { temporaryPassword } from './temporary-password';

interface ResetPasswordModalProps {
  user: User;
  onClose: () => void;
  onReset: (user: User) => void;
}

/** A reset is a new temporary password: every session of the user ends at once. */
export function ResetPasswordModal({ user, onClose, onReset }: ResetPasswordModalProps) {
  useReturnFocus();
  const update = useUpdateUser();
  const [password, setPassword] = useState(temporaryPassword);
  const [submitted, setSubmitted] = useState(false);
  const error = update.error;
  const passwordError =
    (submitted ? ruleViolation(() => checkPassword(password, user.username)) : null) ??
    (error?.code === 'WEAK_PASSWORD' ? error.message : null);

  const submit = () => {
    if (update.isPending) return;
    setSubmitted(true);
    if (ruleViolation(() => checkPassword(password, user.username)) !== null) return;
    update.mutate({ username: user.username, body: { password } }, { onSuccess: onReset });
  };

  return (
    <Modal
      open
      size="sm"
      danger
      modalHeading={`Reset the password of ${user.username}?`}
      primaryButtonText={update.isPending ? 'Resetting…' : 'Reset password'}
      secondaryButtonText="Cancel"
      primaryButtonDisabled={update.isPending}
      preventCloseOnClickOutside
      onRequestClose={onClose}
      onRequestSubmit={submit}
    >
      <form
        className="berth-modal-body"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <p>
          <strong>{user.username}</strong> is signed out everywhere at once and must choose a new
          password when they next sign in with this temporary one.
        </p>
        <TemporaryPasswordField
          value={password}
          error={passwordError}
          onChange={(value) => {
            setPassword(value);
            if (update.error) update.reset();
          }}
        />
        {error && error.code !== 'WEAK_PASSWORD' ? (
          <InlineNotification
            kind="error"
            lowContrast
            hideCloseButton
            title="Password not reset"
            subtitle={error.message}
          />
        ) : null}
        <button type="submit" hidden aria-hidden tabIndex={-1} />
      </form>
    </Modal>
  );
}

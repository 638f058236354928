import type { User } from '@berth/contract';
import { checkPassword } from '@berth/domain';
import { useState } from 'react';
import { useUpdateUser } from '../../api/users';
import { FormModal } from '../../components/FormModal';
import { ruleViolation } from '../../lib/check-rule';
import { TemporaryPasswordField } from './TemporaryPasswordField';
import { temporaryPassword } from './temporary-password';

interface ResetPasswordModalProps {
  user: User;
  onClose: () => void;
  onReset: (user: User) => void;
}

/** A reset is a new temporary password: every session of the user ends at once. */
export function ResetPasswordModal({ user, onClose, onReset }: ResetPasswordModalProps) {
  const update = useUpdateUser();
  const [password, setPassword] = useState(temporaryPassword);
  const [submitted, setSubmitted] = useState(false);
  const error = update.error;
  const passwordError =
    (submitted ? ruleViolation(() => checkPassword(password, user.username)) : null) ??
    (error?.code === 'WEAK_PASSWORD' ? error.message : null);

  const submit = () => {
    setSubmitted(true);
    if (ruleViolation(() => checkPassword(password, user.username)) !== null) return;
    update.mutate({ username: user.username, body: { password } }, { onSuccess: onReset });
  };

  return (
    <FormModal
      danger
      heading={`Reset the password of ${user.username}?`}
      submitText="Reset password"
      pendingText="Resetting…"
      isPending={update.isPending}
      formError={error?.code === 'WEAK_PASSWORD' ? null : error}
      formErrorTitle="Password not reset"
      onSubmit={submit}
      onClose={onClose}
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
    </FormModal>
  );
}

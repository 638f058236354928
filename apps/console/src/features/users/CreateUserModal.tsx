import { Checkbox } from '@carbon/react';
import type { User } from '@berth/contract';
import { checkPassword, checkUsername } from '@berth/domain';
import { useState } from 'react';
import { useCreateUser } from '../../api/users';
import { FormModal } from '../../components/FormModal';
import { UsernameInput } from '../../components/UsernameInput';
import { ruleViolation } from '../../lib/check-rule';
import { fieldOfError } from '../../lib/form-errors';
import { TemporaryPasswordField } from './TemporaryPasswordField';
import { temporaryPassword } from './temporary-password';

interface CreateUserModalProps {
  onClose: () => void;
  onCreated: (user: User) => void;
}

export function CreateUserModal({ onClose, onCreated }: CreateUserModalProps) {
  const create = useCreateUser();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState(temporaryPassword);
  const [admin, setAdmin] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const error = create.error;
  const serverField = fieldOfError(error, { username: ['user', 'name'], password: [] });
  const trimmed = username.trim();
  const usernameError =
    (submitted ? ruleViolation(() => checkUsername(trimmed)) : null) ??
    (serverField === 'username' || error?.status === 409 ? (error?.message ?? null) : null);
  const passwordError =
    (submitted ? ruleViolation(() => checkPassword(password, trimmed)) : null) ??
    (serverField === 'password' || error?.code === 'WEAK_PASSWORD'
      ? (error?.message ?? null)
      : null);
  const formError = usernameError === null && passwordError === null ? error : null;

  const submit = () => {
    setSubmitted(true);
    if (ruleViolation(() => checkUsername(trimmed)) !== null) {
      document.getElementById('user-username')?.focus();
      return;
    }
    if (ruleViolation(() => checkPassword(password, trimmed)) !== null) {
      document.getElementById('user-temporary-password')?.focus();
      return;
    }
    create.mutate({ username: trimmed, password, admin }, { onSuccess: onCreated });
  };

  const edited = () => {
    if (create.error) create.reset();
  };

  return (
    <FormModal
      heading="Create user"
      submitText="Create user"
      pendingText="Creating…"
      isPending={create.isPending}
      formError={formError}
      formErrorTitle="User not created"
      onSubmit={submit}
      onClose={onClose}
    >
      <p>
        Give the new person their username and this temporary password over a channel you trust.
        They must choose their own password the first time they sign in.
      </p>
      <UsernameInput
        id="user-username"
        helperText="2–64 characters: lowercase letters, digits, “.”, “_” and “-”."
        value={username}
        error={usernameError}
        onChange={(value) => {
          setUsername(value);
          edited();
        }}
      />
      <TemporaryPasswordField
        value={password}
        error={passwordError}
        onChange={(value) => {
          setPassword(value);
          edited();
        }}
      />
      <Checkbox
        id="user-admin"
        labelText="Administrator"
        helperText="Manager of every namespace and project; creates namespaces, projects and users; reads the audit log."
        checked={admin}
        onChange={(_event, { checked }) => setAdmin(checked)}
      />
    </FormModal>
  );
}

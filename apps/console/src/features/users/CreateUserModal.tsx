import { Checkbox, InlineNotification, Modal, TextInput } from '@carbon/react';
import type { User } from '@berth/contract';
import { checkPassword, checkUsername } from '@berth/domain';
import { useState } from 'react';
import { useCreateUser } from '../../api/users';
import { ruleViolation } from '../../lib/check-rule';
import { fieldOfError } from '../../lib/form-errors';
import { useReturnFocus } from '../../lib/use-return-focus';
import { TemporaryPasswordField } from './TemporaryPasswordField';
import { temporaryPassword } from './temporary-password';

interface CreateUserModalProps {
  onClose: () => void;
  onCreated: (user: User) => void;
}

export function CreateUserModal({ onClose, onCreated }: CreateUserModalProps) {
  useReturnFocus();
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
  const formError =
    error && usernameError === null && passwordError === null ? error.message : null;

  const submit = () => {
    if (create.isPending) return;
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
    <Modal
      open
      size="sm"
      modalHeading="Create user"
      primaryButtonText={create.isPending ? 'Creating…' : 'Create user'}
      secondaryButtonText="Cancel"
      primaryButtonDisabled={create.isPending}
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
          Give the new person their username and this temporary password over a channel you trust.
          They must choose their own password the first time they sign in.
        </p>
        <TextInput
          id="user-username"
          data-modal-primary-focus
          labelText="Username"
          helperText="2–64 characters: lowercase letters, digits, “.”, “_” and “-”."
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          invalid={usernameError !== null}
          invalidText={usernameError ?? undefined}
          onChange={(event) => {
            setUsername(event.target.value);
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
        {formError ? (
          <InlineNotification
            kind="error"
            lowContrast
            hideCloseButton
            title="User not created"
            subtitle={formError}
          />
        ) : null}
        {/* Lets Enter in a field submit the form. */}
        <button type="submit" hidden aria-hidden tabIndex={-1} />
      </form>
    </Modal>
  );
}

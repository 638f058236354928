import { Button, Form, InlineNotification, PasswordInput, Stack } from '@carbon/react';
import { PASSWORD_MIN, checkPassword } from '@berth/domain';
import { useState } from 'react';
import { useChangePassword } from '../../api/session';
import { ruleViolation } from '../../lib/check-rule';

interface ChangePasswordFormProps {
  username: string;
  onChanged: () => void;
}

type Field = 'current' | 'next' | 'confirm';

/**
 * The rules are the server's own (domain checkPassword), checked before sending; a wrong
 * current password is the server's answer and sits under that field.
 */
export function ChangePasswordForm({ username, onChanged }: ChangePasswordFormProps) {
  const change = useChangePassword();
  const [values, setValues] = useState<Record<Field, string>>({
    current: '',
    next: '',
    confirm: '',
  });
  const [submitted, setSubmitted] = useState(false);
  const error = change.error;

  const errors: Record<Field, string | null> = {
    current:
      error?.code === 'INVALID_CREDENTIALS'
        ? 'This is not your current password.'
        : submitted && values.current === ''
          ? 'Enter your current password.'
          : null,
    next:
      error?.code === 'WEAK_PASSWORD'
        ? error.message
        : submitted
          ? ruleViolation(() => checkPassword(values.next, username))
          : null,
    confirm: submitted && values.confirm !== values.next ? 'The two new passwords differ.' : null,
  };
  const formError = error && !['INVALID_CREDENTIALS', 'WEAK_PASSWORD'].includes(error.code);

  const set = (field: Field, value: string) => {
    setValues((current) => ({ ...current, [field]: value }));
    if (change.error) change.reset();
  };

  const submit = () => {
    if (change.isPending) return;
    setSubmitted(true);
    const invalid =
      values.current === '' ||
      ruleViolation(() => checkPassword(values.next, username)) !== null ||
      values.confirm !== values.next;
    if (invalid) return;
    change.mutate(
      { currentPassword: values.current, newPassword: values.next },
      {
        onSuccess: () => {
          setValues({ current: '', next: '', confirm: '' });
          setSubmitted(false);
          onChanged();
        },
      },
    );
  };

  return (
    <Form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <Stack gap={6}>
        {/* Tells password managers which account this is for. */}
        <input type="text" hidden readOnly autoComplete="username" value={username} />
        <PasswordInput
          id="password-current"
          labelText="Current password"
          autoComplete="current-password"
          value={values.current}
          invalid={errors.current !== null}
          invalidText={errors.current ?? undefined}
          onChange={(event) => set('current', event.target.value)}
        />
        <PasswordInput
          id="password-new"
          labelText="New password"
          helperText={`At least ${PASSWORD_MIN} characters, without your username. A few unrelated words make a strong one.`}
          autoComplete="new-password"
          value={values.next}
          invalid={errors.next !== null}
          invalidText={errors.next ?? undefined}
          onChange={(event) => set('next', event.target.value)}
        />
        <PasswordInput
          id="password-confirm"
          labelText="New password again"
          autoComplete="new-password"
          value={values.confirm}
          invalid={errors.confirm !== null}
          invalidText={errors.confirm ?? undefined}
          onChange={(event) => set('confirm', event.target.value)}
        />
        {formError ? (
          <InlineNotification
            kind="error"
            lowContrast
            hideCloseButton
            role="alert"
            title="Password not changed"
            subtitle={error.message}
          />
        ) : null}
        <div>
          <Button type="submit" disabled={change.isPending}>
            {change.isPending ? 'Changing…' : 'Change password'}
          </Button>
        </div>
      </Stack>
    </Form>
  );
}

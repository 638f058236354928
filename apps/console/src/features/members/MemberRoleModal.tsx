import { RadioButton, RadioButtonGroup } from '@carbon/react';
import { checkUsername } from '@berth/domain';
import { useState } from 'react';
import type { ApiError } from '../../api/client';
import { FormModal } from '../../components/FormModal';
import { UsernameInput } from '../../components/UsernameInput';
import { ruleViolation } from '../../lib/check-rule';
import type { RoleOption } from './roles';

interface MemberRoleModalProps<R extends string> {
  /** "demo-shop" or "project shop": where the member gets the role. */
  where: string;
  roles: RoleOption<R>[];
  /** Changing an existing member's role: the username is fixed. Absent: adding someone. */
  member?: { username: string; role: R };
  isPending: boolean;
  error: ApiError | null;
  onSubmit: (username: string, role: R) => void;
  onClose: () => void;
  onEdit: () => void;
}

/** Adding a member and changing a role are one API call (PUT), and one form. */
export function MemberRoleModal<R extends string>({
  where,
  roles,
  member,
  isPending,
  error,
  onSubmit,
  onClose,
  onEdit,
}: MemberRoleModalProps<R>) {
  const [username, setUsername] = useState(member?.username ?? '');
  const [role, setRole] = useState<R | undefined>(member?.role ?? roles[0]?.value);
  const [submitted, setSubmitted] = useState(false);
  const trimmed = username.trim();
  const usernameError =
    error?.code === 'USER_UNKNOWN'
      ? `There is no user ${trimmed}. An administrator creates accounts on the Users page.`
      : submitted && !member
        ? ruleViolation(() => checkUsername(trimmed))
        : null;
  const formError = error && error.code !== 'USER_UNKNOWN' ? error : null;

  const submit = () => {
    if (role === undefined) return;
    setSubmitted(true);
    if (!member && ruleViolation(() => checkUsername(trimmed)) !== null) {
      document.getElementById('member-username')?.focus();
      return;
    }
    onSubmit(trimmed, role);
  };

  return (
    <FormModal
      heading={member ? `Change the role of ${member.username}` : 'Add member'}
      context={where}
      submitText={member ? 'Change role' : 'Add member'}
      pendingText="Saving…"
      isPending={isPending}
      submitDisabled={member !== undefined && role === member.role}
      formError={formError}
      formErrorTitle={member ? 'Role not changed' : 'Member not added'}
      onSubmit={submit}
      onClose={onClose}
    >
      {member ? null : (
        <UsernameInput
          id="member-username"
          helperText="The account must exist already."
          value={username}
          error={usernameError}
          onChange={(value) => {
            setUsername(value);
            onEdit();
          }}
        />
      )}
      <RadioButtonGroup
        legendText="Role"
        name="member-role"
        orientation="vertical"
        valueSelected={role}
        onChange={(value) => {
          setRole(value as R);
          onEdit();
        }}
      >
        {roles.map((option) => (
          <RadioButton
            key={option.value}
            id={`member-role-${option.value}`}
            value={option.value}
            labelText={
              <span className="berth-role-option">
                <strong>{option.label}</strong>
                <span className="berth-muted">{option.description}</span>
              </span>
            }
          />
        ))}
      </RadioButtonGroup>
    </FormModal>
  );
}

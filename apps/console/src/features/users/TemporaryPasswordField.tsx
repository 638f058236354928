import { Button, TextInput } from '@carbon/react';
import { Renew } from '@carbon/icons-react';
import { PASSWORD_MIN } from '@berth/domain';
import { CopyButton } from '../../components/CopyButton';
import { temporaryPassword } from './temporary-password';

interface TemporaryPasswordFieldProps {
  value: string;
  onChange: (value: string) => void;
  error: string | null;
}

/**
 * Shown in clear, not masked: the administrator has to pass it on, and it stops working at
 * the first sign-in, when its owner must choose their own.
 */
export function TemporaryPasswordField({ value, onChange, error }: TemporaryPasswordFieldProps) {
  return (
    <div className="berth-temp-password">
      <TextInput
        id="user-temporary-password"
        labelText="Temporary password"
        helperText={`At least ${PASSWORD_MIN} characters. They must change it when they first sign in with it.`}
        autoComplete="off"
        spellCheck={false}
        value={value}
        invalid={error !== null}
        invalidText={error ?? undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      <div className="berth-temp-password__actions">
        <Button
          kind="tertiary"
          size="md"
          renderIcon={Renew}
          onClick={() => onChange(temporaryPassword())}
        >
          Generate
        </Button>
        {value ? <CopyButton text={value} label="Copy temporary password" /> : null}
      </div>
    </div>
  );
}

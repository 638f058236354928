import { TextInput } from '@carbon/react';

interface UsernameInputProps {
  id: string;
  helperText: string;
  value: string;
  error: string | null;
  onChange: (value: string) => void;
}

/**
 * Someone else's username, typed by an administrator or manager: the first field of its
 * modal. The browser must not offer the typist's own login, nor capitalise or correct it.
 */
export function UsernameInput({ id, helperText, value, error, onChange }: UsernameInputProps) {
  return (
    <TextInput
      id={id}
      data-modal-primary-focus
      labelText="Username"
      helperText={helperText}
      autoComplete="off"
      autoCapitalize="none"
      spellCheck={false}
      value={value}
      invalid={error !== null}
      invalidText={error ?? undefined}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

import { useEffect } from 'react';

/**
 * For a filter that suggests names as someone types part of one: once the typing has settled
 * (`typed` is the debounced `text`) and it is one of `names` in full, it is applied as a
 * picked name would be. Not before: a name typed a moment ago must not come back after the
 * field was changed. Returns whether the typing has settled.
 */
export function useNameTypedInFull({
  text,
  typed,
  names,
  value,
  onChange,
}: {
  text: string;
  typed: string;
  names: readonly string[];
  value: string;
  onChange: (name: string) => void;
}): boolean {
  const settled = typed === text.trim();
  const exact = settled && names.includes(typed) ? typed : undefined;
  useEffect(() => {
    if (exact !== undefined && exact !== value) onChange(exact);
  }, [exact, value, onChange]);
  return settled;
}

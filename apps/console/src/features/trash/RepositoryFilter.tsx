import { ComboBox } from '@carbon/react';
import { useState } from 'react';
import { useTrashRepositories } from '../../api/trash';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { useNameTypedInFull } from '../../lib/use-name-typed-in-full';

interface RepositoryFilterProps {
  namespace: string;
  /** What the filter is set to: a full repository name, or '' for every repository. */
  value: string;
  onChange: (repository: string) => void;
}

/**
 * The trash's repository filter: type part of a name and pick from the repositories that have
 * images in this trash (a deleted repository is no longer in the repositories list, so the
 * trash asks its own). Part of a name only narrows the suggestions; the trash is filtered once
 * a repository is picked, or the text is one's full name.
 */
export function RepositoryFilter({ namespace, value, onChange }: RepositoryFilterProps) {
  const [text, setText] = useState(value);
  const typed = useDebouncedValue(text.trim());
  const suggestions = useTrashRepositories(namespace, typed);
  const names = suggestions.data?.items.map((r) => r.name) ?? [];
  useNameTypedInFull({ text, typed, names, value, onChange });
  return (
    <ComboBox<string>
      id="trash-repository"
      className="berth-repository-filter"
      titleText="Repository"
      placeholder="Any repository"
      helperText="Type part of a name, for example api"
      items={names}
      selectedItem={value === '' ? null : value}
      onInputChange={(next) => {
        setText(next);
        if (next.trim() === '' && value !== '') onChange('');
      }}
      onChange={({ selectedItem }) => {
        setText(selectedItem ?? '');
        onChange(selectedItem ?? '');
      }}
    />
  );
}

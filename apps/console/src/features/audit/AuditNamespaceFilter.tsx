import { ComboBox } from '@carbon/react';
import { useEffect, useState } from 'react';
import { useAllNamespaceOptions } from '../../api/namespaces';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { useNameTypedInFull } from '../../lib/use-name-typed-in-full';

interface AuditNamespaceFilterProps {
  /** The namespace the log is filtered to, '' for all. */
  value: string;
  onChange: (namespace: string) => void;
}

/**
 * The audit log's namespace filter: part of a name narrows the suggestions (the namespaces the
 * person can see), and the log is filtered once one is picked or typed in full. A namespace
 * deleted since is no longer suggested: its full name and Enter filter by it all the same.
 */
export function AuditNamespaceFilter({ value, onChange }: AuditNamespaceFilterProps) {
  const options = useAllNamespaceOptions();
  const names = options.data?.items.map((ns) => ns.name) ?? [];
  const [text, setText] = useState(value);
  const typed = useDebouncedValue(text.trim());
  const settled = useNameTypedInFull({ text, typed, names, value, onChange });
  // An emptied field, once settled, shows every namespace again.
  useEffect(() => {
    if (settled && typed === '' && value !== '') onChange('');
  }, [settled, typed, value, onChange]);
  return (
    // Enter on a name no suggestion holds: Carbon's input keeps its own key handlers, so the
    // key is read here, on its way down.
    <div
      className="berth-audit-namespace"
      onKeyDownCapture={(event) => {
        if (event.key === 'Enter' && text.trim() !== '' && !names.includes(text.trim())) {
          onChange(text.trim());
        }
      }}
    >
      <ComboBox<string>
        id="audit-namespace"
        titleText="Namespace"
        placeholder="Any namespace"
        helperText="Type part of a name; Enter for a deleted one"
        items={names}
        selectedItem={value === '' ? null : value}
        shouldFilterItem={({ item, inputValue }) =>
          !inputValue || item.toLowerCase().includes(inputValue.trim().toLowerCase())
        }
        onInputChange={setText}
        onChange={({ selectedItem }) => {
          setText(selectedItem ?? '');
          onChange(selectedItem ?? '');
        }}
      />
    </div>
  );
}

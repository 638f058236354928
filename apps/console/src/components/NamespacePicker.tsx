import { Dropdown, DropdownSkeleton } from '@carbon/react';
import { useNamespaceOptions } from '../api/namespaces';
import { useRegion } from '../app/RegionProvider';
import { ErrorNotification } from './ErrorNotification';

interface NamespacePickerProps {
  id: string;
  value: string;
  onChange: (namespace: string) => void;
}

/** Namespaces of the current region, for pages that work inside one namespace. */
export function NamespacePicker({ id, value, onChange }: NamespacePickerProps) {
  const { region } = useRegion();
  const options = useNamespaceOptions(region);
  if (options.error) {
    return (
      <ErrorNotification
        error={options.error}
        title="Namespaces could not be loaded"
        onRetry={() => void options.refetch()}
      />
    );
  }
  if (!options.data) return <DropdownSkeleton />;
  const names = options.data.items.map((ns) => ns.name);
  return (
    <Dropdown
      id={id}
      className="berth-namespace-picker"
      titleText="Namespace"
      label={names.length === 0 ? 'No namespaces in this region' : 'Choose a namespace'}
      items={names}
      selectedItem={names.includes(value) ? value : null}
      disabled={names.length === 0}
      onChange={({ selectedItem }) => {
        if (selectedItem) onChange(selectedItem);
      }}
    />
  );
}

/** The namespace a picker page should show: the one in the URL, else the first one. */
export function useDefaultNamespace(requested: string | null): {
  namespace: string | undefined;
  isPending: boolean;
} {
  const { region } = useRegion();
  const options = useNamespaceOptions(region);
  if (!options.data) return { namespace: undefined, isPending: !options.error };
  const names = options.data.items.map((ns) => ns.name);
  if (requested && names.includes(requested)) return { namespace: requested, isPending: false };
  return { namespace: names[0], isPending: false };
}

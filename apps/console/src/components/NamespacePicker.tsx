import { Dropdown, DropdownSkeleton } from '@carbon/react';
import { useEffect } from 'react';
import { useNamespaceOptions } from '../api/namespaces';
import { useRegion } from '../app/RegionProvider';
import {
  chooseNamespace,
  rememberNamespace,
  rememberedNamespace,
} from '../lib/remembered-namespace';
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

/**
 * The namespace a picker page should show (see chooseNamespace): the one in the URL if the
 * person can see it, else none and `notFound` names it; without one in the URL, the one they
 * were last in. What it shows is remembered for next time.
 */
export function useDefaultNamespace(requested: string | null): {
  namespace: string | undefined;
  notFound: string | null;
  isPending: boolean;
} {
  const { region } = useRegion();
  const options = useNamespaceOptions(region);
  const names = options.data?.items.map((ns) => ns.name);
  const choice = names
    ? chooseNamespace(names, requested, rememberedNamespace(region))
    : { namespace: undefined, notFound: null };
  const shown = choice.namespace;
  useEffect(() => {
    if (shown) rememberNamespace(region, shown);
  }, [region, shown]);
  if (!names) return { namespace: undefined, notFound: null, isPending: !options.error };
  return { ...choice, isPending: false };
}

/** Pages inside one namespace remember it, so the picker pages open on it next. */
export function useRememberNamespace(namespace: string, known: boolean): void {
  const { region } = useRegion();
  useEffect(() => {
    if (known) rememberNamespace(region, namespace);
  }, [region, namespace, known]);
}

/** What a picker page shows for a namespace in its address that the person cannot see. */
export function NamespaceNotFound({ namespace }: { namespace: string }) {
  return (
    <div className="berth-empty" role="status">
      <h2 className="berth-empty__title">Namespace not found</h2>
      <p className="berth-empty__body">
        There is no namespace {namespace} in this region, or you are not a member of it. Choose
        another namespace above, or switch region in the header.
      </p>
    </div>
  );
}

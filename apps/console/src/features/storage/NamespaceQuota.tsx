import { useNamespace } from '../../api/namespaces';
import { QuotaBar } from './QuotaBar';
import { quotaUse } from './quota-use';

interface NamespaceQuotaProps {
  namespace: string;
  /** What this page's actions do to the quota, said under the bar. */
  note?: string;
}

/**
 * The namespace's quota bar where the page's actions change what it counts (the namespace's
 * pages, retention, the trash). Nothing while the summary loads or when there is no quota: the
 * bar is a level, and a namespace without a limit has none to show.
 */
export function NamespaceQuota({ namespace, note }: NamespaceQuotaProps) {
  const { data } = useNamespace(namespace);
  const use = data ? quotaUse(data) : null;
  if (!data || !use) return null;
  return (
    <div className="berth-namespace-quota">
      <QuotaBar use={use} trashBytes={data.trashSizeBytes} label="Storage quota" note={note} />
    </div>
  );
}

import type { NamespaceSummary } from '@berth/contract';
import { pluralize } from '../../lib/format';
import { StorageChart, type StorageSeries } from '../storage/StorageChart';
import { CHART_TOP, largestWithOthers } from '../storage/storage-chart-data';

const SERIES: StorageSeries[] = [
  { name: 'Live images', kind: 'live' },
  { name: 'Trash', kind: 'trash' },
];

/**
 * Storage of the namespaces the list has loaded, live and trash stacked: the namespace list
 * has no size order, so the chart ranks what is on the page (and says when there is more).
 */
export function NamespacesStorageChart({
  namespaces,
  more,
}: {
  namespaces: NamespaceSummary[];
  more: boolean;
}) {
  if (namespaces.length < 2) return null;
  const bars = largestWithOthers(
    namespaces.map((ns) => ({ label: ns.name, values: [ns.sizeBytes, ns.trashSizeBytes] })),
    CHART_TOP,
  );
  const scope = more
    ? `The ${pluralize(namespaces.length, 'namespace')} loaded below; load more to include the rest.`
    : `${pluralize(namespaces.length, 'namespace')}, largest first.`;
  return (
    <StorageChart
      title="Storage per namespace"
      description={`${scope} Quotas count live images only, not the trash.`}
      nameHeader="Namespace"
      series={SERIES}
      bars={bars}
    />
  );
}

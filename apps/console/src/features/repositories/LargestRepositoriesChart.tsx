import type { NamespaceSummary } from '@berth/contract';
import { SkeletonText } from '@carbon/react';
import { useLargestRepositories } from '../../api/repositories';
import { ErrorNotification } from '../../components/ErrorNotification';
import { StorageChart } from '../storage/StorageChart';
import { CHART_TOP, topWithOthersFromTotals } from '../storage/storage-chart-data';

/**
 * The namespace's largest repositories and the rest as "others": one page of the list sorted
 * by size, and the remainder from the namespace's maintained totals.
 */
export function LargestRepositoriesChart({ summary }: { summary: NamespaceSummary }) {
  // One repository makes a chart of one bar; its size is in the table already.
  return summary.repositoryCount < 2 ? null : <Chart summary={summary} />;
}

function Chart({ summary }: { summary: NamespaceSummary }) {
  const largest = useLargestRepositories(summary.name, CHART_TOP);
  if (largest.error) {
    return (
      <ErrorNotification
        error={largest.error}
        title="The storage chart could not be loaded"
        onRetry={() => void largest.refetch()}
      />
    );
  }
  if (!largest.data) return <SkeletonText paragraph lineCount={3} width="32rem" />;
  const bars = topWithOthersFromTotals(
    largest.data.items.map((repo) => ({ label: repo.name, values: [repo.sizeBytes] })),
    { count: summary.repositoryCount, bytes: summary.sizeBytes },
  );
  return (
    <StorageChart
      title="Largest repositories"
      description={`Live images by size, largest first; past the ${CHART_TOP} largest, the rest as one bar. The trash is not included.`}
      nameHeader="Repository"
      series={[{ name: 'Size', kind: 'live' }]}
      bars={bars}
    />
  );
}

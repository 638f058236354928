import { DataTableSkeleton, SkeletonText } from '@carbon/react';

/** What the page looks like while its details load: header, summary, one table. */
export function ImageDetailsSkeleton() {
  return (
    <div aria-busy="true">
      <SkeletonText heading width="20rem" />
      <SkeletonText paragraph lineCount={4} width="32rem" />
      <DataTableSkeleton
        aria-label="Loading"
        columnCount={3}
        rowCount={3}
        showHeader={false}
        showToolbar={false}
      />
    </div>
  );
}

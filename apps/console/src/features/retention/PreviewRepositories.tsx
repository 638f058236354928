import {
  DataTableSkeleton,
  Pagination,
  TableBody,
  TableCell,
  TableContainer,
  TableExpandedRow,
  TableExpandRow,
  TableHead,
  TableHeader,
  TableRow,
  TableToolbar,
  TableToolbarContent,
  TableToolbarSearch,
} from '@carbon/react';
import type { RetentionPreview } from '@berth/contract';
import { Fragment, useState } from 'react';
import { useRetentionPreviewRepositories } from '../../api/retention';
import { ErrorNotification } from '../../components/ErrorNotification';
import { formatBytes, pluralize } from '../../lib/format';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { useToggleSet } from '../../lib/use-toggle-set';
import { PreviewItems } from './PreviewItems';
import { RetentionBar, RetentionLegend } from './RetentionBar';
import { StackingTable } from '../../components/StackingTable';
import { ExpandHeader } from '../../components/ExpandHeader';

const HEADERS = [
  'Repository',
  'Kept vs deleted',
  'Kept',
  'Protected',
  'To delete',
  'Size to delete',
];
const PAGE_SIZES = [10, 25, 50, 100];
const FIRST_PAGE_SIZE = 10;

/**
 * Every repository of the preview, most deletions first, a page at a time from the server (a
 * namespace may have tens of thousands); a repository's images load when it is opened.
 */
export function PreviewRepositories({
  namespace,
  preview,
}: {
  namespace: string;
  preview: RetentionPreview;
}) {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(FIRST_PAGE_SIZE);
  const [expanded, toggle] = useToggleSet<string>();
  const q = useDebouncedValue(search.trim().toLowerCase());
  const list = useRetentionPreviewRepositories(namespace, preview.id, {
    q,
    offset: (page - 1) * pageSize,
    limit: pageSize,
  });
  const shown = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  const expandHeaderId = `retention-expand-${preview.id}`;

  return (
    <div className="berth-preview-repositories">
      <h3 className="berth-subsection__title">Repositories</h3>
      <p className="berth-section__description">
        {pluralize(preview.totals.repositories, 'repository', 'repositories')}, most deletions
        first. Open one to see each image’s decision and why.
      </p>
      <RetentionLegend />
      <TableContainer>
        <TableToolbar aria-label="Preview repositories toolbar">
          <TableToolbarContent>
            <TableToolbarSearch
              persistent
              labelText="Search repositories in the preview"
              placeholder="Search repositories"
              onChange={(event) => {
                setSearch(typeof event === 'string' ? '' : event.target.value);
                setPage(1);
              }}
            />
          </TableToolbarContent>
        </TableToolbar>
        {list.isPending ? (
          <DataTableSkeleton
            columnCount={HEADERS.length + 1}
            rowCount={FIRST_PAGE_SIZE}
            showHeader={false}
            showToolbar={false}
            aria-label="Loading the preview's repositories"
          />
        ) : list.error ? (
          <ErrorNotification error={list.error} onRetry={() => void list.refetch()} />
        ) : total === 0 ? (
          <div className="berth-empty" role="status">
            <h3 className="berth-empty__title">
              {q === '' ? 'No repositories with images' : 'No matches'}
            </h3>
            <p className="berth-empty__body">
              {q === ''
                ? `${namespace} has no images yet, so there is nothing to keep or delete.`
                : `No repository in this preview contains “${q}”.`}
            </p>
          </div>
        ) : (
          <StackingTable aria-label={`Retention preview of ${namespace}`} size="md">
            <TableHead>
              <TableRow>
                <ExpandHeader id={expandHeaderId} label="Images" />
                {HEADERS.map((header) => (
                  <TableHeader key={header}>{header}</TableHeader>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {shown.map((repo) => {
                const isOpen = expanded.has(repo.name);
                const rowId = `retention-repo-${preview.id}-${repo.name}`;
                return (
                  <Fragment key={repo.name}>
                    <TableExpandRow
                      aria-label={`${isOpen ? 'Hide' : 'Show'} images of ${repo.name}`}
                      aria-controls={`${rowId}-images`}
                      expandHeader={expandHeaderId}
                      isExpanded={isOpen}
                      onExpand={() => toggle(repo.name)}
                    >
                      <TableCell>{repo.name}</TableCell>
                      <TableCell>
                        <RetentionBar counts={repo} />
                      </TableCell>
                      <TableCell>{repo.keep.toLocaleString()}</TableCell>
                      <TableCell>{repo.protected.toLocaleString()}</TableCell>
                      <TableCell>
                        <strong className={repo.delete > 0 ? 'berth-delete-count' : undefined}>
                          {repo.delete.toLocaleString()}
                        </strong>
                      </TableCell>
                      <TableCell>{repo.delete > 0 ? formatBytes(repo.deleteBytes) : '—'}</TableCell>
                    </TableExpandRow>
                    {isOpen ? (
                      <TableExpandedRow colSpan={HEADERS.length + 1} id={`${rowId}-images`}>
                        <PreviewItems
                          namespace={namespace}
                          previewId={preview.id}
                          repository={repo.name}
                        />
                      </TableExpandedRow>
                    ) : null}
                  </Fragment>
                );
              })}
            </TableBody>
          </StackingTable>
        )}
        {total > FIRST_PAGE_SIZE ? (
          <Pagination
            page={page}
            pageSize={pageSize}
            pageSizes={PAGE_SIZES}
            totalItems={total}
            itemsPerPageText="Repositories per page:"
            onChange={({ page: nextPage, pageSize: nextSize }) => {
              setPage(nextPage);
              setPageSize(nextSize);
            }}
          />
        ) : null}
      </TableContainer>
    </div>
  );
}

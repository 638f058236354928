import {
  DataTable,
  Pagination,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableHeader,
  TableRow,
  TableToolbar,
  TableToolbarContent,
  TableToolbarSearch,
} from '@carbon/react';
import { useMemo, useState, type ReactNode } from 'react';
import type { ApiError } from '../api/client';
import { ResourceTableState } from './ResourceTableState';
import { StackingTable } from './StackingTable';
import { ActionsHeader } from './ActionsHeader';

export interface Column<T> {
  key: string;
  header: string;
  /** What the column sorts by; a column without one is not sortable. */
  sortValue?: (item: T) => string | number;
  render: (item: T) => ReactNode;
  className?: string;
}

interface ClientTableProps<T> {
  /** Accessible name of the table, e.g. "Projects in us-south". */
  label: string;
  /** Undefined while loading. */
  items: readonly T[] | undefined;
  getId: (item: T) => string;
  columns: readonly Column<T>[];
  /** The last, unlabelled column: a row's menu or buttons. */
  rowActions?: (item: T) => ReactNode;
  search?: { label: string; matches: (item: T, query: string) => boolean };
  /** Buttons at the right of the toolbar, e.g. "Create". */
  toolbarActions?: ReactNode;
  isPending: boolean;
  error: ApiError | null;
  onRetry: () => void;
  emptyTitle: string;
  emptyBody: ReactNode;
  noMatchBody?: ReactNode;
  /** Tighter cells for a table with many columns, so it fits beside the side navigation. */
  dense?: boolean;
}

const PAGE_SIZES = [20, 50, 100];

/**
 * The same reference for as long as the value is equal: DataTable re-derives (and re-sorts)
 * its rows whenever the `rows` or `headers` reference changes, so fresh arrays on every
 * render would keep it busy.
 */
function useStable<T>(value: T): T {
  const key = JSON.stringify(value);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by content on purpose
  return useMemo(() => value, [key]);
}

/**
 * A table for lists the API returns whole (a region's projects, a project's apps): sorting,
 * search and paging happen here, and ResourceTableState owns loading, failure and emptiness.
 */
export function ClientTable<T>({
  label,
  items,
  getId,
  columns,
  rowActions,
  search,
  toolbarActions,
  isPending,
  error,
  onRetry,
  emptyTitle,
  emptyBody,
  noMatchBody,
  dense = false,
}: ClientTableProps<T>) {
  const [query, setQuery] = useState('');
  const [page, setPage] = useState({ number: 1, size: PAGE_SIZES[0] ?? 20 });
  const q = query.trim().toLowerCase();
  const shown = (items ?? []).filter((item) => !search || q === '' || search.matches(item, q));
  const byId = new Map(shown.map((item) => [getId(item), item]));
  // DataTable sorts by the cell values; the cells themselves are rendered from the item.
  const rows = useStable(
    shown.map((item) => {
      const row: Record<string, string | number> = { id: getId(item) };
      for (const column of columns) row[column.key] = column.sortValue?.(item) ?? '';
      return row as { id: string };
    }),
  );
  const headers = useStable(
    columns.map((column) => ({
      key: column.key,
      header: column.header,
      isSortable: column.sortValue !== undefined,
    })),
  );
  const pageCount = Math.max(1, Math.ceil(shown.length / page.size));
  const pageNumber = Math.min(page.number, pageCount);

  return (
    <DataTable rows={rows} headers={headers} isSortable size="md">
      {({ rows: sortedRows, headers: tableHeaders, getHeaderProps, getTableProps }) => {
        const visible = sortedRows.slice((pageNumber - 1) * page.size, pageNumber * page.size);
        return (
          <TableContainer>
            {search || toolbarActions ? (
              <TableToolbar aria-label={`${label} toolbar`}>
                <TableToolbarContent>
                  {search ? (
                    <TableToolbarSearch
                      persistent
                      labelText={search.label}
                      placeholder={search.label}
                      onChange={(event) => {
                        setQuery(typeof event === 'string' ? '' : event.target.value);
                        setPage((current) => ({ ...current, number: 1 }));
                      }}
                    />
                  ) : null}
                  {toolbarActions}
                </TableToolbarContent>
              </TableToolbar>
            ) : null}
            <ResourceTableState
              isPending={isPending}
              error={error}
              isEmpty={shown.length === 0}
              isFiltered={q !== '' && (items?.length ?? 0) > 0}
              columnCount={columns.length + (rowActions ? 1 : 0)}
              emptyTitle={emptyTitle}
              emptyBody={emptyBody}
              noMatchBody={noMatchBody}
              onRetry={onRetry}
            >
              <StackingTable
                {...getTableProps()}
                aria-label={label}
                className={dense ? 'berth-dense-table' : undefined}
              >
                <TableHead>
                  <TableRow>
                    {tableHeaders.map((header) => {
                      const { key, ...props } = getHeaderProps({ header });
                      return (
                        <TableHeader key={key} {...props}>
                          {header.header}
                        </TableHeader>
                      );
                    })}
                    {rowActions ? <ActionsHeader /> : null}
                  </TableRow>
                </TableHead>
                <TableBody>
                  {visible.map((row) => {
                    const item = byId.get(row.id);
                    if (item === undefined) return null;
                    return (
                      <TableRow key={row.id}>
                        {columns.map((column) => (
                          <TableCell key={column.key} className={column.className}>
                            {column.render(item)}
                          </TableCell>
                        ))}
                        {rowActions ? (
                          <TableCell className="berth-actions-cell">{rowActions(item)}</TableCell>
                        ) : null}
                      </TableRow>
                    );
                  })}
                </TableBody>
              </StackingTable>
              {shown.length > (PAGE_SIZES[0] ?? 20) ? (
                <Pagination
                  page={pageNumber}
                  pageSize={page.size}
                  pageSizes={PAGE_SIZES}
                  totalItems={shown.length}
                  onChange={({ page: number, pageSize: size }) => setPage({ number, size })}
                />
              ) : null}
            </ResourceTableState>
          </TableContainer>
        );
      }}
    </DataTable>
  );
}

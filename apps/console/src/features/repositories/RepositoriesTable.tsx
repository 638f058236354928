import {
  OverflowMenu,
  OverflowMenuItem,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableHeader,
  TableRow,
} from '@carbon/react';
import type { RepositorySort, RepositorySummary } from '@berth/contract';
import { useState } from 'react';
import { Link } from 'react-router';
import { useRepositoryList } from '../../api/repositories';
import { useNamespaceAccess } from '../../app/access';
import { routePaths } from '../../app/route-paths';
import { DateText } from '../../components/DateText';
import { LoadMore } from '../../components/LoadMore';
import { SelectAllCell, SelectRowCell } from '../../components/SelectionCells';
import { SelectionToolbar } from '../../components/SelectionToolbar';
import { ResourceTableState } from '../../components/ResourceTableState';
import { formatBytes, pushCommand } from '../../lib/format';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { useRowSelection } from '../../lib/use-row-selection';
import { useTableSort } from '../../lib/use-table-sort';
import { useOperations } from '../../app/OperationsProvider';
import { BeingDeletedTag } from '../operations/BeingDeletedTag';
import { repositoriesBeingDeleted, repositoriesBeingUndone } from '../operations/operation-targets';
import { OperationsInProgress } from '../operations/OperationsInProgress';
import { DeleteRepositoriesModal } from './DeleteRepositoriesModal';
import { useDeleteRepositoriesWithUndo } from './use-delete-repositories';
import { StackingTable } from '../../components/StackingTable';
import { ActionsHeader } from '../../components/ActionsHeader';
import { useRegistryHost } from '../../api/regions';

const COLUMNS: { key: RepositorySort; header: string; firstOrder: 'asc' | 'desc' }[] = [
  { key: 'name', header: 'Name', firstOrder: 'asc' },
  { key: 'imageCount', header: 'Images', firstOrder: 'desc' },
  { key: 'sizeBytes', header: 'Size', firstOrder: 'desc' },
  { key: 'lastPushedAt', header: 'Last pushed', firstOrder: 'desc' },
];

export function RepositoriesTable({ namespace }: { namespace: string }) {
  const host = useRegistryHost();
  // Viewers browse; deleting (one, or a selection) needs the writer role.
  const { canWrite } = useNamespaceAccess(namespace);
  const [search, setSearch] = useState('');
  const q = useDebouncedValue(search.trim());
  const { sort, headerProps } = useTableSort<RepositorySort>({ key: 'name', order: 'asc' });
  const [confirming, setConfirming] = useState<RepositorySummary[] | null>(null);
  const { followed } = useOperations();
  const beingDeleted = repositoriesBeingDeleted(followed, namespace);
  const beingUndone = repositoriesBeingUndone(followed, namespace);
  // The server lowers a repository's count as each chunk of its delete commits: shown as it goes.
  const list = useRepositoryList(
    namespace,
    { q, sort: sort.key, order: sort.order },
    { counting: beingDeleted.size > 0 },
  );
  const { deleteRepositories, remove, tellDeletedOperation, tellRestoredOperation } =
    useDeleteRepositoriesWithUndo(namespace);
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  // A repository a running delete is emptying cannot be picked for another delete.
  const selection = useRowSelection(
    rows.filter((row) => !beingDeleted.has(row.name)),
    (row) => row.name,
  );

  // A failure left from an earlier attempt must not show in the new confirmation.
  const askToDelete = (repositories: RepositorySummary[]) => {
    remove.reset();
    setConfirming(repositories);
  };

  const confirm = () => {
    if (!confirming) return;
    deleteRepositories(
      confirming.map((repo) => repo.name),
      () => {
        setConfirming(null);
        selection.clear();
      },
    );
  };

  return (
    <TableContainer>
      <OperationsInProgress
        namespace={namespace}
        kinds={['repository.delete', 'image.delete', 'trash.restore', 'namespace.delete']}
        onSucceeded={(finished) =>
          tellDeletedOperation(finished) || tellRestoredOperation(finished)
        }
      />
      <SelectionToolbar
        label="Repositories toolbar"
        searchLabel="Search repositories"
        searchPlaceholder="Search repositories"
        selection={selection}
        onDeleteSelected={canWrite ? askToDelete : undefined}
        onSearch={setSearch}
      />
      <ResourceTableState
        isPending={list.isPending}
        error={list.error}
        isEmpty={rows.length === 0}
        isFiltered={q !== ''}
        columnCount={COLUMNS.length + (canWrite ? 2 : 0)}
        emptyTitle="No repositories in this namespace"
        emptyBody={
          canWrite ? (
            <>
              <p>Push an image to create one, for example:</p>
              <pre className="berth-command">
                {pushCommand(host, `${namespace}/<repository>:<tag>`)}
              </pre>
            </>
          ) : (
            <p>Nothing has been pushed here yet. A writer or manager of {namespace} can push.</p>
          )
        }
        noMatchBody={`No repository in ${namespace} matches “${q}”.`}
        onRetry={() => void list.refetch()}
      >
        <StackingTable aria-label={`Repositories in ${namespace}`} size="md">
          <TableHead>
            <TableRow>
              {canWrite ? (
                <SelectAllCell
                  name="repositories-select-all"
                  label="Select all repositories"
                  selection={selection}
                />
              ) : null}
              {COLUMNS.map((column) => (
                <TableHeader key={column.key} {...headerProps(column.key, column.firstOrder)}>
                  {column.header}
                </TableHeader>
              ))}
              {canWrite ? <ActionsHeader /> : null}
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((repo, index) => (
              <TableRow key={repo.name} isSelected={selection.isSelected(repo)}>
                {canWrite ? (
                  <SelectRowCell
                    name={`repository-select-${index}`}
                    label={`Select ${repo.name}`}
                    selection={selection}
                    row={repo}
                    disabled={beingDeleted.has(repo.name)}
                  />
                ) : null}
                <TableCell>
                  <Link to={routePaths.images(namespace, repo.name)} className="cds--link">
                    {repo.name}
                  </Link>
                  {beingDeleted.has(repo.name) ? (
                    <BeingDeletedTag undoing={beingUndone.has(repo.name)} />
                  ) : null}
                </TableCell>
                <TableCell>
                  {beingDeleted.has(repo.name)
                    ? `${repo.imageCount.toLocaleString()} left`
                    : repo.imageCount.toLocaleString()}
                </TableCell>
                <TableCell>{formatBytes(repo.sizeBytes)}</TableCell>
                <TableCell>
                  <DateText iso={repo.lastPushedAt} />
                </TableCell>
                {canWrite ? (
                  <TableCell className="berth-actions-cell">
                    <OverflowMenu
                      size="sm"
                      flipped
                      aria-label={`Actions for ${repo.name}`}
                      iconDescription={`Actions for ${repo.name}`}
                    >
                      <OverflowMenuItem
                        itemText="Delete"
                        isDelete
                        disabled={beingDeleted.has(repo.name)}
                        onClick={() => askToDelete([repo])}
                      />
                    </OverflowMenu>
                  </TableCell>
                ) : null}
              </TableRow>
            ))}
          </TableBody>
        </StackingTable>
      </ResourceTableState>
      <LoadMore shown={rows.length} noun="repository" plural="repositories" list={list} />
      {confirming ? (
        <DeleteRepositoriesModal
          namespace={namespace}
          repositories={confirming}
          isPending={remove.isPending}
          error={remove.error}
          onConfirm={confirm}
          onClose={() => setConfirming(null)}
        />
      ) : null}
    </TableContainer>
  );
}

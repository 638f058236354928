import {
  ActionableNotification,
  Button,
  DismissibleTag,
  InlineNotification,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableHeader,
  TableRow,
  Tag,
  TextInput,
} from '@carbon/react';
import {
  restoreManyResult,
  retentionRunRestored,
  type Operation,
  type RestoreManyResult,
  type RestoreResult,
  type TrashItem,
} from '@berth/contract';
import { useState, type ReactNode } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import {
  useRestore,
  useRestoreRepository,
  useRestoreSelection,
  useTrashList,
} from '../../api/trash';
import { useRestoreRetentionRun } from '../../api/retention';
import { useNamespaceAccess } from '../../app/access';
import { routePaths } from '../../app/route-paths';
import { ErrorNotification } from '../../components/ErrorNotification';
import { TagList } from '../../components/TagList';
import { DateText } from '../../components/DateText';
import { LoadMore } from '../../components/LoadMore';
import { SelectAllCell, SelectRowCell } from '../../components/SelectionCells';
import {
  NamespaceNotFound,
  NamespacePicker,
  useDefaultNamespace,
} from '../../components/NamespacePicker';
import { PageHeader } from '../../components/PageHeader';
import { NamespaceQuota } from '../storage/NamespaceQuota';
import { ResourceTableState } from '../../components/ResourceTableState';
import {
  hasSkippedTags,
  RestoreManySummary,
  restoreManyTitle,
  RestoreSummary,
} from '../../components/RestoreSummary';
import { formatBytes, pluralize, shortDigest } from '../../lib/format';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { useRowSelection } from '../../lib/use-row-selection';
import { repositoriesWorkedOn, repositoryOf } from '../operations/operation-targets';
import { useOperations } from '../../app/OperationsProvider';
import { OperationsInProgress } from '../operations/OperationsInProgress';
import { tellResultOf, useBulkOutcome } from '../operations/use-bulk-outcome';
import { useRunRestoredToast } from '../retention/use-run-restored-toast';
import { RestoreTagModal } from './RestoreTagModal';
import { RepositoryFilter } from './RepositoryFilter';
import { TrashToolbar } from './TrashToolbar';
import { useRestoredManyToast } from './use-restored-many-toast';
import { StackingTable } from '../../components/StackingTable';
import { usePageTitle } from '../../lib/page-title';
import { ActionsHeader } from '../../components/ActionsHeader';
import { useToasts } from '../../app/ToastProvider';
import { trashedToastCovers } from '../../app/toast-rules';

const REASONS: Record<TrashItem['reason'], string> = {
  deleted: 'Deleted',
  'repository-deleted': 'Repository deleted',
  retention: 'Retention',
};

// "Time left", as Deleted projects say it: one term for how long something stays restorable.
const HEADERS = ['Image', 'Tags', 'Size', 'Deleted', 'Reason', 'Time left'];

function DaysLeft({ days }: { days: number }) {
  const text = days <= 0 ? 'expires today' : pluralize(days, 'day');
  return (
    <Tag size="sm" type={days <= 3 ? 'red' : 'gray'}>
      {text}
    </Tag>
  );
}

interface TrashTableProps {
  namespace: string;
  initialRepository: string;
  /** From `?retentionRun=`: only what that retention run deleted. */
  retentionRun: string;
  /** From `?q=`: images with a tag or digest that starts with it. */
  initialSearch: string;
  picker: ReactNode;
}

/** The last restore on this page: one image, or many (a selection, a repository). */
type RestoreOutcome =
  | { kind: 'one'; result: RestoreResult }
  | { kind: 'many'; what: string; result: RestoreManyResult };

/** Skipped tags listed on the page; a toast lists fewer. */
const LISTED_ON_PAGE = 50;

function RestoreOutcomeNotice({
  outcome,
  onOpen,
  onClose,
}: {
  outcome: RestoreOutcome;
  onOpen: (repository: string) => void;
  onClose: () => void;
}) {
  const close = () => {
    onClose();
    return false;
  };
  if (outcome.kind === 'one') {
    const { result } = outcome;
    return (
      <ActionableNotification
        inline
        hasFocus={false}
        closeOnEscape={false}
        kind={hasSkippedTags([result]) ? 'warning' : 'success'}
        lowContrast
        title={hasSkippedTags([result]) ? 'Image restored, some tags were not' : 'Image restored'}
        actionButtonLabel={`Open ${result.restored.repository}`}
        onActionButtonClick={() => onOpen(result.restored.repository)}
        onClose={close}
      >
        <RestoreSummary results={[result]} />
      </ActionableNotification>
    );
  }
  const { result, what } = outcome;
  const repositories = [...new Set(result.images.map((image) => image.repository))];
  const only = repositories.length === 1 ? repositories[0] : undefined;
  const kind = result.skippedTagCount > 0 ? 'warning' : 'success';
  const summary = <RestoreManySummary result={result} limit={LISTED_ON_PAGE} />;
  // Carbon's InlineNotification takes no interactive children; the action needs the other one.
  return only ? (
    <ActionableNotification
      inline
      hasFocus={false}
      closeOnEscape={false}
      kind={kind}
      lowContrast
      title={restoreManyTitle(result, what)}
      actionButtonLabel={`Open ${only}`}
      onActionButtonClick={() => onOpen(only)}
      onClose={close}
    >
      {summary}
    </ActionableNotification>
  ) : (
    <InlineNotification
      kind={kind}
      lowContrast
      title={restoreManyTitle(result, what)}
      onClose={close}
    >
      {summary}
    </InlineNotification>
  );
}

/** Why a filtered trash shows nothing, in words that say which filters are on. */
function noMatchText(f: {
  namespace: string;
  repository: string;
  retentionRun: string;
  q: string;
  unknownRepository: boolean;
}): string {
  if (f.unknownRepository) {
    return `${f.namespace} has nothing in the trash from a repository named “${f.repository}”. Pick one of the suggestions, or enter the full name, for example backend/api.`;
  }
  if (f.repository === '' && f.q === '') {
    return `Nothing that retention run #${f.retentionRun} deleted is in the trash any more: it was restored or purged.`;
  }
  const parts = [
    f.q ? `with a tag or digest starting “${f.q}”` : '',
    f.repository ? `from repository “${f.repository}”` : '',
    f.retentionRun ? `deleted by retention run #${f.retentionRun}` : '',
  ].filter(Boolean);
  return `Nothing ${parts.join(' ')} is in the trash of ${f.namespace}.`;
}

/** What the trash's search takes: the characters of tags and digests (trashSearchText). */
const SEARCHABLE = /^[A-Za-z0-9_.:-]{1,135}$/;

function TrashTable({
  namespace,
  initialRepository,
  initialSearch,
  retentionRun,
  picker,
}: TrashTableProps) {
  const [, setSearchParams] = useSearchParams();
  const navigate = useNavigate();
  const [repositoryInput, setRepositoryInput] = useState(initialRepository);
  const repository = useDebouncedValue(repositoryInput.trim());
  const [searchInput, setSearchInput] = useState(initialSearch);
  const typedSearch = useDebouncedValue(searchInput.trim());
  // Only what the server takes: anything else is said at the field, not sent.
  const searchInvalid = typedSearch !== '' && !SEARCHABLE.test(typedSearch);
  const q = searchInvalid ? '' : typedSearch;
  const list = useTrashList(namespace, { repository, retentionRun, q });
  // Filters live in the address, so a filtered trash can be linked to and survives a reload.
  const setParam = (name: string, value: string) =>
    setSearchParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  const restore = useRestore();
  const restoreSelection = useRestoreSelection();
  const restoreRepository = useRestoreRepository();
  const toasts = useToasts();
  const restoreRun = useRestoreRetentionRun();
  const settle = useBulkOutcome();
  const toastRestored = useRestoredManyToast(namespace);
  const toastRunRestored = useRunRestoredToast();
  // Restoring is a writer's action; viewers see what is in the trash and for how long.
  const { canWrite } = useNamespaceAccess(namespace);
  const headers = canWrite ? [...HEADERS, ''] : HEADERS;
  const [restoringTag, setRestoringTag] = useState<TrashItem | null>(null);
  const [lastResult, setLastResult] = useState<RestoreOutcome | null>(null);
  // The filter takes a full repository name; an unknown one is "no matches", not a failure.
  const unknownRepository = repository !== '' && list.error?.code === 'REPOSITORY_UNKNOWN';
  const rows = unknownRepository ? [] : (list.data?.pages.flatMap((page) => page.items) ?? []);
  // Rows are picked by trash entry; a new filter shows other rows, so it starts afresh.
  const selection = useRowSelection(rows, (item) => item.id);
  const bulkPending =
    restoreSelection.isPending || restoreRepository.isPending || restoreRun.isPending;
  const { followed } = useOperations();
  const restoringRepositories = repositoriesWorkedOn(followed, namespace, 'trash.restore');
  const restoringRun =
    retentionRun !== '' &&
    followed.some(
      (op) =>
        op.kind === 'retention.run.restore' &&
        op.namespace === namespace &&
        op.target === `retention run ${retentionRun}`,
    );
  const bulkError = restoreSelection.error ?? restoreRepository.error ?? restoreRun.error;

  // What is back must not be offered by an earlier "moved to the trash … Undo" toast.
  const forgetUndo = (restored: { repository: string; digest?: string }[]) =>
    toasts.dismissWhere((key) =>
      restored.some((item) => trashedToastCovers(key, { namespace, ...item })),
    );

  const done = (result: RestoreResult) => {
    forgetUndo([result.restored]);
    setLastResult({ kind: 'one', result });
    setRestoringTag(null);
  };

  const startBulk = () => {
    setLastResult(null);
    restoreSelection.reset();
    restoreRepository.reset();
    restoreRun.reset();
  };

  // A restore that became an operation ends later, perhaps after leaving this page: a toast
  // says so as well.
  const restoredMany =
    (what: string, accepted: boolean, repository?: string) => (result: RestoreManyResult) => {
      setLastResult({ kind: 'many', what, result });
      if (accepted) toastRestored(result, what, repository);
    };

  // A restore this page finds running (after a reload, or started elsewhere) ends as one
  // started here does; a run's restore as on the retention page.
  const tellFound = (finished: Operation) =>
    tellResultOf('trash.restore', restoreManyResult, (result, op) => {
      const repo = repositoryOf(op);
      restoredMany(`repository ${repo ?? op.target}`, true, repo ?? undefined)(result);
    })(finished) ||
    tellResultOf('retention.run.restore', retentionRunRestored, toastRunRestored)(finished);

  const restoreSelected = (items: TrashItem[]) => {
    startBulk();
    restoreSelection.mutate(
      {
        namespace,
        items: items.map(({ repository: repo, digest }) => ({ repository: repo, digest })),
      },
      {
        onSuccess: (answer) => {
          selection.clear();
          forgetUndo(items);
          const what = pluralize(items.length, 'selected image');
          settle(answer, restoreManyResult, restoredMany(what, answer.kind === 'accepted'));
        },
      },
    );
  };

  const restoreWholeRepository = (repo: string) => {
    startBulk();
    restoreRepository.mutate(
      { namespace, repository: repo },
      {
        onSuccess: (answer) => {
          selection.clear();
          forgetUndo([{ repository: repo }]);
          const what = `repository ${repo}`;
          settle(answer, restoreManyResult, restoredMany(what, answer.kind === 'accepted', repo));
        },
      },
    );
  };

  // The run's Undo, as on the retention page; its outcome is told by the same toast there.
  const restoreWholeRun = (run: string) => {
    startBulk();
    restoreRun.mutate(
      { namespace, runId: run },
      {
        onSuccess: (answer) => {
          selection.clear();
          settle(answer, retentionRunRestored, toastRunRestored);
        },
      },
    );
  };

  return (
    <>
      <div className="berth-filters">
        {picker}
        <RepositoryFilter
          namespace={namespace}
          value={repositoryInput}
          onChange={(next) => {
            setRepositoryInput(next);
            selection.clear();
            setParam('repository', next);
          }}
        />
        <TextInput
          id="trash-search"
          labelText="Tag or digest"
          placeholder="Starts with…"
          helperText="For example v1.2 or sha256:3f2a"
          value={searchInput}
          invalid={searchInvalid}
          invalidText="Tags and digests have only letters, digits and . _ - :"
          onChange={(event) => {
            setSearchInput(event.target.value);
            selection.clear();
            setParam('q', event.target.value);
          }}
        />
        {retentionRun ? (
          <div className="berth-filter-tag">
            <DismissibleTag
              type="purple"
              text={`Retention run #${retentionRun}`}
              dismissTooltipLabel="Show the whole trash"
              onClose={() =>
                setSearchParams(
                  (current) => {
                    const next = new URLSearchParams(current);
                    next.delete('retentionRun');
                    return next;
                  },
                  { replace: true },
                )
              }
            />
          </div>
        ) : null}
      </div>
      <NamespaceQuota
        namespace={namespace}
        note="Restored images count toward the quota again; a restore is never refused for it."
      />
      <OperationsInProgress namespace={namespace} onSucceeded={tellFound} />
      {lastResult ? (
        <section aria-label="Restore result" className="berth-restore-result">
          <RestoreOutcomeNotice
            outcome={lastResult}
            onOpen={(repo) => navigate(routePaths.images(namespace, repo))}
            onClose={() => setLastResult(null)}
          />
        </section>
      ) : null}
      {restore.error && !restoringTag ? (
        <ErrorNotification error={restore.error} title="Restore failed" />
      ) : null}
      {bulkError ? (
        <ErrorNotification
          error={bulkError}
          title={
            restoreRepository.error
              ? `Repository ${repository} not restored`
              : restoreRun.error
                ? `Retention run #${retentionRun} not restored`
                : 'The selected images were not restored'
          }
        />
      ) : null}
      <TableContainer>
        {canWrite ? (
          <TrashToolbar
            selection={selection}
            onRestoreSelected={restoreSelected}
            repository={repository !== '' && rows.length > 0 ? repository : null}
            onRestoreRepository={restoreWholeRepository}
            restoringRepository={repository !== '' && restoringRepositories.has(repository)}
            run={retentionRun !== '' && rows.length > 0 ? retentionRun : null}
            onRestoreRun={restoreWholeRun}
            restoringRun={restoringRun}
            bothFilters={
              rows.length > 0 && ((repository !== '' && retentionRun !== '') || q !== '')
            }
            isPending={bulkPending}
          />
        ) : null}
        <ResourceTableState
          isPending={list.isPending}
          error={unknownRepository ? null : list.error}
          isEmpty={rows.length === 0}
          isFiltered={repository !== '' || retentionRun !== '' || q !== ''}
          columnCount={headers.length + (canWrite ? 1 : 0)}
          emptyTitle="The trash is empty"
          emptyBody={<p>The trash is empty. Deleted images stay here for 30 days.</p>}
          noMatchBody={noMatchText({ namespace, repository, retentionRun, q, unknownRepository })}
          onRetry={() => void list.refetch()}
        >
          <StackingTable
            aria-label={`Trash of ${namespace}`}
            size="md"
            className="berth-dense-table"
          >
            <TableHead>
              <TableRow>
                {canWrite ? (
                  <SelectAllCell
                    name="trash-select-all"
                    label="Select all images in the list"
                    selection={selection}
                  />
                ) : null}
                {headers.map((header, index) =>
                  header ? (
                    <TableHeader key={index}>{header}</TableHeader>
                  ) : (
                    <ActionsHeader key={index} />
                  ),
                )}
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((item, index) => (
                <TableRow key={item.id} isSelected={selection.isSelected(item)}>
                  {canWrite ? (
                    <SelectRowCell
                      name={`trash-select-${index}`}
                      label={`Select ${item.repository}@${shortDigest(item.digest)}`}
                      selection={selection}
                      row={item}
                    />
                  ) : null}
                  <TableCell>
                    <span className="berth-stacked">
                      <span>{item.repository}</span>
                      <code title={item.digest}>{shortDigest(item.digest)}</code>
                    </span>
                  </TableCell>
                  <TableCell>
                    <TagList tags={item.tags} />
                  </TableCell>
                  <TableCell>{formatBytes(item.sizeBytes)}</TableCell>
                  <TableCell>
                    <span className="berth-stacked">
                      <DateText iso={item.deletedAt} />
                      <span className="berth-muted">by {item.actor}</span>
                    </span>
                  </TableCell>
                  <TableCell className="berth-wrap">
                    <span className="berth-stacked">
                      <span>{REASONS[item.reason]}</span>
                      {item.retentionRunId ? (
                        <span>
                          <Tag type="purple" size="sm">
                            Retention run #{item.retentionRunId}
                          </Tag>
                        </span>
                      ) : null}
                    </span>
                  </TableCell>
                  <TableCell>
                    <DaysLeft days={item.daysLeft} />
                  </TableCell>
                  {canWrite ? (
                    <TableCell>
                      <div className="berth-row-actions">
                        <Button
                          kind="ghost"
                          size="sm"
                          disabled={restore.isPending}
                          // Every row has a Restore: its name says which image it restores.
                          aria-label={`Restore ${item.repository}@${shortDigest(item.digest)}`}
                          onClick={() => {
                            setLastResult(null);
                            restore.mutate(
                              {
                                namespace,
                                body: { repository: item.repository, digest: item.digest },
                              },
                              { onSuccess: done },
                            );
                          }}
                        >
                          Restore
                        </Button>
                        <Button
                          kind="ghost"
                          size="sm"
                          disabled={restore.isPending || item.tags.length === 0}
                          aria-label={`Restore tag… of ${item.repository}@${shortDigest(item.digest)}`}
                          onClick={() => {
                            restore.reset();
                            setRestoringTag(item);
                          }}
                        >
                          Restore tag…
                        </Button>
                      </div>
                    </TableCell>
                  ) : null}
                </TableRow>
              ))}
            </TableBody>
          </StackingTable>
        </ResourceTableState>
        <LoadMore shown={rows.length} noun="item" list={list} />
      </TableContainer>
      {restoringTag ? (
        <RestoreTagModal
          namespace={namespace}
          item={restoringTag}
          isPending={restore.isPending}
          error={restore.error}
          onClose={() => setRestoringTag(null)}
          onConfirm={(tag) =>
            restore.mutate(
              { namespace, body: { repository: restoringTag.repository, tag } },
              { onSuccess: done },
            )
          }
        />
      ) : null}
    </>
  );
}

export function TrashPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const { namespace, notFound, isPending } = useDefaultNamespace(searchParams.get('namespace'));
  usePageTitle('Trash', namespace);
  const picker = (
    <NamespacePicker
      id="trash-namespace"
      value={namespace ?? ''}
      onChange={(next) => setSearchParams({ namespace: next })}
    />
  );

  return (
    <>
      <PageHeader
        title="Trash"
        description="Deleted images stay restorable here for 30 days, with the tags they had; then they are deleted permanently."
      />
      {namespace ? (
        <TrashTable
          key={namespace}
          namespace={namespace}
          initialRepository={searchParams.get('repository') ?? ''}
          initialSearch={searchParams.get('q') ?? ''}
          retentionRun={searchParams.get('retentionRun') ?? ''}
          picker={picker}
        />
      ) : isPending ? (
        <div className="berth-filters">{picker}</div>
      ) : notFound ? (
        <>
          <div className="berth-filters">{picker}</div>
          <NamespaceNotFound namespace={notFound} />
        </>
      ) : (
        <div className="berth-empty" role="status">
          <h2 className="berth-empty__title">No namespaces in this region</h2>
          <p className="berth-empty__body">Switch region in the header to see another trash.</p>
        </div>
      )}
    </>
  );
}

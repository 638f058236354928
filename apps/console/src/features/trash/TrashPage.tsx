import {
  ActionableNotification,
  Button,
  DismissibleTag,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableRow,
  Tag,
  TextInput,
} from '@carbon/react';
import type { RestoreResult, TrashItem } from '@berth/contract';
import { useState, type ReactNode } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useRestore, useTrashList } from '../../api/trash';
import { useNamespaceAccess } from '../../app/access';
import { routePaths } from '../../app/route-paths';
import { ErrorNotification } from '../../components/ErrorNotification';
import { TagList } from '../../components/TagList';
import { DateText } from '../../components/DateText';
import { LoadMore } from '../../components/LoadMore';
import { NamespacePicker, useDefaultNamespace } from '../../components/NamespacePicker';
import { PageHeader } from '../../components/PageHeader';
import { TableHeaderRow } from '../../components/TableHeaderRow';
import { ResourceTableState } from '../../components/ResourceTableState';
import { hasSkippedTags, RestoreSummary } from '../../components/RestoreSummary';
import { formatBytes, shortDigest } from '../../lib/format';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { RestoreTagModal } from './RestoreTagModal';

const REASONS: Record<TrashItem['reason'], string> = {
  deleted: 'Deleted',
  'repository-deleted': 'Repository deleted',
  retention: 'Retention',
};

const HEADERS = ['Image', 'Tags', 'Size', 'Deleted', 'Reason', 'Days left'];

function DaysLeft({ days }: { days: number }) {
  const text = days <= 0 ? 'expires today' : `${days} ${days === 1 ? 'day' : 'days'}`;
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
  picker: ReactNode;
}

function TrashTable({ namespace, initialRepository, retentionRun, picker }: TrashTableProps) {
  const [, setSearchParams] = useSearchParams();
  const navigate = useNavigate();
  const [repositoryInput, setRepositoryInput] = useState(initialRepository);
  const repository = useDebouncedValue(repositoryInput.trim());
  const list = useTrashList(namespace, { repository, retentionRun });
  const restore = useRestore();
  // Restoring is a writer's action; viewers see what is in the trash and for how long.
  const { canWrite } = useNamespaceAccess(namespace);
  const headers = canWrite ? [...HEADERS, ''] : HEADERS;
  const [restoringTag, setRestoringTag] = useState<TrashItem | null>(null);
  const [lastResult, setLastResult] = useState<RestoreResult | null>(null);
  // The filter takes a full repository name; an unknown one is "no matches", not a failure.
  const unknownRepository = repository !== '' && list.error?.code === 'REPOSITORY_UNKNOWN';
  const rows = unknownRepository ? [] : (list.data?.pages.flatMap((page) => page.items) ?? []);

  const done = (result: RestoreResult) => {
    setLastResult(result);
    setRestoringTag(null);
  };

  return (
    <>
      <div className="berth-filters">
        {picker}
        <TextInput
          id="trash-repository"
          labelText="Repository"
          placeholder="Full repository name"
          helperText="For example backend/api"
          value={repositoryInput}
          onChange={(event) => {
            setRepositoryInput(event.target.value);
            setSearchParams(
              (current) => {
                const next = new URLSearchParams(current);
                if (event.target.value) next.set('repository', event.target.value);
                else next.delete('repository');
                return next;
              },
              { replace: true },
            );
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
      {lastResult ? (
        <section aria-label="Restore result" className="berth-restore-result">
          <ActionableNotification
            inline
            hasFocus={false}
            closeOnEscape={false}
            kind={hasSkippedTags([lastResult]) ? 'warning' : 'success'}
            lowContrast
            title={
              hasSkippedTags([lastResult]) ? 'Image restored, some tags were not' : 'Image restored'
            }
            actionButtonLabel={`Open ${lastResult.restored.repository}`}
            onActionButtonClick={() =>
              navigate(routePaths.images(namespace, lastResult.restored.repository))
            }
            onClose={() => {
              setLastResult(null);
              return false;
            }}
          >
            <RestoreSummary results={[lastResult]} />
          </ActionableNotification>
        </section>
      ) : null}
      {restore.error && !restoringTag ? (
        <ErrorNotification error={restore.error} title="Restore failed" />
      ) : null}
      <TableContainer>
        <ResourceTableState
          isPending={list.isPending}
          error={unknownRepository ? null : list.error}
          isEmpty={rows.length === 0}
          isFiltered={repository !== '' || retentionRun !== ''}
          columnCount={headers.length}
          emptyTitle="The trash is empty"
          emptyBody={<p>The trash is empty. Deleted images stay here for 30 days.</p>}
          noMatchBody={
            unknownRepository
              ? `${namespace} has no repository named “${repository}”. Enter the full name, for example backend/api.`
              : repository === ''
                ? `Nothing that retention run #${retentionRun} deleted is in the trash any more: it was restored or purged.`
                : `Nothing from repository “${repository}”${retentionRun ? ` deleted by retention run #${retentionRun}` : ''} is in the trash of ${namespace}.`
          }
          onRetry={() => void list.refetch()}
        >
          <Table aria-label={`Trash of ${namespace}`} size="md">
            <TableHeaderRow headers={headers} />
            <TableBody>
              {rows.map((item) => (
                <TableRow key={item.id}>
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
                          aria-label="Restore"
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
          </Table>
        </ResourceTableState>
        <LoadMore shown={rows.length} noun="items" list={list} />
      </TableContainer>
      {restoringTag ? (
        <RestoreTagModal
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
  const { namespace, isPending } = useDefaultNamespace(searchParams.get('namespace'));
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
          retentionRun={searchParams.get('retentionRun') ?? ''}
          picker={picker}
        />
      ) : isPending ? (
        <div className="berth-filters">{picker}</div>
      ) : (
        <div className="berth-empty" role="status">
          <h2 className="berth-empty__title">No namespaces in this region</h2>
          <p className="berth-empty__body">Switch region in the header to see another trash.</p>
        </div>
      )}
    </>
  );
}

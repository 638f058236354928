import {
  Button,
  Select,
  SelectItem,
  TableBody,
  TableCell,
  TableContainer,
  TableExpandedRow,
  TableExpandRow,
  TableHead,
  TableHeader,
  TableRow,
  Tag,
  TextInput,
} from '@carbon/react';
import { Download } from '@carbon/icons-react';
import { AUDIT_CSV_MAX_ROWS, type AuditEvent } from '@berth/contract';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { auditCsvUrl, auditSearchParams, useAuditList } from '../../api/audit';
import type { AuditFilters } from '../../api/query-keys';
import { LoadMore } from '../../components/LoadMore';
import { AdminOnly } from '../../components/AdminOnly';
import { PageHeader } from '../../components/PageHeader';
import { ResourceTableState } from '../../components/ResourceTableState';
import { CopyButton } from '../../components/CopyButton';
import { formatTimestamp } from '../../lib/format';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { useToggleSet } from '../../lib/use-toggle-set';
import { AuditNamespaceFilter } from './AuditNamespaceFilter';
import {
  EMPTY_FILTERS,
  filtersFromSearch,
  fromLocalInput,
  isFiltered,
  toLocalInput,
} from './audit-filters';
import { StackingTable } from '../../components/StackingTable';
import { ExpandHeader } from '../../components/ExpandHeader';

const HEADERS = ['Time', 'Actor', 'Action', 'Target', 'Outcome', 'Request ID'];

type TextFilter = 'actor' | 'action';

const TEXT_FILTERS: { key: TextFilter; label: string; placeholder: string; helper: string }[] = [
  {
    key: 'actor',
    label: 'Actor',
    placeholder: 'user:alice',
    helper: 'Starts with: user:, key:, policy:, system:',
  },
  { key: 'action', label: 'Action', placeholder: 'session', helper: 'Starts with, e.g. image.' },
];

function Details({ event }: { event: AuditEvent }) {
  if (!event.details || Object.keys(event.details).length === 0) {
    return <p className="berth-muted">No further details were recorded.</p>;
  }
  return (
    <pre className="berth-command berth-audit-details">
      {JSON.stringify(event.details, null, 2)}
    </pre>
  );
}

/**
 * Who did what, when, with what outcome: newest first, filtered on the server, paged by
 * cursor. The filters live in the address; text filters apply after a pause in typing.
 */
export function AuditPage() {
  return (
    <AdminOnly title="Audit log" what="read the audit log">
      <AuditLog />
    </AdminOnly>
  );
}

function AuditLog() {
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = filtersFromSearch(searchParams);
  const [text, setText] = useState<Record<TextFilter, string>>({
    actor: filters.actor,
    action: filters.action,
  });
  const typed = useDebouncedValue(text);
  // "Clear filters" starts the namespace field afresh too (it keeps what is typed in itself).
  const [clears, setClears] = useState(0);
  const [expanded, toggle] = useToggleSet<number>();

  const apply = (next: Partial<AuditFilters>) =>
    setSearchParams(auditSearchParams({ ...filtersFromSearch(searchParams), ...next }), {
      replace: true,
    });

  // Typing settles into the address (and so into the query) once the person pauses.
  useEffect(() => {
    const current = filtersFromSearch(searchParams);
    const next = {
      actor: typed.actor.trim(),
      action: typed.action.trim(),
    };
    if (TEXT_FILTERS.some(({ key }) => current[key] !== next[key])) {
      setSearchParams(auditSearchParams({ ...current, ...next }), { replace: true });
    }
    // Only a settled change of the typed text writes the address.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed]);

  const list = useAuditList(filters);
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = isFiltered(filters);

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every sign-in, change, deletion and restore, by people, API keys, policies and the system, newest first."
        actions={
          <Button
            as="a"
            kind="tertiary"
            renderIcon={Download}
            href={auditCsvUrl(filters)}
            download
            title={`The entries matching these filters, up to ${AUDIT_CSV_MAX_ROWS.toLocaleString()}`}
          >
            Export CSV
          </Button>
        }
      />
      <div className="berth-filters berth-audit-filters" role="search" aria-label="Audit filters">
        {TEXT_FILTERS.map(({ key, label, placeholder, helper }) => (
          <TextInput
            key={key}
            id={`audit-${key}`}
            labelText={label}
            placeholder={placeholder}
            helperText={helper}
            autoComplete="off"
            spellCheck={false}
            value={text[key]}
            onChange={(event) => setText((current) => ({ ...current, [key]: event.target.value }))}
          />
        ))}
        <AuditNamespaceFilter
          key={`namespace-${clears}`}
          value={filters.namespace}
          onChange={(namespace) => apply({ namespace })}
        />
        <Select
          id="audit-outcome"
          labelText="Outcome"
          value={filters.outcome}
          onChange={(event) => apply({ outcome: event.target.value as AuditFilters['outcome'] })}
        >
          <SelectItem value="" text="Any" />
          <SelectItem value="success" text="Success" />
          <SelectItem value="failure" text="Failure" />
        </Select>
        <TextInput
          id="audit-from"
          type="datetime-local"
          labelText="From"
          helperText="Your local time"
          value={toLocalInput(filters.from)}
          onChange={(event) => apply({ from: fromLocalInput(event.target.value) })}
        />
        <TextInput
          id="audit-to"
          type="datetime-local"
          labelText="To"
          helperText="Your local time"
          value={toLocalInput(filters.to)}
          onChange={(event) => apply({ to: fromLocalInput(event.target.value) })}
        />
        {filtered ? (
          <div className="berth-filter-tag">
            <Button
              kind="ghost"
              size="md"
              onClick={() => {
                setText({ actor: '', action: '' });
                setClears((n) => n + 1);
                setSearchParams(auditSearchParams(EMPTY_FILTERS), { replace: true });
              }}
            >
              Clear filters
            </Button>
          </div>
        ) : null}
      </div>
      <TableContainer>
        <ResourceTableState
          isPending={list.isPending}
          error={list.error}
          isEmpty={rows.length === 0}
          isFiltered={filtered}
          columnCount={HEADERS.length + 1}
          emptyTitle="Nothing recorded yet"
          emptyBody={<p>Sign-ins, changes, deletions and restores appear here as they happen.</p>}
          noMatchBody="No entry matches these filters. Widen the time range or clear a filter."
          onRetry={() => void list.refetch()}
        >
          <StackingTable
            aria-label="Audit log"
            size="md"
            className="berth-dense-table berth-audit-table"
          >
            <TableHead>
              <TableRow>
                <ExpandHeader label="Details" />
                {HEADERS.map((header) => (
                  <TableHeader key={header}>{header}</TableHeader>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((event) => (
                <AuditRow
                  key={event.id}
                  event={event}
                  isExpanded={expanded.has(event.id)}
                  onExpand={() => toggle(event.id)}
                />
              ))}
            </TableBody>
          </StackingTable>
        </ResourceTableState>
        <LoadMore shown={rows.length} noun="entry" plural="entries" list={list} />
      </TableContainer>
    </>
  );
}

function AuditRow({
  event,
  isExpanded,
  onExpand,
}: {
  event: AuditEvent;
  isExpanded: boolean;
  onExpand: () => void;
}) {
  return (
    <>
      <TableExpandRow
        isExpanded={isExpanded}
        onExpand={onExpand}
        aria-label={`Details of ${event.action} at ${formatTimestamp(event.at)}`}
        expandIconDescription={isExpanded ? 'Hide details' : 'Show details'}
      >
        <TableCell className="berth-audit-table__time">
          <time dateTime={event.at}>{formatTimestamp(event.at)}</time>
        </TableCell>
        <TableCell className="berth-audit-table__actor">{event.actor}</TableCell>
        <TableCell>
          <code className="berth-code">{event.action}</code>
        </TableCell>
        <TableCell className="berth-wrap berth-audit-target">{event.target}</TableCell>
        <TableCell>
          <Tag size="sm" type={event.outcome === 'success' ? 'green' : 'red'}>
            {event.outcome === 'success' ? 'Success' : 'Failure'}
          </Tag>
        </TableCell>
        <TableCell>
          {event.requestId ? (
            // The start tells entries apart; the whole id is copied, to find it in the logs.
            <span className="berth-digest">
              <code title={event.requestId}>{event.requestId.slice(0, 8)}</code>
              <CopyButton text={event.requestId} label={`Copy request ID ${event.requestId}`} />
            </span>
          ) : (
            <span className="berth-muted">—</span>
          )}
        </TableCell>
      </TableExpandRow>
      {isExpanded ? (
        <TableExpandedRow colSpan={HEADERS.length + 1}>
          <Details event={event} />
        </TableExpandedRow>
      ) : null}
    </>
  );
}

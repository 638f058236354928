import {
  Select,
  SelectItem,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from '@carbon/react';
import type { RetentionDecision } from '@berth/contract';
import { useState } from 'react';
import { useRetentionPreviewItems } from '../../api/retention';
import { TagList } from '../../components/TagList';
import { DateText } from '../../components/DateText';
import { LoadMore } from '../../components/LoadMore';
import { ResourceTableState } from '../../components/ResourceTableState';
import { formatBytes, shortDigest } from '../../lib/format';
import { DecisionTag, StateTag } from './RetentionBar';
import { StackingTable } from '../../components/StackingTable';

// Decision first: on a narrow screen it is what stays in view.
const HEADERS = ['Decision', 'Image', 'Tags', 'Reason', 'Created', 'Size'];

const FILTERS: { value: RetentionDecision | ''; label: string }[] = [
  { value: '', label: 'All decisions' },
  { value: 'delete', label: 'Delete' },
  { value: 'protected', label: 'Protected' },
  { value: 'keep', label: 'Keep' },
];

interface PreviewItemsProps {
  namespace: string;
  previewId: string;
  repository: string;
}

/** The images of one repository in a preview, in recency order, with why each goes or stays. */
export function PreviewItems({ namespace, previewId, repository }: PreviewItemsProps) {
  const [decision, setDecision] = useState<RetentionDecision | ''>('');
  const list = useRetentionPreviewItems(namespace, previewId, {
    repository,
    decision: decision === '' ? undefined : decision,
  });
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  const filterId = `preview-decision-${previewId}-${repository}`;

  return (
    <div className="berth-preview-items">
      <Select
        id={filterId}
        labelText={`Decision filter for ${repository}`}
        hideLabel
        inline
        size="sm"
        value={decision}
        onChange={(event) => setDecision(event.target.value as RetentionDecision | '')}
      >
        {FILTERS.map((filter) => (
          <SelectItem key={filter.value} value={filter.value} text={filter.label} />
        ))}
      </Select>
      <ResourceTableState
        isPending={list.isPending}
        error={list.error}
        isEmpty={rows.length === 0}
        isFiltered={decision !== ''}
        columnCount={HEADERS.length}
        emptyTitle="No images"
        emptyBody={<p>{repository} has no images in this preview.</p>}
        noMatchBody={`No image of ${repository} has the decision “${decision}”.`}
        onRetry={() => void list.refetch()}
      >
        <StackingTable aria-label={`Preview of ${repository}`} size="sm">
          <TableHead>
            <TableRow>
              {HEADERS.map((header) => (
                <TableHeader key={header}>{header}</TableHeader>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((item) => (
              <TableRow key={item.digest}>
                <TableCell>
                  <div className="berth-tags">
                    <DecisionTag decision={item.decision} />
                    <StateTag state={item.state} />
                  </div>
                </TableCell>
                <TableCell>
                  <code title={item.digest}>{shortDigest(item.digest)}</code>
                </TableCell>
                <TableCell>
                  <TagList tags={item.tags} />
                </TableCell>
                <TableCell className="berth-wrap berth-reason">{item.reason}</TableCell>
                <TableCell>
                  <DateText iso={item.createdAt} />
                </TableCell>
                <TableCell>{formatBytes(item.sizeBytes)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </StackingTable>
      </ResourceTableState>
      <LoadMore shown={rows.length} noun="image" list={list} />
    </div>
  );
}

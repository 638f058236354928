import {
  OverflowMenu,
  OverflowMenuItem,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableHeader,
  TableRow,
  Tag,
} from '@carbon/react';
import type { ImageSort, ImageSummary } from '@berth/contract';
import { useState } from 'react';
import { Link } from 'react-router';
import { useImageList } from '../../api/images';
import { useNamespaceAccess } from '../../app/access';
import { routePaths } from '../../app/route-paths';
import { useToasts } from '../../app/ToastProvider';
import { CopyButton } from '../../components/CopyButton';
import { TagList } from '../../components/TagList';
import { DateText } from '../../components/DateText';
import { LoadMore } from '../../components/LoadMore';
import { SelectAllCell, SelectRowCell } from '../../components/SelectionCells';
import { SelectionToolbar } from '../../components/SelectionToolbar';
import { ResourceTableState } from '../../components/ResourceTableState';
import { formatBytes, pluralize, pushCommand, shortDigest } from '../../lib/format';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { useRowSelection } from '../../lib/use-row-selection';
import { useTableSort } from '../../lib/use-table-sort';
import { DeleteImagesModal } from './DeleteImagesModal';
import { VulnerabilityTags } from './VulnerabilityTags';
import { ImageUsedBy } from './ImageUsedBy';
import { UntagModal } from './UntagModal';
import { trustSummary } from './trust';
import { useDeleteWithUndo } from './use-delete-with-undo';
import { StackingTable } from '../../components/StackingTable';
import { ActionsHeader } from '../../components/ActionsHeader';
import { useRegistryHost } from '../../api/regions';

const SORTABLE: Record<ImageSort, string> = {
  sizeBytes: 'Size',
  createdAt: 'Created',
  pushedAt: 'Pushed',
};

/** Signatures and other referrers, then the newest scan's worst findings: one narrow column. */
function SecurityCell({ image }: { image: ImageSummary }) {
  if (image.referrers.length === 0 && !image.vulnerabilities) {
    return <span className="berth-muted">—</span>;
  }
  const { signatures, attestations, sboms, others } = trustSummary(image.referrers);
  return (
    <div className="berth-tags">
      {signatures > 0 ? (
        <Tag type="green" size="sm">
          {signatures === 1 ? 'signed' : `signed ×${signatures}`}
        </Tag>
      ) : null}
      {attestations > 0 ? (
        <Tag type="teal" size="sm">
          {pluralize(attestations, 'attestation')}
        </Tag>
      ) : null}
      {sboms > 0 ? (
        <Tag type="teal" size="sm">
          {sboms === 1 ? 'SBOM' : `SBOM ×${sboms}`}
        </Tag>
      ) : null}
      {others > 0 ? (
        <Tag type="cool-gray" size="sm">
          {pluralize(others, 'referrer')}
        </Tag>
      ) : null}
      <VulnerabilityTags v={image.vulnerabilities} />
    </div>
  );
}

interface ImagesTableProps {
  namespace: string;
  repository: string;
  /** The search the table starts with (a tag or digest prefix). */
  initialSearch?: string;
}

export function ImagesTable({ namespace, repository, initialSearch = '' }: ImagesTableProps) {
  const host = useRegistryHost();
  const toasts = useToasts();
  // Untagging and deleting need the writer role; viewers see the same table without them.
  const { canWrite } = useNamespaceAccess(namespace);
  const [search, setSearch] = useState(initialSearch);
  const q = useDebouncedValue(search.trim());
  const { sort, headerProps } = useTableSort<ImageSort>({ key: 'pushedAt', order: 'desc' });
  const [confirming, setConfirming] = useState<ImageSummary[] | null>(null);
  const [untagging, setUntagging] = useState<{ image: ImageSummary; tag: string } | null>(null);
  const list = useImageList(namespace, repository, { q, sort: sort.key, order: sort.order });
  const { deleteImages, remove } = useDeleteWithUndo(namespace);
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  const selection = useRowSelection(rows, (row) => row.digest);
  // Only image indexes have platforms; a column of dashes would push the actions off screen.
  const showPlatforms = rows.some((row) => row.platforms.length > 0);

  // A failure left from an earlier attempt must not show in the new confirmation.
  const askToDelete = (images: ImageSummary[]) => {
    remove.reset();
    setConfirming(images);
  };

  // Sizes and dates read best largest and newest first.
  const sortHeader = (key: ImageSort) => (
    <TableHeader key={key} {...headerProps(key, 'desc')}>
      {SORTABLE[key]}
    </TableHeader>
  );

  return (
    <TableContainer>
      <SelectionToolbar
        label="Images toolbar"
        searchLabel="Search by tag or digest"
        searchPlaceholder="Search by tag or digest prefix"
        selection={selection}
        onDeleteSelected={canWrite ? askToDelete : undefined}
        onSearch={setSearch}
        defaultSearch={initialSearch}
      />
      <ResourceTableState
        isPending={list.isPending}
        error={list.error}
        isEmpty={rows.length === 0}
        isFiltered={q !== ''}
        columnCount={canWrite ? 9 : 7}
        emptyTitle="No images in this repository"
        emptyBody={
          canWrite ? (
            <>
              <p>Its images may have been deleted: look in the trash. Or push one, for example:</p>
              <pre className="berth-command">
                {pushCommand(host, `${namespace}/${repository}:<tag>`)}
              </pre>
            </>
          ) : (
            <p>Its images may have been deleted: look in the trash.</p>
          )
        }
        noMatchBody={`No tag or digest in ${repository} starts with “${q}”.`}
        onRetry={() => void list.refetch()}
      >
        <StackingTable
          aria-label={`Images in ${namespace}/${repository}`}
          size="md"
          className="berth-dense-table berth-images-table"
        >
          <TableHead>
            <TableRow>
              {canWrite ? (
                <SelectAllCell
                  name="images-select-all"
                  label="Select all images"
                  selection={selection}
                />
              ) : null}
              <TableHeader>Tags</TableHeader>
              <TableHeader>Digest</TableHeader>
              {sortHeader('sizeBytes')}
              {sortHeader('createdAt')}
              {sortHeader('pushedAt')}
              <TableHeader>Security</TableHeader>
              <TableHeader>Used by</TableHeader>
              {showPlatforms ? <TableHeader>Platforms</TableHeader> : null}
              {canWrite ? <ActionsHeader /> : null}
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((image, index) => {
              const name = image.tags[0] ?? shortDigest(image.digest);
              return (
                <TableRow key={image.digest} isSelected={selection.isSelected(image)}>
                  {canWrite ? (
                    <SelectRowCell
                      name={`image-select-${index}`}
                      label={`Select ${name}`}
                      selection={selection}
                      row={image}
                    />
                  ) : null}
                  <TableCell className="berth-images-table__tags">
                    <TagList
                      tags={image.tags}
                      linkTo={() => routePaths.image(namespace, repository, image.digest)}
                    />
                  </TableCell>
                  <TableCell>
                    <span className="berth-digest">
                      <Link
                        to={routePaths.image(namespace, repository, image.digest)}
                        className="cds--link"
                        aria-label={`Details of ${shortDigest(image.digest)}`}
                      >
                        <code title={image.digest}>{shortDigest(image.digest)}</code>
                      </Link>
                      <CopyButton text={image.digest} label={`Copy digest of ${name}`} />
                    </span>
                  </TableCell>
                  <TableCell>{formatBytes(image.sizeBytes)}</TableCell>
                  <TableCell className="berth-images-table__date">
                    <DateText iso={image.createdAt} />
                  </TableCell>
                  <TableCell className="berth-images-table__date">
                    <DateText iso={image.pushedAt} />
                  </TableCell>
                  <TableCell className="berth-images-table__security">
                    <SecurityCell image={image} />
                  </TableCell>
                  <TableCell className="berth-wrap">
                    <ImageUsedBy uses={image.usedBy} />
                  </TableCell>
                  {showPlatforms ? (
                    <TableCell className="berth-images-table__platforms">
                      {image.platforms.length > 0 ? (
                        <div className="berth-tags">
                          {image.platforms.map((p) => (
                            <Tag key={p.digest} type="gray" size="sm">
                              {`${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`}
                            </Tag>
                          ))}
                        </div>
                      ) : (
                        <span className="berth-muted">—</span>
                      )}
                    </TableCell>
                  ) : null}
                  {canWrite ? (
                    <TableCell className="berth-actions-cell">
                      <OverflowMenu
                        size="sm"
                        flipped
                        aria-label={`Actions for ${name}`}
                        iconDescription={`Actions for ${name}`}
                      >
                        {image.tags.map((tag) => (
                          <OverflowMenuItem
                            key={tag}
                            itemText={`Remove tag ${tag}`}
                            onClick={() => setUntagging({ image, tag })}
                          />
                        ))}
                        <OverflowMenuItem
                          itemText="Delete image"
                          isDelete
                          hasDivider={image.tags.length > 0}
                          onClick={() => askToDelete([image])}
                        />
                      </OverflowMenu>
                    </TableCell>
                  ) : null}
                </TableRow>
              );
            })}
          </TableBody>
        </StackingTable>
      </ResourceTableState>
      <LoadMore shown={rows.length} noun="image" list={list} />
      {confirming ? (
        <DeleteImagesModal
          repository={repository}
          images={confirming}
          isPending={remove.isPending}
          error={remove.error}
          onClose={() => setConfirming(null)}
          onConfirm={() =>
            deleteImages(
              confirming.map((image) => ({ repository, digest: image.digest })),
              () => {
                setConfirming(null);
                selection.clear();
              },
            )
          }
        />
      ) : null}
      {untagging ? (
        <UntagModal
          namespace={namespace}
          repository={repository}
          image={untagging.image}
          tag={untagging.tag}
          onClose={() => setUntagging(null)}
          onDone={() => {
            toasts.show({
              kind: 'success',
              title: `Tag ${untagging.tag} removed`,
              subtitle: `The image ${shortDigest(untagging.image.digest)} stays in ${repository}.`,
            });
            setUntagging(null);
          }}
        />
      ) : null}
    </TableContainer>
  );
}

import { Breadcrumb, BreadcrumbItem, Tag } from '@carbon/react';
import type { ImageDetails, ImageDetailsReferrer } from '@berth/contract';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useImageDetails } from '../../../api/image-details';
import { routePaths } from '../../../app/route-paths';
import { CopyButton } from '../../../components/CopyButton';
import { DateText } from '../../../components/DateText';
import { ErrorNotification } from '../../../components/ErrorNotification';
import { PageHeader } from '../../../components/PageHeader';
import { TagList } from '../../../components/TagList';
import { formatBytes, formatDateTime, pluralize, shortDigest } from '../../../lib/format';
import { ImageUseList } from '../ImageUsedBy';
import { ConfigSection } from './ConfigSection';
import { DetailsTable } from './DetailsTable';
import { ImageDetailsSkeleton } from './ImageDetailsSkeleton';
import { ManifestSection } from './ManifestSection';
import { VulnerabilitiesSection } from './VulnerabilitiesSection';
import { platformName } from './platform-name';
import { PullCommands } from './PullCommands';
import { describeTimelineEntry } from './timeline-words';
import './image-details.scss';
import { usePageTitle } from '../../../lib/page-title';

interface ImageDetailsPageProps {
  namespace: string;
  repository: string;
  digest: string;
}

/** The name people know an image by: repository and first tag, else its short digest. */
function imageName(repository: string, digest: string, tags: readonly string[]): string {
  return tags[0] ? `${repository}:${tags[0]}` : `${repository}@${shortDigest(digest)}`;
}

function Breadcrumbs({
  namespace,
  repository,
  parent,
  current,
}: {
  namespace: string;
  repository: string;
  parent?: ImageDetails['parents'][number];
  current: string;
}) {
  return (
    <Breadcrumb noTrailingSlash>
      <BreadcrumbItem>
        <Link to={routePaths.namespaces()}>Namespaces</Link>
      </BreadcrumbItem>
      <BreadcrumbItem>
        <Link to={routePaths.repositories(namespace)}>{namespace}</Link>
      </BreadcrumbItem>
      <BreadcrumbItem>
        <Link to={routePaths.images(namespace, repository)}>{repository}</Link>
      </BreadcrumbItem>
      {parent ? (
        <BreadcrumbItem>
          <Link to={routePaths.image(namespace, repository, parent.digest)}>
            {parent.tags[0] ?? shortDigest(parent.digest)}
          </Link>
        </BreadcrumbItem>
      ) : null}
      <BreadcrumbItem isCurrentPage>{current}</BreadcrumbItem>
    </Breadcrumb>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="berth-section" aria-labelledby={id}>
      <h2 className="berth-section__title" id={id}>
        {title}
      </h2>
      {children}
    </section>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="berth-facts__item">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Digest({ digest, label }: { digest: string; label: string }) {
  return (
    <span className="berth-digest">
      <code title={digest}>{shortDigest(digest)}</code>
      <CopyButton text={digest} label={label} />
    </span>
  );
}

/** What this manifest is, in a sentence, with a link to what holds it. */
function whatItIs(d: ImageDetails): ReactNode {
  const link = (digest: string, tags: readonly string[]) => (
    <Link className="cds--link" to={routePaths.image(d.namespace, d.repository, digest)}>
      {tags[0] ? `${d.repository}:${tags[0]}` : shortDigest(digest)}
    </Link>
  );
  const holder = d.parents[0];
  if (d.kind === 'index') {
    return `A multi-platform image index with ${pluralize(d.platforms.length, 'platform')}.`;
  }
  if (holder?.relation === 'platform-of') {
    const platform = d.config ? ` (${platformName(d.config)})` : '';
    return (
      <>
        A platform image{platform} of {link(holder.digest, holder.tags)}.
      </>
    );
  }
  if (holder?.relation === 'refers-to') {
    return (
      <>
        An artifact ({d.artifactType ?? d.mediaType}) that refers to{' '}
        {link(holder.digest, holder.tags)}.
      </>
    );
  }
  return d.artifactType ? `An artifact of type ${d.artifactType}.` : 'A container image.';
}

const REFERRER_WORDS: Record<NonNullable<ImageDetailsReferrer['type']>, string> = {
  signature: 'Signature',
  attestation: 'Attestation',
  sbom: 'SBOM',
};

function Summary({ d }: { d: ImageDetails }) {
  return (
    <dl className="berth-facts">
      <Fact term="Digest">
        <span className="berth-digest berth-digest--full">
          <code>{d.digest}</code>
          <CopyButton text={d.digest} label="Copy digest" />
        </span>
      </Fact>
      <Fact term="Tags">
        <TagList tags={d.tags.map((t) => t.name)} />
      </Fact>
      <Fact term="Size">{formatBytes(d.sizeBytes)}</Fact>
      <Fact term="Created">{d.createdAt ? formatDateTime(d.createdAt) : '—'}</Fact>
      <Fact term="Pushed">{formatDateTime(d.pushedAt)}</Fact>
      <Fact term="Media type">
        <code>{d.mediaType}</code>
      </Fact>
      {d.artifactType ? (
        <Fact term="Artifact type">
          <code>{d.artifactType}</code>
        </Fact>
      ) : null}
      {Object.keys(d.annotations).length > 0 ? (
        <Fact term="Annotations">
          <ul className="berth-code-list" aria-label="Annotations">
            {Object.entries(d.annotations).map(([key, value]) => (
              <li key={key}>
                <code>{`${key}=${value}`}</code>
              </li>
            ))}
          </ul>
        </Fact>
      ) : null}
    </dl>
  );
}

function Details({ d }: { d: ImageDetails }) {
  const { namespace, repository } = d;
  const name = imageName(
    repository,
    d.digest,
    d.tags.map((t) => t.name),
  );
  const layerBytes = d.layers.reduce((sum, layer) => sum + layer.sizeBytes, 0);
  return (
    <>
      <PageHeader
        title={name}
        description={whatItIs(d)}
        breadcrumb={
          <Breadcrumbs
            namespace={namespace}
            repository={repository}
            parent={d.parents[0]}
            current={d.tags[0]?.name ?? shortDigest(d.digest)}
          />
        }
      />
      <Section id="image-summary" title="Summary">
        <Summary d={d} />
      </Section>
      <Section id="image-pull" title="Pull">
        <PullCommands
          namespace={namespace}
          repository={repository}
          digest={d.digest}
          tags={d.tags.map((t) => t.name)}
        />
      </Section>
      {d.kind === 'index' ? (
        <Section id="image-platforms" title="Platforms">
          <DetailsTable
            label="Platforms"
            rows={d.platforms}
            rowKey={(p) => p.digest}
            columns={[
              {
                header: 'Platform',
                primary: true,
                render: (p) => (
                  <Link
                    className="cds--link"
                    to={routePaths.image(namespace, repository, p.digest)}
                  >
                    {platformName(p)}
                  </Link>
                ),
              },
              {
                header: 'Digest',
                render: (p) => (
                  <Digest digest={p.digest} label={`Copy digest of ${platformName(p)}`} />
                ),
              },
              { header: 'Size', render: (p) => formatBytes(p.sizeBytes) },
            ]}
          />
        </Section>
      ) : null}
      {d.artifactType === null ? (
        <VulnerabilitiesSection namespace={namespace} repository={repository} digest={d.digest} />
      ) : null}
      <ConfigSection details={d} />
      {d.kind === 'image' ? (
        <Section id="image-layers" title="Layers">
          <p className="berth-section__description">
            {pluralize(d.layers.length, 'layer')}, {formatBytes(layerBytes)} compressed.
          </p>
          {d.layers.length > 0 ? (
            <DetailsTable
              label="Layers"
              rows={d.layers}
              rowKey={(l, i) => `${i}:${l.digest}`}
              columns={[
                {
                  header: 'Layer',
                  primary: true,
                  render: (l, i) => (
                    <span className="berth-digest">
                      <span className="berth-muted">{i + 1}.</span>
                      <code title={l.digest}>{shortDigest(l.digest)}</code>
                      <CopyButton text={l.digest} label={`Copy digest of layer ${i + 1}`} />
                    </span>
                  ),
                },
                { header: 'Size', render: (l) => formatBytes(l.sizeBytes) },
                {
                  header: 'Media type',
                  render: (l) => (
                    <span className="berth-wrap">
                      <code>{l.mediaType}</code>
                      {l.foreign ? (
                        <Tag type="cool-gray" size="sm">
                          foreign: not stored here
                        </Tag>
                      ) : null}
                    </span>
                  ),
                },
              ]}
            />
          ) : null}
        </Section>
      ) : null}
      {d.history.length > 0 ? (
        <Section id="image-history" title="History">
          <DetailsTable
            label="History"
            rows={d.history}
            rowKey={(_s, i) => String(i)}
            columns={[
              {
                header: 'Step',
                primary: true,
                render: (s, i) => (
                  <span className="berth-wrap">
                    <span className="berth-muted">{i + 1}.</span>
                    <code className="berth-history-step">{s.createdBy ?? s.comment ?? '—'}</code>
                  </span>
                ),
              },
              { header: 'Created', render: (s) => <DateText iso={s.created} /> },
              {
                header: 'Layer',
                render: (s) =>
                  s.emptyLayer ? (
                    <span className="berth-muted">none (no files changed)</span>
                  ) : (
                    'yes'
                  ),
              },
            ]}
          />
        </Section>
      ) : null}
      <Section id="image-referrers" title="Signatures, SBOMs and attestations">
        {d.referrers.length === 0 ? (
          <p className="berth-section__description">
            Nothing refers to this image. Signatures, SBOMs and attestations pushed with this image
            as their subject (for example with <code>cosign sign</code> or <code>oras attach</code>)
            show here.
          </p>
        ) : (
          <DetailsTable
            label="Signatures, SBOMs and attestations"
            rows={d.referrers}
            rowKey={(r) => r.digest}
            columns={[
              {
                header: 'What',
                primary: true,
                render: (r) => (
                  <Link
                    className="cds--link"
                    to={routePaths.image(namespace, repository, r.digest)}
                  >
                    {r.type ? REFERRER_WORDS[r.type] : 'Referrer'} {shortDigest(r.digest)}
                  </Link>
                ),
              },
              {
                header: 'Artifact type',
                render: (r) => <code className="berth-wrap">{r.artifactType ?? r.mediaType}</code>,
              },
              { header: 'Size', render: (r) => formatBytes(r.sizeBytes) },
              { header: 'Pushed', render: (r) => <DateText iso={r.pushedAt} /> },
            ]}
          />
        )}
      </Section>
      <Section id="image-used-by" title="Used by">
        {d.usedBy.length === 0 ? (
          <p className="berth-section__description">
            No project app or job points at this image (by one of its tags or its digest).
          </p>
        ) : (
          <ImageUseList uses={d.usedBy} />
        )}
      </Section>
      <Section id="image-timeline" title="Timeline">
        <DetailsTable
          label="Timeline"
          rows={[
            ...d.timeline.map((entry) => ({
              key: `${entry.at}:${entry.action}:${entry.tags.join(',')}`,
              at: entry.at,
              what: describeTimelineEntry(entry),
              who: entry.actor,
            })),
            { key: 'pushed', at: d.pushedAt, what: 'Pushed to the registry', who: null },
          ]}
          rowKey={(row) => row.key}
          columns={[
            { header: 'What', primary: true, render: (row) => row.what },
            { header: 'When', render: (row) => formatDateTime(row.at) },
            {
              header: 'Who',
              render: (row) =>
                row.who ? <code>{row.who}</code> : <span className="berth-muted">—</span>,
            },
          ]}
        />
        <p className="berth-section__description berth-timeline-note">
          {d.timelineTruncated ? `The newest ${d.timeline.length} entries. ` : null}
          From the audit log: deletes, restores and tag removals of this image. Deletes of whole
          repositories and retention runs are recorded with counts, not images; see the trash and
          the audit log for those.
        </p>
      </Section>
      <ManifestSection namespace={namespace} repository={repository} digest={d.digest} />
    </>
  );
}

function NotFound({
  namespace,
  repository,
  digest,
  code,
}: {
  namespace: string;
  repository: string;
  digest: string;
  code: string;
}) {
  const inTrash = code === 'IMAGE_IN_TRASH';
  const noRepository = code === 'REPOSITORY_UNKNOWN' || code === 'NAMESPACE_UNKNOWN';
  return (
    <>
      <PageHeader
        title={inTrash ? 'Image in the trash' : 'Image not found'}
        breadcrumb={
          <Breadcrumbs namespace={namespace} repository={repository} current="Not found" />
        }
      />
      <div className="berth-empty" role="status">
        <h2 className="berth-empty__title">
          {inTrash
            ? `This image of ${repository} is in the trash`
            : noRepository
              ? `There is no repository ${namespace}/${repository} you can see`
              : `${repository} holds no image ${shortDigest(digest)}`}
        </h2>
        <div className="berth-empty__body">
          <p>
            {inTrash ? (
              <>
                Restore it from the{' '}
                <Link className="cds--link" to={routePaths.trash(namespace, repository)}>
                  trash of {namespace}
                </Link>{' '}
                to see its details again.
              </>
            ) : noRepository ? (
              <>
                It may have been deleted, or you may not be a member of its namespace.{' '}
                <Link className="cds--link" to={routePaths.namespaces()}>
                  See your namespaces
                </Link>
                .
              </>
            ) : (
              <>
                It may have been deleted for good, or the address may be mistyped. See the{' '}
                <Link className="cds--link" to={routePaths.images(namespace, repository)}>
                  images of {repository}
                </Link>{' '}
                or the{' '}
                <Link className="cds--link" to={routePaths.trash(namespace, repository)}>
                  trash
                </Link>
                .
              </>
            )}
          </p>
          <p>
            <code>{digest}</code>
          </p>
        </div>
      </div>
    </>
  );
}

export function ImageDetailsPage({ namespace, repository, digest }: ImageDetailsPageProps) {
  const details = useImageDetails(namespace, repository, digest);
  const missing = details.error?.status === 404 || details.error?.code === 'INVALID_DIGEST';
  usePageTitle(
    details.data
      ? imageName(
          repository,
          details.data.digest,
          details.data.tags.map((t) => t.name),
        )
      : missing
        ? 'Image not found'
        : `${repository}@${shortDigest(digest)}`,
    namespace,
  );
  if (details.isPending) {
    return (
      <>
        <PageHeader
          title={`${repository}@${shortDigest(digest)}`}
          breadcrumb={<Breadcrumbs namespace={namespace} repository={repository} current="…" />}
        />
        <ImageDetailsSkeleton />
      </>
    );
  }
  if (details.error) {
    if (missing) {
      return (
        <NotFound
          namespace={namespace}
          repository={repository}
          digest={digest}
          code={details.error.code}
        />
      );
    }
    return (
      <>
        <PageHeader
          title={`${repository}@${shortDigest(digest)}`}
          breadcrumb={<Breadcrumbs namespace={namespace} repository={repository} current="Image" />}
        />
        <ErrorNotification
          error={details.error}
          // Trying again cannot help when the stored data itself fails: the message says
          // what an administrator can do instead.
          onRetry={
            details.error.code === 'INTEGRITY_FAILURE' ? undefined : () => void details.refetch()
          }
        />
      </>
    );
  }
  return <Details d={details.data} />;
}

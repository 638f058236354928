import { Breadcrumb, BreadcrumbItem, CodeSnippet, SkeletonText } from '@carbon/react';
import { Link, Navigate, useParams, useSearchParams } from 'react-router';
import { useImageList } from '../../api/images';
import { useNamespaceAccess } from '../../app/access';
import { routePaths } from '../../app/route-paths';
import { useRememberNamespace } from '../../components/NamespacePicker';
import { PageHeader } from '../../components/PageHeader';
import { pullReference } from '../../lib/format';
import { OperationsInProgress } from '../operations/OperationsInProgress';
import { useDeleteRepositoriesWithUndo } from '../repositories/use-delete-repositories';
import { DownloadLayoutButton } from '../repository-export/DownloadLayoutButton';
import { ImagesTable } from './ImagesTable';
import { usePageTitle } from '../../lib/page-title';
import { useRegistryHost } from '../../api/regions';

/** The newest tagged image, or else the newest image by digest. Same query as the table's default. */
function PullCommand({ namespace, repository }: { namespace: string; repository: string }) {
  const host = useRegistryHost();
  const newest = useImageList(namespace, repository, { q: '', sort: 'pushedAt', order: 'desc' });
  const images = newest.data?.pages[0]?.items ?? [];
  const tagged = images.find((image) => image.tags.length > 0);
  const ref = tagged?.tags[0] ?? images[0]?.digest;
  if (newest.isPending) return <SkeletonText width="24rem" />;
  if (!ref) return null;
  const command = `docker pull ${pullReference(host, namespace, repository, ref)}`;
  return (
    <div className="berth-pull">
      <span className="berth-pull__label" id="pull-command-label">
        Pull command
      </span>
      <CodeSnippet
        type="single"
        aria-labelledby="pull-command-label"
        feedback="Copied"
        copyButtonDescription="Copy pull command"
        wrapText
      >
        {command}
      </CodeSnippet>
    </div>
  );
}

/**
 * The API answers 404 alike for a repository that does not exist and for a namespace the
 * person may not see, as the namespace pages do; so does this state.
 */
function RepositoryNotFound({ namespace, repository }: { namespace: string; repository: string }) {
  return (
    <div className="berth-empty" role="status">
      <h2 className="berth-empty__title">Repository not found</h2>
      <div className="berth-empty__body">
        <p>
          There is no repository {repository} in {namespace}, or you are not a member of {namespace}
          . If its images were deleted, they may be in the trash.
        </p>
        <p className="berth-empty__links">
          <Link className="cds--link" to={routePaths.repositories(namespace)}>
            Repositories of {namespace}
          </Link>
          <Link className="cds--link" to={routePaths.trash(namespace, repository)}>
            Look in the trash
          </Link>
        </p>
      </div>
    </div>
  );
}

/**
 * Bulk work on this repository found running here (after a reload, or started elsewhere):
 * when a delete or a restore of it ends, the toast is the one the repositories page gives,
 * with Undo and the way to the trash, not a plain "it ended".
 */
function RepositoryOperations({
  namespace,
  repository,
}: {
  namespace: string;
  repository: string;
}) {
  const { tellDeletedOperation, tellRestoredOperation } = useDeleteRepositoriesWithUndo(namespace);
  return (
    <OperationsInProgress
      namespace={namespace}
      target={`${namespace}/${repository}`}
      onSucceeded={(finished) => tellDeletedOperation(finished) || tellRestoredOperation(finished)}
    />
  );
}

export function ImagesPage() {
  const params = useParams();
  // `?q=`: opened from the header search on a tag or digest, the table starts filtered on it.
  const [searchParams] = useSearchParams();
  const initialSearch = searchParams.get('q') ?? '';
  const namespace = params.namespace ?? '';
  const repository = (params['*'] ?? '').replace(/\/+$/, '');
  usePageTitle(repository, namespace);
  // The same query as the table's default order, so this costs no request of its own.
  const newest = useImageList(
    namespace,
    repository,
    { q: '', sort: 'pushedAt', order: 'desc' },
    repository !== '',
  );
  const { summary } = useNamespaceAccess(namespace);
  useRememberNamespace(namespace, summary.data !== undefined);
  if (!repository) return <Navigate to={routePaths.repositories(namespace)} replace />;
  const notFound = newest.error?.status === 404;

  return (
    <>
      <PageHeader
        title={repository}
        description={
          notFound
            ? undefined
            : 'Images in this repository. Deleted images go to the namespace trash for 30 days.'
        }
        actions={
          notFound ? undefined : (
            <DownloadLayoutButton namespace={namespace} repository={repository} />
          )
        }
        breadcrumb={
          <Breadcrumb noTrailingSlash>
            <BreadcrumbItem>
              <Link to={routePaths.namespaces()}>Namespaces</Link>
            </BreadcrumbItem>
            <BreadcrumbItem>
              <Link to={routePaths.repositories(namespace)}>{namespace}</Link>
            </BreadcrumbItem>
            <BreadcrumbItem isCurrentPage>{repository}</BreadcrumbItem>
          </Breadcrumb>
        }
      />
      {notFound ? <RepositoryNotFound namespace={namespace} repository={repository} /> : null}
      {notFound ? null : (
        <ImagesBody namespace={namespace} repository={repository} initialSearch={initialSearch} />
      )}
    </>
  );
}

function ImagesBody({
  namespace,
  repository,
  initialSearch,
}: {
  namespace: string;
  repository: string;
  /** From `?q=`: the table opens filtered on it (header search, links). */
  initialSearch: string;
}) {
  return (
    <>
      <RepositoryOperations namespace={namespace} repository={repository} />
      <PullCommand namespace={namespace} repository={repository} />
      <ImagesTable
        key={`${namespace}/${repository}?${initialSearch}`}
        namespace={namespace}
        repository={repository}
        initialSearch={initialSearch}
      />
    </>
  );
}

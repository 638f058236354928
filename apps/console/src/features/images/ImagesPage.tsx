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
import { ImagesTable } from './ImagesTable';

/** The newest tagged image, or else the newest image by digest. Same query as the table's default. */
function PullCommand({ namespace, repository }: { namespace: string; repository: string }) {
  const newest = useImageList(namespace, repository, { q: '', sort: 'pushedAt', order: 'desc' });
  const images = newest.data?.pages[0]?.items ?? [];
  const tagged = images.find((image) => image.tags.length > 0);
  const ref = tagged?.tags[0] ?? images[0]?.digest;
  if (newest.isPending) return <SkeletonText width="24rem" />;
  if (!ref) return null;
  const command = `docker pull ${pullReference(namespace, repository, ref)}`;
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
  const { summary } = useNamespaceAccess(namespace);
  useRememberNamespace(namespace, summary.data !== undefined);
  if (!repository) return <Navigate to={routePaths.repositories(namespace)} replace />;

  return (
    <>
      <PageHeader
        title={repository}
        description="Images in this repository. Deleted images go to the namespace trash for 30 days."
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

import { Breadcrumb, BreadcrumbItem } from '@carbon/react';
import { Link, useParams } from 'react-router';
import { routePaths } from '../../app/route-paths';
import { PageHeader } from '../../components/PageHeader';
import { RepositoriesTable } from './RepositoriesTable';

export function RepositoriesPage() {
  const namespace = useParams().namespace ?? '';
  return (
    <>
      <PageHeader
        title={namespace}
        description="Repositories in this namespace. Deleting a repository moves its images to the trash for 30 days."
        breadcrumb={
          <Breadcrumb noTrailingSlash>
            <BreadcrumbItem>
              <Link to={routePaths.namespaces()}>Namespaces</Link>
            </BreadcrumbItem>
            <BreadcrumbItem isCurrentPage>{namespace}</BreadcrumbItem>
          </Breadcrumb>
        }
      />
      <RepositoriesTable key={namespace} namespace={namespace} />
    </>
  );
}

import { useSearchParams } from 'react-router';
import { PageHeader } from '../../components/PageHeader';
import {
  NamespaceNotFound,
  NamespacePicker,
  useDefaultNamespace,
} from '../../components/NamespacePicker';
import { RepositoriesTable } from './RepositoriesTable';
import { usePageTitle } from '../../lib/page-title';

export function RepositoriesPickerPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const { namespace, notFound, isPending } = useDefaultNamespace(searchParams.get('namespace'));
  usePageTitle('Repositories');

  return (
    <>
      <PageHeader
        title="Repositories"
        description="Choose a namespace to see its repositories. Deleting a repository moves its images to the trash for 30 days."
      />
      <div className="berth-filters">
        <NamespacePicker
          id="repositories-namespace"
          value={namespace ?? ''}
          onChange={(next) => setSearchParams({ namespace: next })}
        />
      </div>
      {namespace ? (
        <RepositoriesTable key={namespace} namespace={namespace} />
      ) : isPending ? null : notFound ? (
        <NamespaceNotFound namespace={notFound} />
      ) : (
        <div className="berth-empty" role="status">
          <h2 className="berth-empty__title">No namespaces in this region</h2>
          <p className="berth-empty__body">
            Create a namespace on the Namespaces page, or switch region in the header.
          </p>
        </div>
      )}
    </>
  );
}

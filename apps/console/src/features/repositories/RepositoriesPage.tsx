import { useParams } from 'react-router';
import { NamespaceLayout } from '../namespaces/NamespaceLayout';
import { RepositoriesTable } from './RepositoriesTable';

export function RepositoriesPage() {
  const namespace = useParams().namespace ?? '';
  return (
    <NamespaceLayout namespace={namespace} tab="repositories">
      <p className="berth-tab-intro">
        Deleting a repository moves its images to the trash for 30 days.
      </p>
      <RepositoriesTable key={namespace} namespace={namespace} />
    </NamespaceLayout>
  );
}

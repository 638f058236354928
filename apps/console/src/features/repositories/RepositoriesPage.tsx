import { useParams } from 'react-router';
import { useNamespace } from '../../api/namespaces';
import { NamespaceLayout } from '../namespaces/NamespaceLayout';
import { NamespaceVulnerabilities } from '../vulnerabilities/NamespaceVulnerabilities';
import { LargestRepositoriesChart } from './LargestRepositoriesChart';
import { RepositoriesTable } from './RepositoriesTable';

export function RepositoriesPage() {
  const namespace = useParams().namespace ?? '';
  const summary = useNamespace(namespace).data;
  return (
    <NamespaceLayout namespace={namespace} tab="repositories">
      <NamespaceVulnerabilities namespace={namespace} />
      {summary ? <LargestRepositoriesChart summary={summary} /> : null}
      <p className="berth-tab-intro">
        Deleting a repository moves its images to the trash for 30 days.
      </p>
      <RepositoriesTable key={namespace} namespace={namespace} />
    </NamespaceLayout>
  );
}

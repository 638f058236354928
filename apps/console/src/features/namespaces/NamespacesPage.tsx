import { namespaceDeleted, type NamespaceDeleted, type NamespaceSummary } from '@berth/contract';
import {
  Button,
  OverflowMenu,
  OverflowMenuItem,
  TableBody,
  TableCell,
  TableContainer,
  TableRow,
  TableToolbar,
  TableToolbarContent,
  TableToolbarSearch,
} from '@carbon/react';
import { Add } from '@carbon/icons-react';
import { useState } from 'react';
import { namespaceRoleAllows } from '@berth/domain';
import { Link, useNavigate } from 'react-router';
import { useNamespaceList } from '../../api/namespaces';
import { useRegistryVulnerabilities } from '../../api/vulnerabilities';
import { useIsAdmin } from '../../app/access';
import { useRegion } from '../../app/RegionProvider';
import { routePaths } from '../../app/route-paths';
import { useToasts } from '../../app/ToastProvider';
import { DateText } from '../../components/DateText';
import { LoadMore } from '../../components/LoadMore';
import { PageHeader } from '../../components/PageHeader';
import { TableHeaderRow } from '../../components/TableHeaderRow';
import { ResourceTableState } from '../../components/ResourceTableState';
import { StackingTable } from '../../components/StackingTable';
import { formatBytes, pluralize } from '../../lib/format';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { OperationsInProgress } from '../operations/OperationsInProgress';
import { tellResultOf } from '../operations/use-bulk-outcome';
import { QuotaBar } from '../storage/QuotaBar';
import { quotaUse } from '../storage/quota-use';
import { CreateNamespaceModal } from './CreateNamespaceModal';
import { DeleteNamespaceModal } from './DeleteNamespaceModal';
import { NamespacesStorageChart } from './NamespacesStorageChart';
import {
  NamespaceSecurityCell,
  RegistryVulnerabilities,
} from '../vulnerabilities/RegistryVulnerabilities';
import { usePageTitle } from '../../lib/page-title';

// No Region column: the list is of the region chosen in the header, which the page names.
const HEADERS = [
  'Name',
  'Repositories',
  'Images',
  'Security',
  'Size',
  'Trash',
  'Created',
  '',
] as const;

export function NamespacesPage() {
  usePageTitle('Namespaces');
  const { region } = useRegion();
  const toasts = useToasts();
  const navigate = useNavigate();
  // Creating namespaces is deployment-wide, for admins; each row offers what its role allows.
  const isAdmin = useIsAdmin();
  const [search, setSearch] = useState('');
  const q = useDebouncedValue(search.trim());
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const list = useNamespaceList({ region, q });
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  const vulnerabilities = useRegistryVulnerabilities(region);
  const security = new Map(vulnerabilities.data?.namespaces.map((n) => [n.namespace, n]));
  const tellDeleted = (result: NamespaceDeleted) =>
    toasts.show({
      kind: 'success',
      title: `Namespace ${result.namespace} deleted`,
      subtitle: `Removed ${pluralize(result.repositories, 'repository', 'repositories')}, ${pluralize(result.images, 'image')} and ${pluralize(result.trashItems, 'trash item')} (${formatBytes(result.sizeBytes + result.trashSizeBytes)}).`,
    });

  return (
    <>
      <PageHeader
        title="Namespaces"
        description={
          region
            ? `Namespaces in region ${region}. Each groups repositories pushed as <namespace>/<repository>.`
            : 'Namespaces group repositories pushed as <namespace>/<repository>.'
        }
        actions={
          isAdmin ? (
            <Button renderIcon={Add} onClick={() => setCreating(true)} disabled={!region}>
              Create namespace
            </Button>
          ) : null
        }
      />
      <OperationsInProgress
        namespace={undefined}
        kinds={['namespace.delete']}
        onSucceeded={tellResultOf('namespace.delete', namespaceDeleted, tellDeleted)}
      />
      {list.data ? <NamespacesStorageChart namespaces={rows} more={list.hasNextPage} /> : null}
      {region ? (
        <RegistryVulnerabilities
          region={region}
          totals={vulnerabilities.data}
          error={vulnerabilities.error}
          onRetry={() => void vulnerabilities.refetch()}
        />
      ) : null}
      <TableContainer>
        <TableToolbar aria-label="Namespaces toolbar">
          <TableToolbarContent>
            <TableToolbarSearch
              persistent
              labelText="Search namespaces"
              placeholder="Search namespaces"
              onChange={(event) => {
                setSearch(typeof event === 'string' ? '' : event.target.value);
              }}
            />
          </TableToolbarContent>
        </TableToolbar>
        <ResourceTableState
          isPending={list.isPending || !region}
          error={list.error}
          isEmpty={rows.length === 0}
          isFiltered={q !== ''}
          columnCount={HEADERS.length}
          emptyTitle={`No namespaces in region ${region ?? ''}`}
          emptyBody={
            isAdmin ? (
              <p>
                Create a namespace here (or switch region in the header), then push images to it as{' '}
                <code>{`${window.location.host}/<namespace>/<repository>:<tag>`}</code>.
              </p>
            ) : (
              <p>
                You are not a member of any namespace in this region. Switch region in the header,
                or ask a namespace manager or an administrator to add you.
              </p>
            )
          }
          noMatchBody={`No namespace in this region starts with “${q}”.`}
          onRetry={() => void list.refetch()}
        >
          <StackingTable aria-label="Namespaces" size="md" useZebraStyles={false}>
            <TableHeaderRow headers={HEADERS} />
            <TableBody>
              {rows.map((ns) => (
                <TableRow key={ns.name}>
                  <TableCell>
                    <Link to={routePaths.repositories(ns.name)} className="cds--link">
                      {ns.name}
                    </Link>
                  </TableCell>
                  <TableCell>{ns.repositoryCount.toLocaleString()}</TableCell>
                  <TableCell>{ns.imageCount.toLocaleString()}</TableCell>
                  <TableCell className="berth-namespace-security-cell">
                    <NamespaceSecurityCell totals={security.get(ns.name)} />
                  </TableCell>
                  <TableCell>
                    {formatBytes(ns.sizeBytes)}
                    <QuotaCell namespace={ns} />
                  </TableCell>
                  <TableCell>
                    {ns.trashCount > 0 ? (
                      <>
                        <Link to={routePaths.trash(ns.name)} className="cds--link">
                          {pluralize(ns.trashCount, 'item')}
                        </Link>
                        <span className="berth-muted"> · {formatBytes(ns.trashSizeBytes)}</span>
                      </>
                    ) : (
                      '0'
                    )}
                  </TableCell>
                  <TableCell>
                    <DateText iso={ns.createdAt} />
                  </TableCell>
                  <TableCell className="berth-actions-cell">
                    <OverflowMenu
                      size="sm"
                      flipped
                      aria-label={`Actions for ${ns.name}`}
                      iconDescription={`Actions for ${ns.name}`}
                    >
                      <OverflowMenuItem
                        itemText="Members"
                        onClick={() => navigate(routePaths.namespaceMembers(ns.name))}
                      />
                      <OverflowMenuItem
                        itemText="Retention"
                        onClick={() => navigate(routePaths.retention(ns.name))}
                      />
                      {namespaceRoleAllows(ns.role, 'manage') ? (
                        <OverflowMenuItem
                          itemText="Settings"
                          onClick={() => navigate(routePaths.namespaceSettings(ns.name))}
                        />
                      ) : null}
                      {namespaceRoleAllows(ns.role, 'manage') ? (
                        <OverflowMenuItem
                          itemText="Delete"
                          isDelete
                          hasDivider
                          onClick={() => setDeleting(ns.name)}
                        />
                      ) : null}
                    </OverflowMenu>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </StackingTable>
        </ResourceTableState>
        <LoadMore shown={rows.length} noun="namespace" list={list} />
      </TableContainer>
      {creating ? (
        <CreateNamespaceModal
          onClose={() => setCreating(false)}
          onCreated={(ns) => {
            setCreating(false);
            toasts.show({
              kind: 'success',
              title: `Namespace ${ns.name} created`,
              subtitle: `Region ${ns.region}`,
            });
          }}
        />
      ) : null}
      {deleting ? (
        <DeleteNamespaceModal
          namespace={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={tellDeleted}
        />
      ) : null}
    </>
  );
}

/** The quota's use under the size, for a namespace that has a quota. */
function QuotaCell({ namespace }: { namespace: NamespaceSummary }) {
  const use = quotaUse(namespace);
  if (!use) return null;
  return (
    <QuotaBar
      use={use}
      trashBytes={namespace.trashSizeBytes}
      label={`Quota of ${namespace.name}`}
      compact
    />
  );
}

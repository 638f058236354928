import { Breadcrumb, BreadcrumbItem, Tab, TabList, TabPanel, TabPanels, Tabs } from '@carbon/react';
import type { ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { useNamespaceAccess } from '../../app/access';
import { routePaths } from '../../app/route-paths';
import { ErrorNotification } from '../../components/ErrorNotification';
import { useRememberNamespace } from '../../components/NamespacePicker';
import { PageHeader } from '../../components/PageHeader';
import { formatBytes } from '../../lib/format';
import { NamespaceQuota } from '../storage/NamespaceQuota';
import { usePageTitle } from '../../lib/page-title';

export type NamespaceTab = 'repositories' | 'members' | 'settings';

const TABS: { tab: NamespaceTab; label: string; path: (namespace: string) => string }[] = [
  { tab: 'repositories', label: 'Repositories', path: routePaths.repositories },
  { tab: 'members', label: 'Members', path: routePaths.namespaceMembers },
  { tab: 'settings', label: 'Settings', path: routePaths.namespaceSettings },
];

interface NamespaceLayoutProps {
  namespace: string;
  tab: NamespaceTab;
  children: ReactNode;
}

/**
 * One namespace's pages: its repositories, its members and (for managers) its settings,
 * each at its own address so a tab can be linked to and the back button works.
 */
export function NamespaceLayout({ namespace, tab, children }: NamespaceLayoutProps) {
  const navigate = useNavigate();
  const { summary, role, canManage } = useNamespaceAccess(namespace);
  // Settings are for managers; opened by address anyway, the tab stays and says so.
  const tabs = TABS.filter((t) => t.tab !== 'settings' || canManage || tab === 'settings');
  const selectedIndex = Math.max(
    0,
    tabs.findIndex((t) => t.tab === tab),
  );
  const data = summary.data;
  useRememberNamespace(namespace, data !== undefined);
  usePageTitle(TABS.find((t) => t.tab === tab)?.label ?? namespace, namespace);

  const breadcrumb = (
    <Breadcrumb noTrailingSlash>
      <BreadcrumbItem>
        <Link to={routePaths.namespaces()}>Namespaces</Link>
      </BreadcrumbItem>
      <BreadcrumbItem isCurrentPage>{namespace}</BreadcrumbItem>
    </Breadcrumb>
  );

  // A namespace the person has no role in answers 404, exactly like one that does not exist.
  if (summary.error?.status === 404) {
    return (
      <>
        <PageHeader title={namespace} breadcrumb={breadcrumb} />
        <div className="berth-empty" role="status">
          <h2 className="berth-empty__title">Namespace not found</h2>
          <p className="berth-empty__body">
            There is no namespace {namespace}, or you are not a member of it. A manager of the
            namespace or an administrator can add you.
          </p>
        </div>
      </>
    );
  }

  return (
    <>
      <PageHeader
        title={namespace}
        breadcrumb={breadcrumb}
        description={
          data
            ? [
                `Region ${data.region}`,
                formatBytes(data.sizeBytes),
                data.public ? 'public: anyone can pull' : 'private',
                `your role: ${role ?? 'none'}`,
              ].join(' · ')
            : undefined
        }
      />
      {/* The settings tab shows the bar beside the quota it edits instead. */}
      {tab !== 'settings' ? <NamespaceQuota namespace={namespace} /> : null}
      {summary.error ? (
        <ErrorNotification
          error={summary.error}
          title="The namespace could not be loaded"
          onRetry={() => void summary.refetch()}
        />
      ) : null}
      <Tabs
        selectedIndex={selectedIndex}
        onChange={({ selectedIndex: index }) => {
          const next = tabs[index];
          if (next && next.tab !== tab) navigate(next.path(namespace));
        }}
      >
        <TabList aria-label={`Sections of ${namespace}`}>
          {tabs.map((t) => (
            <Tab key={t.tab}>{t.label}</Tab>
          ))}
        </TabList>
        <TabPanels>
          {tabs.map((t) => (
            <TabPanel key={t.tab} className="berth-tab-panel">
              {t.tab === tab ? children : null}
            </TabPanel>
          ))}
        </TabPanels>
      </Tabs>
    </>
  );
}

import {
  Button,
  InlineNotification,
  SkeletonText,
  Tab,
  TabList,
  TabPanel,
  TabPanels,
  Tabs,
  Tag,
} from '@carbon/react';
import { Add } from '@carbon/icons-react';
import type { ProjectQuota, ProjectSummary } from '@berth/contract';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useProjectList } from '../../api/projects';
import { projectAccess, useIsAdmin } from '../../app/access';
import { useRegion } from '../../app/RegionProvider';
import { routePaths } from '../../app/route-paths';
import { useToasts } from '../../app/ToastProvider';
import { ClientTable, type Column } from '../../components/ClientTable';
import { DateText } from '../../components/DateText';
import { PageHeader } from '../../components/PageHeader';
import { formatDateTime, formatTimeLeft, pluralize } from '../../lib/format';
import { useNow } from '../../lib/use-now';
import { CreateProjectModal } from './CreateProjectModal';
import { DeleteProjectModal } from './DeleteProjectModal';
import { RowActionsMenu } from './RowActionsMenu';
import { useProjectToasts } from './use-project-toasts';
import { usePageTitle } from '../../lib/page-title';

type View = 'active' | 'deleted';

export function ProjectsPage() {
  return <ProjectsView view="active" />;
}

export function DeletedProjectsPage() {
  return <ProjectsView view="deleted" />;
}

/** "12 of 20 projects in us-south (2 deleted)": deleted projects count until they are purged. */
function quotaText(quota: ProjectQuota): string {
  const deleted = quota.deleted > 0 ? ` (${quota.deleted.toLocaleString()} deleted)` : '';
  return `${quota.used.toLocaleString()} of ${quota.limit.toLocaleString()} projects in ${quota.region}${deleted}`;
}

function QuotaLine({ quota }: { quota: ProjectQuota | undefined }) {
  if (!quota) return <SkeletonText width="16rem" className="berth-quota" />;
  const full = quota.used >= quota.limit;
  return (
    <>
      <p className="berth-quota">{quotaText(quota)}</p>
      {full ? (
        <InlineNotification
          className="berth-quota__full"
          kind="warning"
          lowContrast
          hideCloseButton
          title={`${quota.region} is at its limit of ${quota.limit} projects.`}
          subtitle={
            quota.deleted > 0
              ? 'Deleted projects count until they are deleted for good: delete one permanently under Deleted projects to create another.'
              : 'Delete a project to create another.'
          }
        />
      ) : null}
    </>
  );
}

function contents(project: ProjectSummary): string {
  const { apps, jobs, secrets, configMaps } = project.counts;
  const parts = [
    apps > 0 ? pluralize(apps, 'app') : null,
    jobs > 0 ? pluralize(jobs, 'job') : null,
    secrets > 0 ? pluralize(secrets, 'secret') : null,
    configMaps > 0 ? pluralize(configMaps, 'config map') : null,
  ].filter((part): part is string => part !== null);
  return parts.length > 0 ? parts.join(', ') : 'empty';
}

const byName = (a: ProjectSummary, b: ProjectSummary) => a.name.localeCompare(b.name);
const nameMatches = (project: ProjectSummary, query: string) =>
  project.name.toLowerCase().includes(query);

/** Both tables link the name: a deleted project's details are still shown, read-only. */
const nameColumn: Column<ProjectSummary> = {
  key: 'name',
  header: 'Name',
  sortValue: (p) => p.name,
  render: (p) => (
    <Link to={routePaths.project(p.id)} className="cds--link">
      {p.name}
    </Link>
  ),
};

function ProjectsView({ view }: { view: View }) {
  const { region } = useRegion();
  const navigate = useNavigate();
  const toasts = useToasts();
  const list = useProjectList(region, view);
  usePageTitle(view === 'deleted' ? 'Deleted projects' : 'Projects', region);
  const projectToasts = useProjectToasts();
  // Creating projects is deployment-wide, for admins; each row offers what its role allows.
  const isAdmin = useIsAdmin();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ProjectSummary | null>(null);
  const quota = list.data?.quota;
  const items = list.data ? [...list.data.items].sort(byName) : undefined;

  return (
    <>
      <PageHeader
        title="Projects"
        description={`Projects${region ? ` in region ${region}` : ''} group apps, jobs, secrets and config maps. Apps and jobs point at images; the images stay in their namespaces.`}
        actions={
          isAdmin ? (
            <Button renderIcon={Add} onClick={() => setCreating(true)} disabled={!region}>
              Create project
            </Button>
          ) : null
        }
      />
      <QuotaLine quota={quota} />
      <Tabs
        selectedIndex={view === 'active' ? 0 : 1}
        onChange={({ selectedIndex }) =>
          navigate(selectedIndex === 0 ? routePaths.projects() : routePaths.deletedProjects())
        }
      >
        <TabList aria-label="Projects and deleted projects">
          <Tab>Projects</Tab>
          <Tab>
            Deleted projects
            {quota && quota.deleted > 0 ? ` (${quota.deleted.toLocaleString()})` : ''}
          </Tab>
        </TabList>
        <TabPanels>
          <TabPanel className="berth-tab-panel">
            {view === 'active' ? (
              <ActiveProjectsTable
                region={region}
                items={items}
                list={list}
                onCreate={isAdmin ? () => setCreating(true) : undefined}
                onDelete={setDeleting}
              />
            ) : null}
          </TabPanel>
          <TabPanel className="berth-tab-panel">
            {view === 'deleted' ? (
              <DeletedProjectsTable
                region={region}
                items={items}
                list={list}
                onRestore={(project) => void projectToasts.restoreProject(project)}
                isRestoring={projectToasts.isRestoring}
                onDelete={setDeleting}
              />
            ) : null}
          </TabPanel>
        </TabPanels>
      </Tabs>
      {creating ? (
        <CreateProjectModal
          quota={quota}
          onClose={() => setCreating(false)}
          onCreated={(project) => {
            setCreating(false);
            toasts.show({
              kind: 'success',
              title: `Project ${project.name} created`,
              subtitle: `Region ${project.region}. Add its apps, jobs, secrets and config maps here.`,
            });
            navigate(routePaths.project(project.id));
          }}
        />
      ) : null}
      {deleting ? (
        <DeleteProjectModal
          project={deleting}
          permanentOnly={deleting.status === 'deleted'}
          onClose={() => setDeleting(null)}
          onDeleted={(result) => {
            setDeleting(null);
            projectToasts.deleted(result);
          }}
        />
      ) : null}
    </>
  );
}

interface TableProps {
  region: string | undefined;
  items: ProjectSummary[] | undefined;
  list: ReturnType<typeof useProjectList>;
  onDelete: (project: ProjectSummary) => void;
}

function ActiveProjectsTable({
  region,
  items,
  list,
  onCreate,
  onDelete,
}: TableProps & { onCreate: (() => void) | undefined }) {
  const navigate = useNavigate();
  const count = (key: keyof ProjectSummary['counts'], header: string): Column<ProjectSummary> => ({
    key,
    header,
    sortValue: (p) => p.counts[key],
    render: (p) => p.counts[key].toLocaleString(),
  });
  const columns: Column<ProjectSummary>[] = [
    nameColumn,
    count('apps', 'Apps'),
    count('jobs', 'Jobs'),
    count('secrets', 'Secrets'),
    count('configMaps', 'Config maps'),
    {
      key: 'createdAt',
      header: 'Created',
      sortValue: (p) => p.createdAt,
      render: (p) => (
        <span className="berth-stacked">
          <DateText iso={p.createdAt} />
          <span className="berth-muted">by {p.createdBy}</span>
        </span>
      ),
    },
  ];
  return (
    <ClientTable
      label={`Projects in ${region ?? ''}`}
      items={items}
      getId={(p) => p.id}
      columns={columns}
      search={{ label: 'Search projects', matches: nameMatches }}
      isPending={list.isPending}
      error={list.error}
      onRetry={() => void list.refetch()}
      emptyTitle={`No projects in ${region ?? 'this region'}`}
      emptyBody={
        onCreate ? (
          <>
            <p>
              Create a project to group the apps, jobs, secrets and config maps of one product or
              team, or switch region in the header.
            </p>
            <Button kind="tertiary" size="sm" renderIcon={Add} onClick={onCreate}>
              Create project
            </Button>
          </>
        ) : (
          <p>
            You are not a member of any project here. Switch region in the header, or ask a project
            manager or an administrator to add you.
          </p>
        )
      }
      noMatchBody="No project name contains this text."
      rowActions={(p) => (
        <RowActionsMenu
          name={p.name}
          actionText="Open"
          onAction={() => navigate(routePaths.project(p.id))}
          onDelete={projectAccess(p).canManage ? () => onDelete(p) : undefined}
        />
      )}
    />
  );
}

function TimeLeft({ purgeAt, now }: { purgeAt: string | null; now: number }) {
  const hoursLeft = purgeAt ? (new Date(purgeAt).getTime() - now) / 3_600_000 : 0;
  return (
    <Tag
      size="sm"
      type={hoursLeft < 24 ? 'red' : 'gray'}
      title={`Deleted for good ${formatDateTime(purgeAt)}`}
    >
      {formatTimeLeft(purgeAt, now)}
    </Tag>
  );
}

function DeletedProjectsTable({
  region,
  items,
  list,
  onRestore,
  isRestoring,
  onDelete,
}: TableProps & { onRestore: (project: ProjectSummary) => void; isRestoring: boolean }) {
  const now = useNow();
  const columns: Column<ProjectSummary>[] = [
    nameColumn,
    {
      key: 'deletedAt',
      header: 'Deleted',
      sortValue: (p) => p.deletedAt ?? '',
      render: (p) => <DateText iso={p.deletedAt} />,
    },
    {
      key: 'purgeAt',
      header: 'Time left',
      sortValue: (p) => p.purgeAt ?? '',
      render: (p) => <TimeLeft purgeAt={p.purgeAt} now={now} />,
    },
    {
      key: 'contents',
      header: 'Contents',
      render: (p) => contents(p),
      className: 'berth-wrap',
    },
  ];
  return (
    <ClientTable
      label={`Deleted projects in ${region ?? ''}`}
      items={items}
      getId={(p) => p.id}
      columns={columns}
      search={{ label: 'Search deleted projects', matches: nameMatches }}
      isPending={list.isPending}
      error={list.error}
      onRetry={() => void list.refetch()}
      emptyTitle={`No deleted projects in ${region ?? 'this region'}`}
      emptyBody={
        <p>
          A deleted project stays here for 7 days, and can be restored with everything it held until
          then. After that it is deleted for good.
        </p>
      }
      noMatchBody="No deleted project name contains this text."
      // Restoring and deleting for good are a project manager's.
      rowActions={(p) =>
        projectAccess(p).canManage ? (
          <div className="berth-row-actions">
            <Button
              kind="ghost"
              size="sm"
              disabled={isRestoring}
              aria-label={`Restore ${p.name}`}
              onClick={() => onRestore(p)}
            >
              Restore
            </Button>
            <Button
              kind="danger--ghost"
              size="sm"
              aria-label={`Delete permanently ${p.name}`}
              onClick={() => onDelete(p)}
            >
              Delete permanently…
            </Button>
          </div>
        ) : null
      }
    />
  );
}

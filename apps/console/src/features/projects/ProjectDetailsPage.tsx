import {
  ActionableNotification,
  Breadcrumb,
  InlineNotification,
  BreadcrumbItem,
  Button,
  DataTableSkeleton,
  SkeletonText,
  Tab,
  TabList,
  TabPanel,
  TabPanels,
  Tabs,
} from '@carbon/react';
import { TrashCan } from '@carbon/icons-react';
import type { ProjectChildKind, ProjectSummary } from '@berth/contract';
import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useProject } from '../../api/projects';
import { projectAccess } from '../../app/access';
import { routePaths } from '../../app/route-paths';
import { ErrorNotification } from '../../components/ErrorNotification';
import { PageHeader } from '../../components/PageHeader';
import { formatDate, formatDateTime, formatTimeLeft } from '../../lib/format';
import { useNow } from '../../lib/use-now';
import { ConfigMapsTab } from './ConfigMapsTab';
import { ProjectMembersTab } from './ProjectMembersTab';
import { DeleteProjectModal } from './DeleteProjectModal';
import { SecretsTab } from './SecretsTab';
import { useProjectToasts } from './use-project-toasts';
import { WorkloadsTab } from './WorkloadsTab';
import { usePageTitle } from '../../lib/page-title';

type ProjectTab = ProjectChildKind | 'members';

const TABS: { kind: ProjectTab; label: string; count?: keyof ProjectSummary['counts'] }[] = [
  { kind: 'apps', label: 'Apps', count: 'apps' },
  { kind: 'jobs', label: 'Jobs', count: 'jobs' },
  { kind: 'secrets', label: 'Secrets', count: 'secrets' },
  { kind: 'config-maps', label: 'Config maps', count: 'configMaps' },
  { kind: 'members', label: 'Members' },
];

function Breadcrumbs({ current }: { current: string }) {
  return (
    <Breadcrumb noTrailingSlash>
      <BreadcrumbItem>
        <Link to={routePaths.projects()}>Projects</Link>
      </BreadcrumbItem>
      <BreadcrumbItem isCurrentPage>{current}</BreadcrumbItem>
    </Breadcrumb>
  );
}

export function ProjectDetailsPage() {
  const projectId = useParams().projectId ?? '';
  const project = useProject(projectId);
  usePageTitle(
    project.data?.name ?? (project.error?.status === 404 ? 'Project not found' : 'Project'),
    'Projects',
  );

  if (project.isPending) {
    return (
      <>
        <PageHeader title="Project" breadcrumb={<Breadcrumbs current="…" />} />
        <SkeletonText width="24rem" />
        <DataTableSkeleton aria-label="Loading project" showHeader={false} rowCount={3} />
      </>
    );
  }
  if (project.error) {
    const gone = project.error.status === 404;
    return (
      <>
        <PageHeader
          title={gone ? 'Project not found' : 'Project'}
          breadcrumb={<Breadcrumbs current={gone ? 'Not found' : 'Project'} />}
        />
        {gone ? (
          <div className="berth-empty" role="status">
            <h2 className="berth-empty__title">This project does not exist</h2>
            <div className="berth-empty__body">
              <p>
                It may have been deleted permanently. Deleted projects that can still be restored
                are listed under{' '}
                <Link to={routePaths.deletedProjects()} className="cds--link">
                  Deleted projects
                </Link>
                .
              </p>
            </div>
          </div>
        ) : (
          <ErrorNotification error={project.error} onRetry={() => void project.refetch()} />
        )}
      </>
    );
  }
  return <ProjectDetails project={project.data} />;
}

function DeletedBanner({ project }: { project: ProjectSummary }) {
  const now = useNow();
  const { restoreProject, isRestoring } = useProjectToasts();
  const subtitle = `Deleted ${formatDateTime(project.deletedAt)}: ${formatTimeLeft(project.purgeAt, now)} to restore it (until ${formatDateTime(project.purgeAt)}). Until then it is read-only.`;
  // Restoring is a project manager's; everyone else sees the same state without the action.
  if (!projectAccess(project).canManage) {
    return (
      <InlineNotification
        className="berth-banner"
        kind="warning"
        lowContrast
        hideCloseButton
        role="status"
        title="This project is deleted."
        subtitle={subtitle}
      />
    );
  }
  return (
    <ActionableNotification
      className="berth-banner"
      kind="warning"
      inline
      lowContrast
      hideCloseButton
      hasFocus={false}
      closeOnEscape={false}
      // A page-level state, not an interruption: Carbon's alertdialog role would trap Tab.
      role="status"
      title="This project is deleted."
      subtitle={subtitle}
      actionButtonLabel={isRestoring ? 'Restoring…' : 'Restore project'}
      onActionButtonClick={() => {
        if (!isRestoring) void restoreProject(project);
      }}
    />
  );
}

function ProjectDetails({ project }: { project: ProjectSummary }) {
  const navigate = useNavigate();
  const [searchParams, setSearchParams] = useSearchParams();
  const [deleting, setDeleting] = useState(false);
  const projectToasts = useProjectToasts();
  const deleted = project.status === 'deleted';
  const { canManage } = projectAccess(project);
  const requested = searchParams.get('tab');
  const tabIndex = Math.max(
    0,
    TABS.findIndex((tab) => tab.kind === requested),
  );

  return (
    <>
      <PageHeader
        title={project.name}
        breadcrumb={
          <Breadcrumb noTrailingSlash>
            <BreadcrumbItem>
              <Link to={routePaths.projects()}>Projects</Link>
            </BreadcrumbItem>
            {deleted ? (
              <BreadcrumbItem>
                <Link to={routePaths.deletedProjects()}>Deleted projects</Link>
              </BreadcrumbItem>
            ) : null}
            <BreadcrumbItem isCurrentPage>{project.name}</BreadcrumbItem>
          </Breadcrumb>
        }
        description={`Region ${project.region} · created ${formatDate(project.createdAt)} by ${project.createdBy}`}
        actions={
          canManage ? (
            <Button kind="danger--tertiary" renderIcon={TrashCan} onClick={() => setDeleting(true)}>
              {deleted ? 'Delete permanently' : 'Delete project'}
            </Button>
          ) : null
        }
      />
      {deleted ? <DeletedBanner project={project} /> : null}
      <Tabs
        selectedIndex={tabIndex}
        onChange={({ selectedIndex }) => {
          const kind = TABS[selectedIndex]?.kind ?? 'apps';
          setSearchParams(
            (current) => {
              const next = new URLSearchParams(current);
              if (kind === 'apps') next.delete('tab');
              else next.set('tab', kind);
              return next;
            },
            { replace: true },
          );
        }}
      >
        <TabList aria-label={`Contents of ${project.name}`}>
          {TABS.map((tab) => (
            <Tab key={tab.kind}>
              {tab.label}
              {tab.count ? ` (${project.counts[tab.count].toLocaleString()})` : ''}
            </Tab>
          ))}
        </TabList>
        <TabPanels>
          {TABS.map((tab, index) => (
            <TabPanel key={tab.kind} className="berth-tab-panel">
              {index !== tabIndex ? null : tab.kind === 'apps' || tab.kind === 'jobs' ? (
                <WorkloadsTab kind={tab.kind} project={project} />
              ) : tab.kind === 'secrets' ? (
                <SecretsTab project={project} />
              ) : tab.kind === 'config-maps' ? (
                <ConfigMapsTab project={project} />
              ) : (
                <ProjectMembersTab project={project} />
              )}
            </TabPanel>
          ))}
        </TabPanels>
      </Tabs>
      {deleting ? (
        <DeleteProjectModal
          project={project}
          permanentOnly={deleted}
          onClose={() => setDeleting(false)}
          onDeleted={(result) => {
            setDeleting(false);
            projectToasts.deleted(result);
            navigate(
              result.permanent && deleted ? routePaths.deletedProjects() : routePaths.projects(),
            );
          }}
        />
      ) : null}
    </>
  );
}

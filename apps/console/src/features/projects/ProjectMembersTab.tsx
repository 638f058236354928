import type { ProjectSummary } from '@berth/contract';
import { useProjectMembers, useRemoveProjectMember, useSetProjectMember } from '../../api/members';
import { projectAccess } from '../../app/access';
import { MembersTable } from '../members/MembersTable';
import { PROJECT_ROLE_OPTIONS } from '../members/roles';

export function ProjectMembersTab({ project }: { project: ProjectSummary }) {
  const members = useProjectMembers(project.id);
  const setMember = useSetProjectMember();
  const removeMember = useRemoveProjectMember();
  // A deleted project is read-only until restored, its members included.
  const canManage = projectAccess(project).canManage && project.status !== 'deleted';
  return (
    <>
      <p className="berth-tab-intro">
        Viewers see the project, editors also change its apps, jobs, secrets and config maps,
        managers also manage members and delete or restore it. Administrators can do everything here
        without being members.
      </p>
      <MembersTable
        id={project.id}
        where={`project ${project.name}`}
        roles={PROJECT_ROLE_OPTIONS}
        members={members}
        setMember={setMember}
        removeMember={removeMember}
        canManage={canManage}
      />
    </>
  );
}

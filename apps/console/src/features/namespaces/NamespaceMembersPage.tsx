import { useParams } from 'react-router';
import {
  useNamespaceMembers,
  useRemoveNamespaceMember,
  useSetNamespaceMember,
} from '../../api/members';
import { useNamespaceAccess } from '../../app/access';
import { MembersTable } from '../members/MembersTable';
import { NAMESPACE_ROLE_OPTIONS } from '../members/roles';
import { NamespaceLayout } from './NamespaceLayout';

export function NamespaceMembersPage() {
  const namespace = useParams().namespace ?? '';
  const { canManage } = useNamespaceAccess(namespace);
  const members = useNamespaceMembers(namespace);
  const setMember = useSetNamespaceMember();
  const removeMember = useRemoveNamespaceMember();
  return (
    <NamespaceLayout namespace={namespace} tab="members">
      <p className="berth-tab-intro">
        Viewers pull, writers also push and delete, managers also run retention and manage the
        namespace. Administrators can do everything here without being members.
      </p>
      <MembersTable
        key={namespace}
        id={namespace}
        where={namespace}
        roles={NAMESPACE_ROLE_OPTIONS}
        members={members}
        setMember={setMember}
        removeMember={removeMember}
        canManage={canManage}
      />
    </NamespaceLayout>
  );
}

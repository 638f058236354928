import { useCurrentUser } from '../../api/session';
import { useToasts } from '../../app/ToastProvider';
import { PageHeader } from '../../components/PageHeader';
import { ChangePasswordForm } from './ChangePasswordForm';
import { usePageTitle } from '../../lib/page-title';

export function AccountPasswordPage() {
  usePageTitle('Change password');
  const user = useCurrentUser();
  const toasts = useToasts();
  if (!user) return null;
  return (
    <>
      <PageHeader
        title="Change password"
        description={`For ${user.username}. Changing it signs you out everywhere else; this browser stays signed in.`}
      />
      <div className="berth-narrow-form">
        <ChangePasswordForm
          username={user.username}
          onChanged={() =>
            toasts.show({
              kind: 'success',
              title: 'Password changed',
              subtitle: 'Your sessions in other browsers have ended.',
            })
          }
        />
      </div>
    </>
  );
}

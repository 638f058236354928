import { Button } from '@carbon/react';
import { useSignOut } from '../../api/session';
import { BarePage } from '../../app/BarePage';
import { ErrorNotification } from '../../components/ErrorNotification';
import { ChangePasswordForm } from './ChangePasswordForm';
import { usePageTitle } from '../../lib/page-title';

/**
 * A one-time password (printed at first start, or set by an administrator) opens nothing
 * but this page: the API refuses every other call until the password is changed.
 */
export function ForcedPasswordChangePage({ username }: { username: string }) {
  usePageTitle('Choose a new password');
  const signOut = useSignOut();
  return (
    <BarePage>
      <h1 className="berth-bare__title">Choose a new password</h1>
      <p className="berth-bare__intro">
        Signed in as <strong>{username}</strong> with a temporary password. Choose your own to
        continue; the temporary one stops working.
      </p>
      {/* On success the session no longer asks for a change and the page you wanted opens. */}
      <ChangePasswordForm username={username} onChanged={() => undefined} />
      {signOut.error ? <ErrorNotification error={signOut.error} title="Not signed out" /> : null}
      <Button
        kind="ghost"
        className="berth-bare__secondary"
        disabled={signOut.isPending}
        onClick={() => signOut.mutate()}
      >
        Sign out instead
      </Button>
    </BarePage>
  );
}

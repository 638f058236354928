import { Loading } from '@carbon/react';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { queryKeys } from '../api/query-keys';
import { useSession } from '../api/session';
import { onSessionEvent } from '../api/session-events';
import { ErrorNotification } from '../components/ErrorNotification';
import { ForcedPasswordChangePage } from '../features/session/ForcedPasswordChangePage';
import { SignInPage } from '../features/session/SignInPage';
import { AppShell } from './AppShell';
import { BarePage } from './BarePage';
import { RegionProvider } from './RegionProvider';
import type { ApiError } from '../api/client';
import { usePageTitle } from '../lib/page-title';

/**
 * Decides what any address shows: the sign-in page without a session, the password change
 * while the session requires one, else the console. The address never changes here, so the
 * page someone was on (or was sent to) opens as soon as they are signed in.
 */
export function SessionGate() {
  const queryClient = useQueryClient();
  const session = useSession();
  const [ended, setEnded] = useState(false);
  // Signed in again: a later sign-out is a choice, not an ending to explain.
  if (ended && session.data) setEnded(false);

  // Any call may learn that the session is gone (a 401) or changed (a 403 asking for a new
  // password, a stale CSRF token); the client reports it here rather than to each page.
  useEffect(
    () =>
      onSessionEvent((event) => {
        if (event === 'ended') {
          if (queryClient.getQueryData(queryKeys.session())) setEnded(true);
          queryClient.setQueryData(queryKeys.session(), null);
        } else {
          void queryClient.invalidateQueries({ queryKey: queryKeys.session() });
        }
      }),
    [queryClient],
  );

  if (session.isPending) {
    return (
      <Loading description="Loading Berth" withOverlay={false} className="berth-gate-loading" />
    );
  }
  if (session.error) {
    return <Unreachable error={session.error} onRetry={() => void session.refetch()} />;
  }
  if (!session.data) return <SignInPage sessionEnded={ended} />;
  if (session.data.user.mustChangePassword) {
    return <ForcedPasswordChangePage username={session.data.user.username} />;
  }
  // Regions (and everything else) load only with a session: signed out, every call is a 401.
  return (
    <RegionProvider>
      <AppShell />
    </RegionProvider>
  );
}

function Unreachable({ error, onRetry }: { error: ApiError; onRetry: () => void }) {
  usePageTitle('Berth is not reachable');
  return (
    <BarePage>
      <h1 className="berth-bare__title">Berth is not reachable</h1>
      <ErrorNotification error={error} onRetry={onRetry} />
    </BarePage>
  );
}

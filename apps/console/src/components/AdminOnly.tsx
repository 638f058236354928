import { Button } from '@carbon/react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useIsAdmin } from '../app/access';
import { routePaths } from '../app/route-paths';
import { PageHeader } from './PageHeader';
import { usePageTitle } from '../lib/page-title';

/**
 * An administrators' page. Anyone else who opens its address (a bookmark, a shared link)
 * is told plainly it is not for their account, instead of being offered actions the API
 * will refuse and shown the refusal.
 */
export function AdminOnly({
  title,
  what,
  children,
}: {
  title: string;
  /** What the page does, finishing "Only administrators can …". */
  what: string;
  children: ReactNode;
}) {
  usePageTitle(title);
  const isAdmin = useIsAdmin();
  if (isAdmin) return <>{children}</>;
  return (
    <>
      <PageHeader title={title} />
      <div className="berth-empty" role="status">
        <h2 className="berth-empty__title">Not available to your account</h2>
        <div className="berth-empty__body">
          <p>Only administrators can {what}. Ask a Berth administrator if you need this done.</p>
          <Button as={Link} to={routePaths.namespaces()} kind="primary" size="md">
            Go to namespaces
          </Button>
        </div>
      </div>
    </>
  );
}

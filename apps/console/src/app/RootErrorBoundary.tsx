import { Button, InlineNotification } from '@carbon/react';
import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { routePaths } from './route-paths';
import { usePageTitle } from '../lib/page-title';

/** Last line of defence: a render error or unknown URL still leaves a way back. */
export function RootErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  const message = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : String(error);
  usePageTitle(notFound ? 'Page not found' : 'Something went wrong');
  return (
    <main className="berth-content berth-content--bare" id="main-content">
      <h1 className="berth-page-header__title">
        {notFound ? 'Page not found' : 'Something went wrong'}
      </h1>
      <InlineNotification
        kind="error"
        lowContrast
        hideCloseButton
        title={notFound ? 'There is no page at this address.' : 'The console hit an error.'}
        subtitle={message}
      />
      <Button as={Link} to={routePaths.namespaces()} kind="primary">
        Go to namespaces
      </Button>
    </main>
  );
}

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <div>
      <h1 className="berth-page-header__title">Page not found</h1>
      <p className="berth-page-header__description">There is no page at this address.</p>
      <Button as={Link} to={routePaths.namespaces()} kind="primary">
        Go to namespaces
      </Button>
    </div>
  );
}

import { Button, InlineNotification } from '@carbon/react';
import type { ApiError } from '../api/client';
import { titleForPeople } from '../api/error-words';

interface ErrorNotificationProps {
  error: ApiError;
  title?: string;
  onRetry?: () => void;
}

/** The server's own message, plus what to do about it. */
export function ErrorNotification({ error, title, onRetry }: ErrorNotificationProps) {
  return (
    <div className="berth-error">
      <InlineNotification
        kind="error"
        lowContrast
        hideCloseButton
        title={title ?? errorTitle(error)}
        subtitle={error.message}
      />
      {onRetry ? (
        <Button kind="tertiary" size="sm" onClick={onRetry}>
          Try again
        </Button>
      ) : null}
    </div>
  );
}

function errorTitle(error: ApiError): string {
  const known = titleForPeople(error.code);
  if (known) return known;
  if (error.status === 0) return 'Connection problem';
  if (error.status === 404) return 'Not found';
  if (error.status === 409) return 'Conflict';
  if (error.status === 413) return 'Too large';
  if (error.status >= 500) return 'Server error';
  return 'Request failed';
}

import { Link } from 'react-router';
import { useIsAdmin } from '../../app/access';
import { routePaths } from '../../app/route-paths';

/**
 * What gets images scanned, for a place that has none scanned yet: pushes are scanned as they
 * arrive (scan-on-push), an image can be scanned from its page, and nothing is found without
 * the advisory data an administrator imports.
 */
export function NextSteps({ queued }: { queued: number }) {
  const isAdmin = useIsAdmin();
  return (
    <p className="berth-empty__body">
      {queued > 0
        ? `${queued.toLocaleString()} ${queued === 1 ? 'image waits' : 'images wait'} for a scan; the totals count ${queued === 1 ? 'it' : 'them'} once done. `
        : ''}
      With scan-on-push on (the default), Berth scans images as they are pushed, and older ones once
      its queue is empty. To scan one now, open the image and choose <strong>Scan now</strong>.
      Scans match packages against advisory data that an administrator imports
      {isAdmin ? (
        <>
          {' '}
          at <Link to={routePaths.advisories()}>Administration → Advisory data</Link>.
        </>
      ) : (
        ' (Administration → Advisory data).'
      )}
    </p>
  );
}

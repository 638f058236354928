import { SkeletonText } from '@carbon/react';
import { useId } from 'react';
import { Link } from 'react-router';
import { useAdvisoryData } from '../../api/advisories';
import { useNamespaceVulnerabilities } from '../../api/vulnerabilities';
import { useIsAdmin } from '../../app/access';
import { routePaths } from '../../app/route-paths';
import { ErrorNotification } from '../../components/ErrorNotification';
import { SeverityCounts } from '../images/image-details/VulnerabilitiesSection';
import { NextSteps } from './NextSteps';
import { anyScanned, coverageWords, worstWords } from './vulnerability-words';
import './vulnerabilities.scss';

/**
 * A namespace's vulnerabilities at a glance, where its managers land: findings by severity over
 * its live images' newest scans, how many images are scanned, and the repositories to look at
 * first (each a link to its images, whose Security column says which).
 */
export function NamespaceVulnerabilities({ namespace }: { namespace: string }) {
  const titleId = useId();
  const totals = useNamespaceVulnerabilities(namespace);
  const t = totals.data;
  if (totals.error) {
    return (
      <ErrorNotification
        error={totals.error}
        title="The vulnerability totals could not be loaded"
        onRetry={() => void totals.refetch()}
      />
    );
  }
  // A namespace without images says so in its repositories table.
  if (t?.images === 0) return null;
  return (
    <section className="berth-vulnerability-totals" aria-labelledby={titleId}>
      <h2 id={titleId} className="berth-vulnerability-totals__title">
        Vulnerabilities
      </h2>
      {!t ? (
        <SkeletonText paragraph lineCount={2} width="32rem" />
      ) : !anyScanned(t) ? (
        <>
          <p className="berth-vulnerability-totals__coverage">
            {t.images === 1
              ? `The image in ${namespace} has not been scanned yet.`
              : `None of the ${t.images.toLocaleString()} images in ${namespace} has been scanned yet.`}
          </p>
          <NextSteps queued={t.queued} />
        </>
      ) : (
        <>
          <SeverityCounts result={t} />
          <p className="berth-vulnerability-totals__coverage">{coverageWords(t)}</p>
          {t.withFindings === 0 ? <NoAdvisoryData /> : null}
          {t.mostAffected.length > 0 ? (
            <div className="berth-vulnerability-totals__affected">
              <span className="berth-muted">Most affected:</span>
              <ul aria-label="Most affected repositories">
                {t.mostAffected.map((r) => (
                  <li key={r.repository}>
                    <Link className="cds--link" to={routePaths.images(namespace, r.repository)}>
                      {r.repository}
                    </Link>{' '}
                    <span className="berth-muted">({worstWords(r)})</span>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}

/** "No known vulnerabilities" means little without advisories to match: say so. */
function NoAdvisoryData() {
  const advisories = useAdvisoryData();
  const isAdmin = useIsAdmin();
  if (advisories.data?.advisories !== 0) return null;
  return (
    <p className="berth-vulnerability-totals__coverage">
      No advisory data has been imported, so scans list packages but can find no vulnerability.{' '}
      {isAdmin ? (
        <Link className="cds--link" to={routePaths.advisories()}>
          Import advisory data
        </Link>
      ) : (
        'An administrator imports it (Administration → Advisory data).'
      )}
    </p>
  );
}

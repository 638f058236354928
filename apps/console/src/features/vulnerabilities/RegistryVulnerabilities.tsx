import type { RegistryVulnerabilities as Totals } from '@berth/contract';
import { SkeletonText } from '@carbon/react';
import { useId } from 'react';
import type { ApiError } from '../../api/client';
import { ErrorNotification } from '../../components/ErrorNotification';
import { pluralize } from '../../lib/format';
import { SeverityCounts } from '../images/image-details/VulnerabilitiesSection';
import { VulnerabilityTags } from '../images/VulnerabilityTags';
import { NextSteps } from './NextSteps';
import { anyScanned, coverageWords } from './vulnerability-words';
import './vulnerabilities.scss';

interface RegistryVulnerabilitiesProps {
  region: string;
  totals: Totals | undefined;
  error: ApiError | null;
  onRetry: () => void;
}

/**
 * The vulnerabilities of every namespace the person may read in the region, summed: above the
 * namespaces list, whose Security column breaks them down.
 */
export function RegistryVulnerabilities({
  region,
  totals: t,
  error,
  onRetry,
}: RegistryVulnerabilitiesProps) {
  const titleId = useId();
  if (error) {
    return (
      <ErrorNotification
        error={error}
        title="The vulnerability totals could not be loaded"
        onRetry={onRetry}
      />
    );
  }
  if (t?.images === 0) return null;
  return (
    <section className="berth-vulnerability-totals" aria-labelledby={titleId}>
      <h2 id={titleId} className="berth-vulnerability-totals__title">
        Vulnerabilities in region {region}
      </h2>
      {!t ? (
        <SkeletonText paragraph lineCount={2} width="32rem" />
      ) : !anyScanned(t) ? (
        <>
          <p className="berth-vulnerability-totals__coverage">
            None of the {pluralize(t.images, 'image')} in{' '}
            {pluralize(t.namespaces.length, 'namespace')} has been scanned yet.
          </p>
          <NextSteps queued={t.queued} />
        </>
      ) : (
        <>
          <SeverityCounts result={t} />
          <p className="berth-vulnerability-totals__coverage">
            {coverageWords(t)}, over {pluralize(t.namespaces.length, 'namespace')} you can read
          </p>
        </>
      )}
    </section>
  );
}

/** A namespace's row: its two most severe counts, and how many of its images are scanned. */
export function NamespaceSecurityCell({
  totals: t,
}: {
  totals: Totals['namespaces'][number] | undefined;
}) {
  if (!t) return null;
  if (t.images === 0) return <span className="berth-muted">no images</span>;
  if (!anyScanned(t)) return <span className="berth-muted">not scanned</span>;
  return (
    <div className="berth-namespace-security">
      <span>
        <VulnerabilityTags v={{ ...t, failed: t.scanned === 0 }} />
      </span>
      <span className="berth-muted">
        {t.scanned.toLocaleString()} of {t.images.toLocaleString()} scanned
      </span>
    </div>
  );
}

import {
  Button,
  DataTableSkeleton,
  InlineLoading,
  InlineNotification,
  Pagination,
  Select,
  SelectItem,
  SkeletonText,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableHeader,
  TableRow,
  TableToolbar,
  TableToolbarContent,
  TableToolbarSearch,
  Tag,
} from '@carbon/react';
import {
  SEVERITIES,
  apiPaths,
  type AttachedSbom,
  type ImageScan,
  type SbomAttached,
  type ScanResult,
  type Severity,
} from '@berth/contract';
import { useState } from 'react';
import { Link } from 'react-router';
import { asSentence } from '../../../api/error-words';
import { useAttachSbom, useFindings, useImageScan, useRequestScan } from '../../../api/scans';
import { useNamespaceAccess } from '../../../app/access';
import { routePaths } from '../../../app/route-paths';
import { type Toast, useToasts } from '../../../app/ToastProvider';
import { DateText } from '../../../components/DateText';
import { ErrorNotification } from '../../../components/ErrorNotification';
import { ScrollRegion } from '../../../components/ScrollRegion';
import { StackingTable } from '../../../components/StackingTable';
import { pluralize, shortDigest } from '../../../lib/format';
import { useDebouncedValue } from '../../../lib/use-debounced-value';
import { SEVERITY_TAGS, SEVERITY_WORDS } from './severity-tags';

const HEADERS = ['Severity', 'Advisory', 'Package', 'Installed', 'Fixed in', 'Layer'];
const PAGE_SIZE = 25;

export function SeverityCounts({ result }: { result: Pick<ScanResult, Severity> }) {
  const found = SEVERITIES.filter((s) => result[s] > 0);
  if (found.length === 0) {
    return <Tag type="green">No known vulnerabilities</Tag>;
  }
  return (
    <ul className="berth-severity-counts" aria-label="Findings by severity">
      {found.map((s) => (
        <li key={s}>
          <Tag type={SEVERITY_TAGS[s]}>
            {SEVERITY_WORDS[s]}: {result[s].toLocaleString()}
          </Tag>
        </li>
      ))}
    </ul>
  );
}

/** Where the inventory stands as an OCI referrer of the image: none, this result's, or older. */
function AttachedSbomNote({
  attached,
  result,
  sbomPage,
}: {
  attached: AttachedSbom | null;
  result: ScanResult;
  sbomPage: (digest: string) => string;
}) {
  if (!attached) {
    return (
      <p className="berth-section__description">
        The inventory is not attached to the image. Attached, it is an OCI referrer of the image
        that clients such as <code>oras discover</code> find in the registry.
      </p>
    );
  }
  const link = (
    <Link className="cds--link" to={sbomPage(attached.digest)}>
      SBOM {shortDigest(attached.digest)}
    </Link>
  );
  return attached.generatedAt === result.generatedAt ? (
    <p className="berth-section__description">Attached to the image as an OCI referrer: {link}.</p>
  ) : (
    <p className="berth-section__description">
      The {link} attached to the image is from an older scan (
      <DateText iso={attached.generatedAt} />
      ); attach this one to replace it.
    </p>
  );
}

function ScanSummary({
  result,
  exports,
  attached,
  sbomPage,
}: {
  result: ScanResult;
  exports: ScanExports;
  attached: AttachedSbom | null;
  sbomPage: (digest: string) => string;
}) {
  return (
    <div className="berth-scan-summary">
      <div className="berth-scan-summary__row">
        <SeverityCounts result={result} />
        <div className="berth-outcome-actions">
          <Button as="a" kind="ghost" size="sm" href={exports.csv} download>
            Findings as CSV
          </Button>
          <Button as="a" kind="ghost" size="sm" href={exports.sbom} download>
            Inventory as CycloneDX
          </Button>
        </div>
      </div>
      <p className="berth-section__description">
        Scanned <DateText iso={result.generatedAt} />: {pluralize(result.packages, 'package')}
        {result.distro ? ` on ${result.distro}` : ''};{' '}
        {pluralize(result.fixable, 'finding has', 'findings have')} a fixed version. The result is
        kept until <DateText iso={result.expiresAt} />.
      </p>
      <AttachedSbomNote attached={attached} result={result} sbomPage={sbomPage} />
      {result.notes.length > 0 ? (
        <InlineNotification
          kind="warning"
          lowContrast
          hideCloseButton
          title="Some files were not read"
          subtitle="Packages they list are missing from this result."
        >
          <ul className="berth-scan-notes">
            {result.notes.map((note) => (
              <li key={note}>{note}</li>
            ))}
          </ul>
        </InlineNotification>
      ) : null}
    </div>
  );
}

function Findings({
  namespace,
  repository,
  digest,
  platform,
}: {
  namespace: string;
  repository: string;
  digest: string;
  platform: string;
}) {
  const [search, setSearch] = useState('');
  const [severity, setSeverity] = useState('');
  const [page, setPage] = useState(1);
  const q = useDebouncedValue(search.trim());
  const list = useFindings(
    namespace,
    repository,
    digest,
    { severity, q, platform, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE },
    true,
  );
  const total = list.data?.total ?? 0;
  return (
    <TableContainer>
      <TableToolbar aria-label="Findings toolbar">
        <TableToolbarContent>
          <TableToolbarSearch
            persistent
            labelText="Search findings by package or advisory"
            placeholder="Search packages or advisories"
            onChange={(event) => {
              setSearch(typeof event === 'string' ? '' : event.target.value);
              setPage(1);
            }}
          />
          <Select
            id={`findings-severity-${digest}`}
            className="berth-findings-severity"
            labelText="Severity"
            hideLabel
            inline
            value={severity}
            onChange={(event) => {
              setSeverity(event.target.value);
              setPage(1);
            }}
          >
            <SelectItem value="" text="Every severity" />
            {SEVERITIES.map((s) => (
              <SelectItem key={s} value={s} text={SEVERITY_WORDS[s]} />
            ))}
          </Select>
        </TableToolbarContent>
      </TableToolbar>
      {list.isPending ? (
        <DataTableSkeleton
          columnCount={HEADERS.length}
          rowCount={5}
          showHeader={false}
          showToolbar={false}
          aria-label="Loading the findings"
        />
      ) : list.error ? (
        <ErrorNotification error={list.error} onRetry={() => void list.refetch()} />
      ) : total === 0 ? (
        <div className="berth-empty" role="status">
          <h3 className="berth-empty__title">No matching findings</h3>
          <p className="berth-empty__body">
            No finding matches {q ? `“${q}”` : ''}
            {q && severity ? ' at ' : ''}
            {severity ? `severity ${SEVERITY_WORDS[severity as Severity].toLowerCase()}` : ''}.
          </p>
        </div>
      ) : (
        <ScrollRegion label="Findings, scrollable">
          <StackingTable aria-label="Findings" size="md">
            <TableHead>
              <TableRow>
                {HEADERS.map((h) => (
                  <TableHeader key={h}>{h}</TableHeader>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {(list.data?.items ?? []).map((f) => (
                <TableRow key={`${f.advisoryId}-${f.package.purl}`}>
                  <TableCell>
                    <Tag type={SEVERITY_TAGS[f.severity]} size="sm">
                      {SEVERITY_WORDS[f.severity]}
                      {f.score !== null ? ` ${f.score.toFixed(1)}` : ''}
                    </Tag>
                  </TableCell>
                  <TableCell>
                    <strong>{f.advisoryId}</strong>
                    {f.summary ? <span className="berth-finding__summary">{f.summary}</span> : null}
                  </TableCell>
                  <TableCell>{f.package.name}</TableCell>
                  <TableCell>
                    <code>{f.package.version}</code>
                  </TableCell>
                  <TableCell>{f.fixed ? <code>{f.fixed}</code> : 'No fix yet'}</TableCell>
                  <TableCell>
                    <code title={f.package.layer}>{shortDigest(f.package.layer)}</code>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </StackingTable>
        </ScrollRegion>
      )}
      {total > PAGE_SIZE ? (
        <Pagination
          page={page}
          pageSize={PAGE_SIZE}
          pageSizes={[PAGE_SIZE]}
          totalItems={total}
          itemsPerPageText="Findings per page:"
          onChange={({ page: next }) => setPage(next)}
        />
      ) : null}
    </TableContainer>
  );
}

/** Download links for a result: the session cookie authenticates a plain link. */
interface ScanExports {
  csv: string;
  sbom: string;
}

function exportsOf(namespace: string, repository: string, digest: string, platform: string) {
  const query = platform ? `?platform=${encodeURIComponent(platform)}` : '';
  return {
    csv: `${apiPaths.imageFindingsCsv(namespace, repository, digest)}${query}`,
    sbom: `${apiPaths.imageSbom(namespace, repository, digest)}${query}`,
  };
}

/** What one image manifest's scan says: waiting, failed, not scanned, or its findings. */
function ScanState({
  namespace,
  repository,
  digest,
  platform,
  queued,
  result,
  attachedSbom,
}: {
  namespace: string;
  repository: string;
  digest: string;
  platform: string;
  queued: boolean;
  result: ScanResult | null;
  attachedSbom: AttachedSbom | null;
}) {
  if (queued && !result) {
    return <InlineLoading description="Scanning… the findings appear here when it is done." />;
  }
  if (!result) {
    return (
      <div className="berth-empty" role="status">
        <h3 className="berth-empty__title">Not scanned</h3>
        <p className="berth-empty__body">
          Berth scans images when they are pushed and keeps each result 30 days. This image has no
          result: it was pushed before scanning was on, or its result expired. Scan it now to see
          what it holds.
        </p>
      </div>
    );
  }
  if (result.status === 'failed') {
    return (
      <InlineNotification
        kind="warning"
        lowContrast
        hideCloseButton
        title="The scan could not read this image"
        subtitle={result.error ?? 'The server log says why.'}
      />
    );
  }
  return (
    <>
      {queued ? <InlineLoading description="Scanning again…" /> : null}
      <ScanSummary
        result={result}
        exports={exportsOf(namespace, repository, digest, platform)}
        attached={attachedSbom}
        sbomPage={(sbom) => routePaths.image(namespace, repository, sbom)}
      />
      <Findings namespace={namespace} repository={repository} digest={digest} platform={platform} />
    </>
  );
}

/** What attaching did, in words: pushed or already there, replaced, and platforms left out. */
function attachedToast(result: SbomAttached): Toast {
  const pushed = result.attached.filter((a) => !a.unchanged);
  const replaced = result.attached.reduce((n, a) => n + a.replaced.length, 0);
  const perPlatform = result.attached.some((a) => a.platform !== null);
  const where = perPlatform
    ? `For ${result.attached.map((a) => a.platform ?? shortDigest(a.subject)).join(', ')}, each as an OCI referrer of its platform image.`
    : `As OCI referrer ${shortDigest(result.attached[0]?.digest ?? '')} of the image.`;
  const parts = [
    where,
    replaced > 0
      ? `${pluralize(replaced, 'SBOM')} from an older scan moved to the trash.`
      : pushed.length === 0
        ? 'It was attached already; nothing changed.'
        : '',
    ...result.skipped.map(
      (s) => `Not for ${s.platform ?? shortDigest(s.subject)}: ${asSentence(s.reason)}`,
    ),
  ];
  return {
    kind: result.skipped.length > 0 ? 'warning' : 'success',
    title: pushed.length === 0 ? 'SBOM already attached' : 'SBOM attached to the image',
    subtitle: parts.filter(Boolean).join(' '),
  };
}

function hasCompleteResult(scan: ImageScan): boolean {
  return [scan.result, ...scan.platforms.map((p) => p.result)].some(
    (r) => r?.status === 'complete',
  );
}

function choosePlatform(scan: ImageScan, chosen: string): string {
  return chosen || (scan.platforms.find((p) => p.result) ?? scan.platforms[0])?.digest || '';
}

export function VulnerabilitiesSection({
  namespace,
  repository,
  digest,
}: {
  namespace: string;
  repository: string;
  digest: string;
}) {
  const scan = useImageScan(namespace, repository, digest);
  const request = useRequestScan(namespace, repository, digest);
  const attach = useAttachSbom(namespace, repository, digest);
  const toasts = useToasts();
  const { canWrite } = useNamespaceAccess(namespace);
  const [chosen, setChosen] = useState('');
  const data = scan.data;
  const busy = data ? data.queued || data.platforms.some((p) => p.queued) : false;
  const platformDigest = data ? choosePlatform(data, chosen) : '';
  const shown = data?.platforms.find((p) => p.digest === platformDigest);
  return (
    <section className="berth-section" aria-labelledby="image-vulnerabilities">
      <div className="berth-section__header berth-section__header--actions">
        <h2 className="berth-section__title" id="image-vulnerabilities">
          Vulnerabilities
        </h2>
        {canWrite && data ? (
          <div className="berth-section__actions">
            {hasCompleteResult(data) ? (
              <Button
                kind="ghost"
                size="sm"
                disabled={attach.isPending}
                onClick={() =>
                  attach.mutate(undefined, {
                    onSuccess: (result) => toasts.show(attachedToast(result)),
                  })
                }
              >
                Attach SBOM to image
              </Button>
            ) : null}
            <Button
              kind="tertiary"
              size="sm"
              disabled={busy || request.isPending}
              onClick={() => request.mutate()}
            >
              {data.result || data.platforms.some((p) => p.result) ? 'Scan again' : 'Scan now'}
            </Button>
          </div>
        ) : null}
      </div>
      {request.error ? (
        <ErrorNotification error={request.error} title="The scan could not be queued" />
      ) : null}
      {attach.error ? (
        <ErrorNotification error={attach.error} title="The SBOM could not be attached" />
      ) : null}
      {scan.isPending ? (
        <SkeletonText paragraph lineCount={3} width="24rem" />
      ) : scan.error ? (
        <ErrorNotification error={scan.error} onRetry={() => void scan.refetch()} />
      ) : data && data.platforms.length > 0 ? (
        <>
          <Select
            id={`scan-platform-${digest}`}
            labelText="Platform"
            value={platformDigest}
            onChange={(event) => setChosen(event.target.value)}
          >
            {data.platforms.map((p) => (
              <SelectItem
                key={p.digest}
                value={p.digest}
                text={p.platform ?? shortDigest(p.digest)}
              />
            ))}
          </Select>
          {shown ? (
            <ScanState
              namespace={namespace}
              repository={repository}
              digest={digest}
              platform={shown.digest}
              queued={shown.queued}
              result={shown.result}
              attachedSbom={shown.attachedSbom}
            />
          ) : null}
        </>
      ) : data ? (
        <ScanState
          namespace={namespace}
          repository={repository}
          digest={digest}
          platform=""
          queued={data.queued}
          result={data.result}
          attachedSbom={data.attachedSbom}
        />
      ) : null}
    </section>
  );
}

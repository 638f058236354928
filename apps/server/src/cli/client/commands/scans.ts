import {
  advisoryDataStatus,
  apiPaths,
  findingList,
  imageScan,
  namespaceVulnerabilities,
  registryVulnerabilities,
  sbomAttached,
  type ScanResult,
  scanRequested,
  SEVERITIES,
  type VulnerabilityTotals,
} from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Group, pagingOptions, str } from '../command.js';
import { usageError } from '../exit-codes.js';
import { paging } from '../listing.js';
import { fields, formatTime, shortDigest, table } from '../output.js';
import { imageArg, namespaceArg } from '../references.js';
import { digestOf } from './images.js';

const REPO = '/api/v1/namespaces/{namespace}/repositories/{repository}';
const SCAN = `${REPO}/images/{digest}/scan`;
const routes = {
  scan: route('get', SCAN, imageScan),
  rescan: route('post', SCAN, scanRequested),
  findings: route('get', `${SCAN}/findings`, findingList),
  findingsCsv: route('get', `${SCAN}/findings.csv`, null),
  sbom: route('get', `${SCAN}/sbom`, null),
  attachSbom: route('post', `${SCAN}/sbom/attach`, sbomAttached),
  registry: route('get', '/api/v1/vulnerabilities', registryVulnerabilities),
  namespace: route(
    'get',
    '/api/v1/namespaces/{namespace}/vulnerabilities',
    namespaceVulnerabilities,
  ),
  advisories: route('get', '/api/v1/advisories', advisoryDataStatus),
};

const imageArgs = '<namespace>/<repository>@<digest> | <namespace>/<repository>:<tag>';

/** "1 critical, 0 high, …": the counts in the order of severity. */
const counts = (c: Record<(typeof SEVERITIES)[number], number>) =>
  SEVERITIES.map((s) => `${c[s]} ${s}`).join(', ');

function resultFields(r: ScanResult): [string, string][] {
  return [
    ['status', r.status === 'failed' ? `failed: ${r.error ?? 'no reason given'}` : 'complete'],
    ['scanned', formatTime(r.generatedAt)],
    ['kept until', formatTime(r.expiresAt)],
    ['distro', r.distro ?? '-'],
    ['packages', String(r.packages)],
    ['findings', `${counts(r)}; ${r.fixable} fixable`],
    ...r.notes.map((n): [string, string] => ['note', n]),
  ];
}

const get: Command = {
  name: 'get',
  summary: "an image's newest scan: counts by severity (per platform for an index)",
  args: imageArgs,
  positionals: 1,
  details: 'A tag names the image that holds it now. Scan results are kept 30 days.',
  async run(ctx, _v, [arg]) {
    const ref = imageArg(arg!);
    const digest = await digestOf(ctx, ref);
    const s = await ctx.api.call(
      routes.scan,
      apiPaths.imageScan(ref.namespace, ref.repository, digest),
    );
    ctx.print(s, () => {
      const head: [string, string][] = [
        ['image', `${ref.namespace}/${ref.repository}@${s.digest}`],
        ['queued', s.queued ? 'yes: a scan waits or runs' : 'no'],
      ];
      if (s.platforms.length > 0) {
        return (
          fields(head) +
          table(
            ['PLATFORM', 'DIGEST', 'STATUS', 'SCANNED', ...SEVERITIES.map((x) => x.toUpperCase())],
            s.platforms.map((p) => [
              p.platform ?? '-',
              shortDigest(p.digest),
              p.result ? p.result.status : p.queued ? 'queued' : 'not scanned',
              formatTime(p.result?.generatedAt ?? null),
              ...SEVERITIES.map((x) => (p.result ? String(p.result[x]) : '-')),
            ]),
          )
        );
      }
      return fields(
        s.result
          ? [...head, ...resultFields(s.result)]
          : [...head, ['result', 'none kept (not scanned, expired, or nothing to scan)']],
      );
    });
  },
};

const findings: Command = {
  name: 'findings',
  summary: "what an image's newest scan found, most severe first",
  args: imageArgs,
  positionals: 1,
  options: {
    severity: { type: 'string', value: 'LEVEL', description: SEVERITIES.join(', ') },
    search: {
      type: 'string',
      value: 'TEXT',
      description: 'package names or advisory ids containing TEXT',
    },
    platform: {
      type: 'string',
      value: 'OS/ARCH',
      description: "an index: this platform's findings",
    },
    csv: {
      type: 'boolean',
      description: 'every finding as CSV (the filters but --platform do not apply)',
    },
    ...pagingOptions,
  },
  async run(ctx, v, [arg]) {
    const ref = imageArg(arg!);
    const severity = str(v, 'severity');
    if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) {
      throw usageError(`--severity takes ${SEVERITIES.join(', ')} (got "${severity}")`);
    }
    const { limit, all } = paging(v);
    const digest = await digestOf(ctx, ref);
    if (bool(v, 'csv')) {
      ctx.term.out(
        await ctx.api.text(
          routes.findingsCsv,
          apiPaths.imageFindingsCsv(ref.namespace, ref.repository, digest),
          {
            platform: str(v, 'platform'),
          },
        ),
      );
      return;
    }
    const path = apiPaths.imageFindings(ref.namespace, ref.repository, digest);
    const query = { severity, q: str(v, 'search'), platform: str(v, 'platform'), limit };
    // Findings page by offset (they are sorted by severity, not by a cursor key).
    let page = await ctx.api.call(routes.findings, path, { query: { ...query, offset: 0 } });
    const items = [...page.items];
    while (all && items.length < page.total && page.items.length > 0) {
      page = await ctx.api.call(routes.findings, path, {
        query: { ...query, offset: items.length },
      });
      items.push(...page.items);
    }
    ctx.print(items, () =>
      page.result === null
        ? `${ref.namespace}/${ref.repository}@${shortDigest(digest)} has no scan result (yet): berth scans rescan\n`
        : items.length === 0
          ? 'no findings\n'
          : table(
              ['SEVERITY', 'ADVISORY', 'PACKAGE', 'VERSION', 'FIXED IN', 'SUMMARY'],
              items.map((f) => [
                f.severity,
                f.advisoryId,
                f.package.name,
                f.package.version,
                f.fixed ?? '-',
                f.summary,
              ]),
            ),
    );
    if (items.length < page.total) {
      ctx.term.err(`(${items.length} of ${page.total}: pass --all for every finding)\n`);
    }
  },
};

const rescan: Command = {
  name: 'rescan',
  summary: 'queue a new scan of an image (each platform of an index)',
  args: imageArgs,
  positionals: 1,
  details: 'The scan runs in the background: "berth scans get" shows it queued, then its result.',
  async run(ctx, _v, [arg]) {
    const ref = imageArg(arg!);
    const digest = await digestOf(ctx, ref);
    const done = await ctx.api.call(
      routes.rescan,
      apiPaths.imageScan(ref.namespace, ref.repository, digest),
    );
    ctx.print(
      done,
      () =>
        `queued ${done.queued} scan${done.queued === 1 ? '' : 's'} of ${ref.namespace}/${ref.repository}@${shortDigest(digest)}\n`,
    );
  },
};

const platformOption = {
  platform: {
    type: 'string' as const,
    value: 'OS/ARCH',
    description: "an index: this platform's inventory",
  },
};

const sbom: Command = {
  name: 'sbom',
  summary: "the inventory of an image's newest scan, as CycloneDX 1.5 JSON on stdout",
  args: imageArgs,
  positionals: 1,
  options: platformOption,
  async run(ctx, v, [arg]) {
    const ref = imageArg(arg!);
    const digest = await digestOf(ctx, ref);
    // The document itself, whatever --output says: it is JSON already.
    ctx.term.out(
      await ctx.api.text(routes.sbom, apiPaths.imageSbom(ref.namespace, ref.repository, digest), {
        platform: str(v, 'platform'),
      }),
    );
  },
};

const attachSbom: Command = {
  name: 'attach-sbom',
  summary: 'attach that inventory to the image as an OCI referrer, for other tools to find',
  args: imageArgs,
  positionals: 1,
  details:
    'Per platform for an index. An SBOM Berth attached from an older result goes to the trash.',
  async run(ctx, _v, [arg]) {
    const ref = imageArg(arg!);
    const digest = await digestOf(ctx, ref);
    const r = await ctx.api.call(
      routes.attachSbom,
      apiPaths.imageSbomAttach(ref.namespace, ref.repository, digest),
    );
    ctx.print(r, () =>
      [
        ...r.attached.map(
          (a) =>
            `${a.unchanged ? 'already attached' : 'attached'} ${a.digest} to ${shortDigest(a.subject)}` +
            `${a.platform ? ` (${a.platform})` : ''}` +
            `${a.replaced.length ? `; replaced ${a.replaced.map(shortDigest).join(', ')}` : ''}\n`,
        ),
        ...r.skipped.map(
          (k) =>
            `skipped ${shortDigest(k.subject)}${k.platform ? ` (${k.platform})` : ''}: ${k.reason}\n`,
        ),
      ].join(''),
    );
  },
};

const totalsRow = (t: VulnerabilityTotals) => [
  String(t.images),
  String(t.scanned),
  String(t.failed),
  String(t.notScanned),
  ...SEVERITIES.map((s) => String(t[s])),
];
const TOTALS = [
  'IMAGES',
  'SCANNED',
  'FAILED',
  'NOT SCANNED',
  ...SEVERITIES.map((s) => s.toUpperCase()),
];

const summary: Command = {
  name: 'summary',
  summary: 'vulnerability totals: per namespace, or one namespace by repository',
  args: '[<namespace>]',
  positionals: [0, 1],
  options: {
    region: {
      type: 'string',
      value: 'REGION',
      description: 'only this region (no namespace given)',
    },
  },
  async run(ctx, v, [name]) {
    if (name !== undefined) {
      if (str(v, 'region') !== undefined)
        throw usageError('--region is for the totals of every namespace');
      const ns = namespaceArg(name);
      const t = await ctx.api.call(routes.namespace, apiPaths.namespaceVulnerabilities(ns));
      ctx.print(
        t,
        () =>
          table(['NAMESPACE', ...TOTALS], [[t.namespace, ...totalsRow(t)]]) +
          (t.mostAffected.length === 0
            ? 'no repository has findings\n'
            : `\nMost affected:\n${table(
                ['REPOSITORY', ...TOTALS],
                t.mostAffected.map((r) => [r.repository, ...totalsRow(r)]),
              )}`),
      );
      return;
    }
    const t = await ctx.api.call(routes.registry, apiPaths.vulnerabilities(), {
      query: { region: str(v, 'region') },
    });
    ctx.print(t, () =>
      table(
        ['NAMESPACE', 'REGION', ...TOTALS],
        [
          ...t.namespaces.map((n) => [n.namespace, n.region, ...totalsRow(n)]),
          ['(all)', '', ...totalsRow(t)],
        ],
      ),
    );
  },
};

const DAY = 86_400_000;

const advisories: Command = {
  name: 'advisories',
  summary: 'the advisory data scans match against: how much, and how old',
  positionals: 0,
  details: 'Berth runs without internet: operators import OSV data with ./berth advisories import.',
  async run(ctx) {
    const a = await ctx.api.call(routes.advisories, apiPaths.advisories());
    const age = (iso: string | null) =>
      iso === null
        ? '-'
        : `${formatTime(iso)} (${Math.floor((Date.now() - Date.parse(iso)) / DAY)} days ago)`;
    ctx.print(a, () => {
      if (a.advisories === 0) {
        return 'no advisory data: scans find no vulnerabilities until an operator runs ./berth advisories import\n';
      }
      const last = a.lastImport;
      return (
        fields([
          ['advisories', String(a.advisories)],
          ['newest advisory', age(a.newestModified)],
          ['last import', last ? age(last.finishedAt) : '-'],
          ...(last
            ? ([
                ['source', last.source],
                [
                  'imported',
                  `${last.added} added, ${last.updated} updated, ${last.unchanged} unchanged, ${last.skipped} skipped`,
                ],
              ] as [string, string][])
            : []),
        ]) +
        table(
          ['ECOSYSTEM', 'ADVISORIES'],
          a.ecosystems.map((e) => [e.ecosystem, String(e.advisories)]),
        )
      );
    });
  },
};

export const scansGroup: Group = {
  name: 'scans',
  summary: 'vulnerability scans: results, findings, rescans, totals, advisory data',
  commands: [get, findings, rescan, sbom, attachSbom, summary, advisories],
};

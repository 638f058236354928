import { gzipSync } from 'node:zlib';
import { type NewScanResult, NO_FINDINGS } from '@berth/store';
import {
  MEDIA_TYPES,
  type BuiltBlob,
  type BuiltManifest,
  buildTar,
  sha256Digest,
} from '../seed/oci-content.js';
import { parseOsvRecord } from '../services/advisories/osv-record.js';
import type { TestServer } from './test-server.js';

/** CVSS 3.1 vectors: 9.8 (critical) and 5.5 (medium). */
export const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
export const MEDIUM = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N';

export const DEBIAN_12_OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';

/** A gzip layer of these files. */
export function layerOf(files: { name: string; content: string | Buffer }[]): BuiltBlob {
  const bytes = gzipSync(
    buildTar(files.map((f) => ({ name: f.name, content: Buffer.from(f.content) }))),
  );
  return { mediaType: MEDIA_TYPES.layer, digest: sha256Digest(bytes), bytes };
}

/** A dpkg status file of these installed packages; without a source, a package is its own. */
export function dpkgStatus(packages: [name: string, version: string, source?: string][]): string {
  return packages
    .map(
      ([name, version, source]) =>
        `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\nArchitecture: amd64\n` +
        (source === undefined ? '' : `Source: ${source}\n`),
    )
    .join('\n');
}

/** An OSV record about a Debian 12 source package. */
export function osvRecord(id: string, name: string, events: object[], severity?: string): string {
  return JSON.stringify({
    id,
    modified: '2024-06-01T00:00:00Z',
    summary: `${name}: ${id}`,
    ...(severity ? { severity: [{ type: 'CVSS_V3', score: severity }] } : {}),
    affected: [
      { package: { ecosystem: 'Debian:12', name }, ranges: [{ type: 'ECOSYSTEM', events }] },
    ],
  });
}

/** Stores OSV records as `berth advisories import` would. */
export async function importRecords(server: TestServer, ...texts: string[]): Promise<void> {
  const parsed = texts.map((t) => parseOsvRecord(t));
  await server.store.advisories.importBatch(
    parsed.flatMap((p) => ('advisory' in p ? [p.advisory] : [])),
    server.clock.now,
  );
}

/**
 * A Debian 12 image's two layers: `base` installs OpenSSL 3.0.11 and zlib; `upgrade` upgrades
 * OpenSSL to 3.0.13, so a finding about the newer OpenSSL belongs to that layer.
 */
export const DEBIAN_LAYERS = {
  base: layerOf([
    { name: 'etc/os-release', content: DEBIAN_12_OS_RELEASE },
    {
      name: 'var/lib/dpkg/status',
      content: dpkgStatus([
        ['libssl3', '3.0.11-1~deb12u2', 'openssl'],
        ['zlib1g', '1:1.2.13.dfsg-1', 'zlib'],
      ]),
    },
  ]),
  upgrade: layerOf([
    {
      name: 'var/lib/dpkg/status',
      content: dpkgStatus([
        ['libssl3', '3.0.13-1~deb12u1', 'openssl'],
        ['zlib1g', '1:1.2.13.dfsg-1', 'zlib'],
      ]),
    },
  ]),
};

/**
 * Advisories about DEBIAN_LAYERS' packages: an image of both layers has one critical finding
 * (fixable) and one medium; the base alone two critical (both fixable) and one medium.
 */
export const DEBIAN_ADVISORIES = [
  // Affects the installed 3.0.13: fixed only in 3.0.14.
  osvRecord(
    'DSA-9001-1',
    'openssl',
    [{ introduced: '0' }, { fixed: '3.0.14-1~deb12u1' }],
    CRITICAL,
  ),
  // Fixed in 3.0.12: the upgrade layer's 3.0.13 is not affected.
  osvRecord(
    'DSA-9000-1',
    'openssl',
    [{ introduced: '0' }, { fixed: '3.0.12-1~deb12u1' }],
    CRITICAL,
  ),
  // No fix yet; the epoch in the installed version orders above the 1.2.x ones.
  osvRecord('DLA-9002-1', 'zlib', [{ introduced: '1:1.2.0' }], MEDIUM),
];

/** A layer and the digest of its uncompressed tar, as the image config lists it. */
export interface LayerWithDiffId {
  blob: BuiltBlob;
  diffId: string;
}

/**
 * An image whose config lists the diff ids given: buildImage works them out by decompressing
 * each layer, which a hostile or broken layer does not allow.
 */
export function imageWithDiffIds(seed: string, layers: LayerWithDiffId[]): BuiltManifest {
  const config = Buffer.from(
    JSON.stringify({
      created: '2024-05-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      config: { Env: [`SEED=${seed}`] },
    }),
  );
  const configBlob: BuiltBlob = {
    mediaType: MEDIA_TYPES.config,
    digest: sha256Digest(config),
    bytes: config,
  };
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: config.length },
      layers: layers.map(({ blob }) => ({
        mediaType: blob.mediaType,
        digest: blob.digest,
        size: blob.bytes.length,
      })),
    }),
  );
  return {
    digest: sha256Digest(bytes),
    mediaType: MEDIA_TYPES.manifest,
    artifactType: null,
    bytes,
    config: configBlob,
    layers: layers.map((l) => l.blob),
    children: [],
    platform: null,
    subject: null,
    createdAt: Date.parse('2024-05-01T00:00:00Z'),
  };
}

/** A result that found nothing, as the scanner stores one; a failed one says why. */
export function resultWithNoFindings(status: 'complete' | 'failed' = 'complete'): NewScanResult {
  return {
    status,
    error: status === 'failed' ? 'layer 1 is not a readable tar' : null,
    distro: null,
    inventory: { distro: null, packages: [] },
    findings: [],
    ...NO_FINDINGS,
  };
}

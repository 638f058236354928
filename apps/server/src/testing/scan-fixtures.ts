import { gzipSync } from 'node:zlib';
import { MEDIA_TYPES, type BuiltBlob, buildTar, sha256Digest } from '../seed/oci-content.js';
import { parseOsvRecord } from '../services/advisories/osv-record.js';
import type { TestServer } from './test-server.js';

/** CVSS 3.1 vectors: 9.8 (critical) and 5.5 (medium). */
export const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
export const MEDIUM = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N';

export const DEBIAN_12_OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';

/** A gzip layer of these files. */
export function layerOf(files: { name: string; content: string }[]): BuiltBlob {
  const bytes = gzipSync(
    buildTar(files.map((f) => ({ name: f.name, content: Buffer.from(f.content) }))),
  );
  return { mediaType: MEDIA_TYPES.layer, digest: sha256Digest(bytes), bytes };
}

/** A dpkg status file of these installed packages: [name, version, source package]. */
export function dpkgStatus(packages: [string, string, string][]): string {
  return packages
    .map(
      ([name, version, source]) =>
        `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\nArchitecture: amd64\nSource: ${source}\n`,
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

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './berth-process';

const CLI = path.join(repoRoot, 'apps/server/dist/cli/advisories.js');

export const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
export const MEDIUM = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N';

/** A dpkg status file of these installed packages: [name, version, source package]. */
export const dpkgStatus = (packages: [string, string, string][]) =>
  packages
    .map(
      ([name, version, source]) =>
        `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\nArchitecture: amd64\nSource: ${source}\n`,
    )
    .join('\n');

/** An OSV record about a Debian 12 source package, fixed in `fixed` (null: no fix yet). */
export const advisoryRecord = (id: string, name: string, fixed: string | null, vector: string) =>
  JSON.stringify({
    id,
    modified: new Date().toISOString(),
    summary: `${name} mishandles hostile input`,
    severity: [{ type: 'CVSS_V3', score: vector }],
    affected: [
      {
        package: { ecosystem: 'Debian:12', name },
        ranges: [
          {
            type: 'ECOSYSTEM',
            events: [{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])],
          },
        ],
      },
    ],
  });

/** Imports OSV records into the server's data directory with `berth advisories import`. */
export async function importAdvisories(dataDir: string, records: string[]): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-osv-'));
  try {
    for (const [i, record] of records.entries()) {
      await writeFile(path.join(dir, `${i}.json`), record);
    }
    await promisify(execFile)(process.execPath, [CLI, 'import', dir], {
      env: { ...process.env, BERTH_DATA_DIR: dataDir },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { zipFile } from '../testing/zip-file.js';

/*
 * `berth advisories import|status` (the built CLI, run as an operator runs it, against the
 * database of a running server) and the console's view of the data: GET /api/v1/advisories.
 */
const CLI = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/cli/advisories.js',
);

const osv = (id: string, modified: string, ecosystem: string, name: string, extra = {}) =>
  JSON.stringify({
    schema_version: '1.6.0',
    id,
    modified,
    published: '2024-01-02T00:00:00Z',
    summary: `${name} does a bad thing`,
    details: `All about ${id}.`,
    aliases: [`CVE-2024-${id.length}`],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [
      {
        package: { ecosystem, name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2.3-1' }] }],
      },
    ],
    ...extra,
  });

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let server: TestServer;
let work: string;

async function cli(...args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_DATA_DIR: server.dataDir };
  if (server.databaseUrl) env.BERTH_DATABASE_URL = server.databaseUrl;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const status = async () => (await server.api().get(apiPaths.advisories()).expect(200)).body;

async function auditOfImports() {
  const rows = await server.store.db
    .selectFrom('audit_events')
    .select(['actor', 'action', 'target', 'outcome', 'details'])
    .where('action', '=', 'advisories.import')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, details: JSON.parse(r.details ?? 'null') }));
}

beforeAll(async () => {
  server = await startTestServer();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-advisories-'));
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('advisory data', () => {
  it('is empty at first, for the console and the CLI; signing in is required', async () => {
    expect(await status()).toEqual({
      advisories: 0,
      ecosystems: [],
      lastImport: null,
      newestModified: null,
    });
    await request(server.url).get(apiPaths.advisories()).expect(401);
    const shown = await cli('status');
    expect(shown).toMatchObject({ code: 0 });
    expect(shown.stdout).toContain('no advisory data: import some with berth advisories import');
  });

  it('imports a directory of zip exports and records; again, nothing changes', async () => {
    const dir = path.join(work, 'osv');
    fs.mkdirSync(path.join(dir, 'npm'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'debian-all.zip'),
      zipFile({
        'DSA-1-1.json': osv('DSA-1-1', '2024-03-01T00:00:00Z', 'Debian:12', 'openssl'),
        'DLA-2-1.json': osv('DLA-2-1', '2024-04-01T00:00:00Z', 'Debian:11', 'zlib'),
        'README.txt': 'not a record',
        'broken.json': '{"id": "X-1", ',
      }),
    );
    fs.writeFileSync(
      path.join(dir, 'npm', 'GHSA-aaaa-bbbb-cccc.json'),
      osv('GHSA-aaaa-bbbb-cccc', '2024-05-01T00:00:00Z', 'npm', 'left-pad'),
    );
    fs.writeFileSync(
      path.join(dir, 'maven.json'),
      osv('GHSA-mmmm-mmmm-mmmm', '2024-05-01T00:00:00Z', 'Maven', 'org.example:thing'),
    );
    fs.writeFileSync(
      path.join(dir, 'no-id.json'),
      JSON.stringify({ modified: '2024-01-01T00:00:00Z' }),
    );

    const first = await cli('import', dir, '--output', 'json');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ added: 3, updated: 0, unchanged: 0, skipped: 3 });
    expect(report.reasons).toEqual([
      expect.stringMatching(/debian-all\.zip:broken\.json: not valid JSON$/),
      expect.stringMatching(
        /maven\.json: GHSA-mmmm-mmmm-mmmm: names no package of an ecosystem Berth matches$/,
      ),
      expect.stringMatching(/no-id\.json: not an OSV record at id: /),
    ]);
    expect(await status()).toEqual({
      advisories: 3,
      ecosystems: [
        { ecosystem: 'Debian:11', advisories: 1 },
        { ecosystem: 'Debian:12', advisories: 1 },
        { ecosystem: 'npm', advisories: 1 },
      ],
      lastImport: {
        finishedAt: expect.any(String),
        source: dir,
        added: 3,
        updated: 0,
        unchanged: 0,
        skipped: 3,
      },
      newestModified: '2024-05-01T00:00:00.000Z',
    });
    const stored = await server.store.advisories.forPackages('Debian:12', ['openssl']);
    expect(stored).toMatchObject([
      { id: 'DSA-1-1', severity: 'critical', score: 9.8, summary: 'openssl does a bad thing' },
    ]);

    const again = await cli('import', dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      'imported 0 new and 0 updated advisories; 3 were already current, 3 skipped',
    );
  });

  it('updates a record only when the import holds a newer one', async () => {
    const file = path.join(work, 'DSA-1-1.json');
    fs.writeFileSync(
      file,
      osv('DSA-1-1', '2024-06-01T00:00:00Z', 'Debian:12', 'openssl', {
        summary: 'worse than thought',
      }),
    );
    expect((await cli('import', file)).stdout).toContain('imported 0 new and 1 updated');
    const older = path.join(work, 'DSA-1-1-old.json');
    fs.writeFileSync(older, osv('DSA-1-1', '2023-01-01T00:00:00Z', 'Debian:12', 'openssl'));
    expect((await cli('import', older)).stdout).toContain(
      '0 updated advisories; 1 were already current',
    );
    const [held] = await server.store.advisories.forPackages('Debian:12', ['openssl']);
    expect(held?.summary).toBe('worse than thought');
  });

  it('refuses bad input in one sentence, changing nothing, and audits the failed import', async () => {
    const before = await server.dump();
    const usage = await cli('import');
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim()).toBe(
      'berth advisories import needs at least one file or directory',
    );
    expect((await cli('status', '--output', 'yaml')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect(await server.dump()).toBe(before);

    const missing = await cli('import', path.join(work, 'nowhere'));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      `berth advisories: ${path.join(work, 'nowhere')}: no such file or directory`,
    );
    const damaged = path.join(work, 'damaged.zip');
    fs.writeFileSync(damaged, Buffer.from('PK this is no zip file at all'));
    const bad = await cli('import', damaged);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^berth advisories: .*damaged\.zip: not a readable zip file/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);

    const audit = await auditOfImports();
    expect(audit.slice(-2)).toEqual([
      {
        actor: 'cli:advisories',
        action: 'advisories.import',
        target: path.join(work, 'nowhere'),
        outcome: 'failure',
        details: { reason: `${path.join(work, 'nowhere')}: no such file or directory` },
      },
      expect.objectContaining({ target: damaged, outcome: 'failure' }),
    ]);
    expect((await status()).lastImport.skipped).toBe(0);
    expect(audit.filter((a) => a.outcome === 'success')).toHaveLength(4);
  });
});

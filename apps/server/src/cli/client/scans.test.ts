import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { buildImage, type BuiltManifest } from '../../seed/oci-content.js';
import { addAccount, createKey, signIn } from '../../testing/accounts.js';
import { useBerthServer } from '../../testing/berth-cli.js';
import { writeLayout } from '../../testing/oci-layout.js';
import { DEBIAN_ADVISORIES, DEBIAN_LAYERS, importRecords } from '../../testing/scan-fixtures.js';
import { hasSkopeo, pushLayout } from '../../testing/skopeo.js';
import { ADMIN } from '../../testing/test-server.js';

/*
 * `berth scans`: skopeo pushes a Debian image, the server scans it against imported OSV
 * advisories, and the client reads the result, its findings and the totals.
 */
describe.skipIf(!hasSkopeo())('berth scans', () => {
  const cli = useBerthServer({ env: { BERTH_SCAN_POLL_MS: '100' } });
  const { berth } = cli;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-scans-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  let image: BuiltManifest;
  const REF = 'demo-shop/web:v1';

  it('shows an image scan by tag or digest (table and JSON)', async () => {
    await cli.server.api().post(apiPaths.namespaces()).send({ name: 'demo-shop', region: 'local' });
    await importRecords(cli.server, ...DEBIAN_ADVISORIES);
    image = buildImage({
      seed: 'cli-scan',
      created: new Date('2024-05-01T00:00:00Z'),
      layers: [DEBIAN_LAYERS.base, DEBIAN_LAYERS.upgrade],
    });
    writeLayout(work, [{ manifest: image, ref: 'v1' }]);
    await pushLayout(work, 'v1', `${cli.server.url.replace('http://', '')}/demo-shop/web:v1`, {
      creds: `${ADMIN.username}:${cli.server.adminKey}`,
    });
    await cli.server.services.scanner.idle();

    const table = await berth(['scans', 'get', REF]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^status: +complete$/m);
    expect(table.stdout).toMatch(/^distro: +debian 12$/m);
    expect(table.stdout).toMatch(
      /^findings: +1 critical, 0 high, 1 medium, 0 low, 0 unknown; 1 fixable$/m,
    );
    const json = await berth(['scans', 'get', `demo-shop/web@${image.digest}`, '-o', 'json']);
    const api = await cli.server.api().get(apiPaths.imageScan('demo-shop', 'web', image.digest));
    expect(JSON.parse(json.stdout)).toEqual(api.body);
  });

  it('lists findings most severe first, filtered and paged', async () => {
    const all = await berth(['scans', 'findings', REF]);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+ADVISORY\s+PACKAGE\s+VERSION\s+FIXED IN\s+SUMMARY$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['critical', 'DSA-9001-1', 'libssl3'],
      ['medium', 'DLA-9002-1', 'zlib1g'],
    ]);
    const critical = await berth([
      'scans',
      'findings',
      REF,
      '--severity',
      'critical',
      '-o',
      'json',
    ]);
    expect(
      (JSON.parse(critical.stdout) as { advisoryId: string }[]).map((f) => f.advisoryId),
    ).toEqual(['DSA-9001-1']);
    const one = await berth(['scans', 'findings', REF, '--limit', '1', '-o', 'json']);
    expect((JSON.parse(one.stdout) as unknown[]).length).toBe(1);
    expect(one.stderr).toBe('(1 of 2: pass --all for every finding)\n');
    const every = await berth(['scans', 'findings', REF, '--limit', '1', '--all', '-o', 'json']);
    expect((JSON.parse(every.stdout) as unknown[]).length).toBe(2);
    expect(every.stderr).toBe('');
    const csv = await berth(['scans', 'findings', REF, '--csv']);
    expect(csv.stdout.split('\n').filter(Boolean).length).toBe(3);
    expect(csv.stdout).toContain('DSA-9001-1');
  });

  it('rescan queues a scan; summary and advisories report totals and data age', async () => {
    const rescan = await berth(['scans', 'rescan', REF]);
    expect(rescan.code, rescan.stderr).toBe(0);
    expect(rescan.stdout).toMatch(/^queued 1 scan of demo-shop\/web@sha256:[0-9a-f]{12}\n$/);
    await cli.server.services.scanner.idle();

    const summary = await berth(['scans', 'summary']);
    expect(summary.stdout).toMatch(/^demo-shop\s+local\s+1\s+1\s+0\s+0\s+1\s+0\s+1\s+0\s+0$/m);
    const ns = await berth(['scans', 'summary', 'demo-shop', '-o', 'json']);
    expect(JSON.parse(ns.stdout)).toMatchObject({ namespace: 'demo-shop', critical: 1 });
    const adv = await berth(['scans', 'advisories']);
    expect(adv.stdout).toMatch(
      /^advisories: +3\nnewest advisory: +2024-06-01 00:00Z \(\d+ days ago\)$/m,
    );
    const advJson = await berth(['scans', 'advisories', '-o', 'json']);
    const api = await cli.server.api().get(apiPaths.advisories());
    expect(JSON.parse(advJson.stdout)).toEqual(api.body);
  });

  it('prints the CycloneDX inventory and attaches it as a referrer, once', async () => {
    const sbom = await berth(['scans', 'sbom', REF]);
    expect(sbom.code, sbom.stderr).toBe(0);
    const doc = JSON.parse(sbom.stdout) as { bomFormat: string; components: { name: string }[] };
    expect(doc.bomFormat).toBe('CycloneDX');
    expect(doc.components.map((c) => c.name)).toEqual(
      expect.arrayContaining(['libssl3', 'zlib1g']),
    );
    const attach = await berth(['scans', 'attach-sbom', REF]);
    expect(attach.code, attach.stderr).toBe(0);
    expect(attach.stdout).toMatch(/^attached sha256:[0-9a-f]{64} to sha256:[0-9a-f]{12}\n$/);
    const again = await berth(['scans', 'attach-sbom', REF, '-o', 'json']);
    expect(JSON.parse(again.stdout)).toMatchObject({
      attached: [{ unchanged: true }],
      skipped: [],
    });
  });

  it('bad input 2, unknown 3, a read-only key may read but not rescan (4)', async () => {
    for (const args of [
      ['scans', 'get', 'demo-shop/web'],
      ['scans', 'findings', REF, '--severity', 'severe'],
      ['scans', 'findings', REF, '--limit', '500'],
      ['scans', 'summary', 'demo-shop', '--region', 'local'],
    ]) {
      const run = await berth(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^berth: /);
    }
    expect((await berth(['scans', 'get', 'demo-shop/web:nope'])).code).toBe(3);
    expect((await berth(['scans', 'get', `demo-shop/web@sha256:${'0'.repeat(64)}`])).code).toBe(3);
    expect((await berth(['scans', 'summary', 'no-such-ns'])).code).toBe(3);

    const u = await addAccount(cli.server, 'reader', { namespaces: { 'demo-shop': 'writer' } });
    const key = await createKey(
      await signIn(cli.server.url, u.username, u.password),
      'ro',
      'read-only',
    );
    const env = { BERTH_API_KEY: key };
    expect((await berth(['scans', 'get', REF], { env })).code).toBe(0);
    const before = await cli.server.dump();
    for (const verb of ['rescan', 'attach-sbom']) {
      const denied = await berth(['scans', verb, REF], { env });
      expect(denied.code, verb).toBe(4);
    }
    expect(await cli.server.dump()).toBe(before);
  });
});

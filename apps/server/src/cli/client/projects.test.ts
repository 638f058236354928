import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { useBerthServer } from '../../testing/berth-cli.js';

describe('berth projects', () => {
  const cli = useBerthServer();
  const { berth } = cli;

  const projects = async (status: 'active' | 'deleted') =>
    (
      (
        await cli.server
          .api()
          .get(apiPaths.projects())
          .query({ region: 'local', status })
          .expect(200)
      ).body as { items: { name: string }[] }
    ).items.map((p) => p.name);

  it('creates and lists projects with the region quota', async () => {
    for (const name of ['shop', 'billing', 'scratch']) {
      const run = await berth(['projects', 'create', name]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^created project ${name} \\(\\S+\\) in local\\n$`));
    }
    const list = await berth(['projects', 'list']);
    const rows = list.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^NAME\s+ID\s+APPS\s+JOBS\s+SECRETS\s+CONFIG MAPS\s+CREATED\s+ROLE$/);
    expect(
      rows
        .slice(1, 4)
        .map((r) => r.split(/\s+/)[0])
        .sort(),
    ).toEqual(['billing', 'scratch', 'shop']);
    expect(rows[4]).toBe('3 of 20 projects in local (0 deleted)');
    const json = await berth(['projects', 'list', '-o', 'json']);
    expect((JSON.parse(json.stdout) as unknown[]).length).toBe(3);
    const taken = await berth(['projects', 'create', 'shop']);
    expect(taken.code).toBe(5);
    const bad = await berth(['projects', 'create', 'Not A Name']);
    expect(bad.code).toBe(2);
    const region = await berth(['projects', 'list', '--region', 'mars']);
    expect(region.code).toBe(2);
    expect(region.stderr).toMatch(/region "mars" is not configured .*\(REGION_UNKNOWN, HTTP 400\)/);
  });

  it('get shows one project by name or id (table and JSON)', async () => {
    const run = await berth(['projects', 'get', 'shop']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^holds: +0 apps, 0 jobs, 0 secrets, 0 config maps$/m);
    expect(run.stdout).toMatch(/^your role: +manager$/m);
    const id = /^id: +(\S+)$/m.exec(run.stdout)![1]!;
    const json = await berth(['projects', 'get', id, '-o', 'json']);
    const api = await cli.server.api().get(apiPaths.project(id)).expect(200);
    expect(JSON.parse(json.stdout)).toEqual(api.body);
    expect((await berth(['projects', 'get', 'nothing'])).code).toBe(3);
  });

  it('delete asks, or needs --force without a terminal; a soft delete is restorable', async () => {
    const before = await cli.server.dump();
    const script = await berth(['projects', 'delete', 'scratch']);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(/^Deleting \(restorable for 7 days\) project scratch: 0 apps/);
    const declined = await berth(['projects', 'delete', 'scratch'], { tty: true, input: 'no\n' });
    expect(declined.code).toBe(5);
    expect(await cli.server.dump()).toBe(before);

    const soft = await berth(['projects', 'delete', 'scratch'], { tty: true, input: 'yes\n' });
    expect(soft.code).toBe(0);
    expect(soft.stdout).toMatch(/deleted project scratch; restorable until 2026-11-08 12:00Z/);
    expect(await projects('deleted')).toEqual(['scratch']);
    const deleted = await berth(['projects', 'deleted']);
    expect(deleted.stdout).toMatch(/^scratch\s+\S+\s+2026-11-01 12:00Z\s+2026-11-08 12:00Z$/m);

    const restored = await berth(['projects', 'restore', 'scratch']);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toBe(
      'restored project scratch (0 apps, 0 jobs, 0 secrets, 0 config maps)\n',
    );
    expect(await projects('deleted')).toEqual([]);
    expect((await berth(['projects', 'restore', 'scratch'])).code).toBe(3);
  });

  it('delete --hard takes the typed project name, or --force; it is gone for good', async () => {
    const before = await cli.server.dump();
    const wrong = await berth(['projects', 'delete', 'billing', '--hard'], {
      tty: true,
      input: 'yes\n',
    });
    expect(wrong.code).toBe(5);
    expect(await cli.server.dump()).toBe(before);
    const typed = await berth(['projects', 'delete', 'billing', '--hard'], {
      tty: true,
      input: 'billing\n',
    });
    expect(typed.code).toBe(0);
    expect(typed.stdout).toMatch(/deleted project billing permanently/);
    const forced = await berth([
      'projects',
      'delete',
      'scratch',
      '--hard',
      '--force',
      '-o',
      'json',
    ]);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({
      permanent: true,
      project: { name: 'scratch' },
    });
    expect(await projects('active')).toEqual(['shop']);
    expect(await projects('deleted')).toEqual([]);
    expect((await berth(['projects', 'delete', 'nothing', '--force'])).code).toBe(3);
  });

  it('a region at its limit refuses the next project (exit 5) and names the deleted ones', async () => {
    for (let i = 0; i < 19; i++) {
      await cli.server
        .api()
        .post(apiPaths.projects())
        .send({ name: `filler-${i}`, region: 'local' })
        .expect(201);
    }
    const soft = await berth(['projects', 'delete', 'filler-0', '--force']);
    expect(soft.code).toBe(0);
    const before = await cli.server.dump();
    const refused = await berth(['projects', 'create', 'one-too-many']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/filler-0/);
    expect(await cli.server.dump()).toBe(before);
  });
});

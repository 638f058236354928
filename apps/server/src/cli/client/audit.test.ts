import { beforeAll, describe, expect, it } from 'vitest';
import { useBerthServer } from '../../testing/berth-cli.js';

describe('berth audit', () => {
  const cli = useBerthServer({ seed: 'trashed' });
  const { berth } = cli;

  beforeAll(async () => {
    await berth(['trash', 'restore', `team-alpha/web/app@${cli.reg.v1.digest}`]);
  });

  it('lists events newest first, filtered by action and namespace', async () => {
    const run = await berth(['audit', 'list', '--namespace', 'team-alpha']);
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^AT\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME$/);
    expect(rows[1]).toMatch(
      /^2026-11-01 12:00Z\s+key:admin\/\S+\s+image\.restore\s+team-alpha\/web\/app@sha256:\w+\s+success$/,
    );
    const json = await berth(['audit', 'list', '--action', 'image.restore', '-o', 'json']);
    const events = JSON.parse(json.stdout) as { action: string; target: string }[];
    expect(events.map((e) => e.action)).toEqual(['image.restore']);
    expect(events[0]!.target).toContain(cli.reg.v1.digest);
  });

  it('writes CSV with --csv', async () => {
    const run = await berth(['audit', 'list', '--action', 'image.restore', '--csv']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^time,actor,action,target,outcome,/);
    expect(lines).toHaveLength(2);
    expect((await berth(['audit', 'list', '--csv', '-o', 'json'])).code).toBe(2);
  });

  it('bad filters are exit 2', async () => {
    const outcome = await berth(['audit', 'list', '--outcome', 'maybe']);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/^berth: outcome: /);
    expect((await berth(['audit', 'list', '--from', 'yesterday'])).code).toBe(2);
  });
});

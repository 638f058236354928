import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { useBerthServer } from '../../testing/berth-cli.js';

describe('berth retention', () => {
  const cli = useBerthServer({ seed: 'small' });
  const { berth } = cli;

  const liveDigests = async () =>
    (
      (await cli.server.api().get(apiPaths.images('team-alpha', 'web/app')).expect(200)).body as {
        items: { digest: string }[];
      }
    ).items
      .map((i) => i.digest)
      .sort();

  it('policy get shows the defaults; policy set changes only what it is given', async () => {
    const got = await berth(['retention', 'policy', 'get', 'team-alpha']);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/^saved: +no \(defaults\)$/m);
    const set = await berth([
      'retention',
      'policy',
      'set',
      'team-alpha',
      '--keep',
      '5',
      '--retain-untagged',
      '--exclude-tag',
      'release-*',
      '-o',
      'json',
    ]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      keepCount: 5,
      retainUntagged: true,
      excludeTags: ['release-*'],
      saved: true,
    });
    const enable = await berth([
      'retention',
      'policy',
      'set',
      'team-alpha',
      '--enable',
      '--daily-at',
      '04:15',
      '-o',
      'json',
    ]);
    expect(JSON.parse(enable.stdout)).toMatchObject({
      keepCount: 5,
      enabled: true,
      dailyAt: '04:15',
    });

    const before = await cli.server.dump();
    for (const args of [
      ['--keep', 'many'],
      ['--keep', '-1'],
      ['--daily-at', '25:00'],
      ['--enable', '--disable'],
      ['--protect-unscanned-days', '0'],
    ]) {
      const bad = await berth(['retention', 'policy', 'set', 'team-alpha', ...args]);
      expect(bad.code, args.join(' ')).toBe(2);
    }
    expect(await cli.server.dump()).toBe(before);
    // An empty pattern breaks the contract's body schema: refused before anything is sent.
    const empty = await berth(['retention', 'policy', 'set', 'team-alpha', '--exclude-tag', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^berth: excludeTags\.0: patterns cannot be empty\n$/);
    expect(await cli.server.dump()).toBe(before);
  });

  it('preview prints the per-repository table and the preview id, changing nothing', async () => {
    const before = await cli.server.dump();
    const run = await berth([
      'retention',
      'preview',
      'team-alpha',
      '--keep',
      '1',
      '--no-retain-untagged',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.split('\n');
    expect(rows[0]).toMatch(/^REPOSITORY\s+IMAGES\s+KEEP\s+PROTECTED\s+DELETE\s+DELETE SIZE$/);
    expect(rows[1]).toMatch(/^web\/app\s+3\s+1\s+0\s+2\s+/);
    expect(rows[2]).toMatch(/^tools\s+1\s+1\s+0\s+0\s+/);
    expect(run.stdout).toMatch(/: 2 of 4 images would be deleted in 1 of 2 repositories/);
    const id = /^preview (\S+), valid until/m.exec(run.stdout)?.[1];
    expect(id).toBeTruthy();
    expect(run.stdout).toContain(`run it: berth retention run team-alpha --preview ${id}`);
    // Previews are recorded, but no image moved.
    expect(await liveDigests()).toEqual(
      [cli.reg.v2.digest, cli.reg.v1.digest, cli.reg.old.digest].sort(),
    );
    // The preview itself is recorded (it is what a run confirms); nothing else changed.
    const withoutPreviews = (dump: string) => {
      const tables = JSON.parse(dump) as Record<string, unknown>;
      delete tables.retention_previews;
      return JSON.stringify(tables);
    };
    expect(withoutPreviews(await cli.server.dump())).toBe(withoutPreviews(before));
  });

  it('run without --preview or --force, on no terminal, is exit 2; declined on a terminal, 5', async () => {
    const script = await berth([
      'retention',
      'run',
      'team-alpha',
      '--keep',
      '1',
      '--no-retain-untagged',
    ]);
    expect(script.code, script.stderr).toBe(2);
    expect(script.stderr).toMatch(/2 of 4 images would be deleted/);
    const declined = await berth(
      ['retention', 'run', 'team-alpha', '--keep', '1', '--no-retain-untagged'],
      { tty: true, input: 'no\n' },
    );
    expect(declined.code).toBe(5);
    expect(await liveDigests()).toHaveLength(3);
    const both = await berth(['retention', 'run', 'team-alpha', '--preview', '1', '--keep', '1']);
    expect(both.code).toBe(2);
  });

  it('run --preview confirms exactly that preview; runs lists it; restore-run undoes it', async () => {
    const preview = await berth([
      'retention',
      'preview',
      'team-alpha',
      '--keep',
      '1',
      '--no-retain-untagged',
      '-o',
      'json',
    ]);
    const { preview: p } = JSON.parse(preview.stdout) as { preview: { id: string } };
    const run = await berth(['retention', 'run', 'team-alpha', '--preview', p.id]);
    expect(run.code).toBe(0);
    const runId = /^retention run (\S+): moved 2 images/.exec(run.stdout)?.[1];
    expect(runId).toBeTruthy();
    expect(run.stdout).toContain(`undo: berth retention restore-run team-alpha ${runId}`);
    expect(await liveDigests()).toEqual([cli.reg.v2.digest]);
    const twice = await berth(['retention', 'run', 'team-alpha', '--preview', p.id]);
    expect(twice.code).toBe(5);

    const runs = await berth(['retention', 'runs', 'team-alpha']);
    expect(runs.stdout.split('\n')[1]).toMatch(
      new RegExp(`^${runId}\\s+preview\\s+succeeded\\s+.*\\s2\\s+.*\\s0\\s+2\\s+`),
    );
    const restored = await berth(['retention', 'restore-run', 'team-alpha', runId!]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/^restored 2 images of run /);
    expect(await liveDigests()).toHaveLength(3);
    expect((await berth(['retention', 'restore-run', 'team-alpha', 'abc'])).code).toBe(2);
    expect((await berth(['retention', 'restore-run', 'team-alpha', '999999'])).code).toBe(3);
  });

  it('run --force makes a preview and confirms it at once', async () => {
    const run = await berth([
      'retention',
      'run',
      'team-alpha',
      '--force',
      '--keep',
      '2',
      '--no-retain-untagged',
      '-o',
      'json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      run: { deletedImages: 1 },
      deleted: [{ digest: cli.reg.old.digest }],
    });
    expect(run.stderr).toMatch(/1 of 4 images would be deleted/);
    expect((await berth(['retention', 'runs', 'no-such-ns'])).code).toBe(3);
  });
});

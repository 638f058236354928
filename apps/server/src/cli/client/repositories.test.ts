import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { useBerthServer } from '../../testing/berth-cli.js';

describe('berth repos', () => {
  // One image per chunk: deleting web/app (3 images) becomes an operation the client follows.
  const cli = useBerthServer({ seed: 'small', env: { BERTH_BULK_CHUNK_IMAGES: '1' } });
  const { berth } = cli;

  it('lists repositories with counts and sizes, sorted as asked', async () => {
    const run = await berth(['repos', 'list', 'team-alpha']);
    expect(run.code).toBe(0);
    const rows = run.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^REPOSITORY\s+IMAGES\s+SIZE\s+LAST PUSHED$/);
    expect(rows.slice(1).map((r) => r.split(/\s{2,}/).slice(0, 2))).toEqual([
      ['tools', '1'],
      ['web/app', '3'],
    ]);
    expect(rows[1]).toMatch(/KiB\s+2026-10-29 12:00Z$/);
    const byImages = await berth([
      'repos',
      'list',
      'team-alpha',
      '--sort',
      'images',
      '--desc',
      '-o',
      'json',
    ]);
    expect((JSON.parse(byImages.stdout) as { name: string }[]).map((r) => r.name)).toEqual([
      'web/app',
      'tools',
    ]);
    const bad = await berth(['repos', 'list', 'team-alpha', '--sort', 'colour']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('berth: --sort takes name, images, size or pushed (got "colour")\n');
    const missing = await berth(['repos', 'list', 'no-such-ns']);
    expect(missing.code).toBe(3);
  });

  it('rm refuses without a terminal or --force, and when the name typed differs; nothing changes', async () => {
    const before = await cli.server.dump();
    const script = await berth(['repos', 'rm', 'team-alpha/web/app']);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(
      /^Moving 3 images \([\d.]+ KiB\) of team-alpha\/web\/app to the trash\.\n/,
    );
    const declined = await berth(['repos', 'rm', 'team-alpha/web/app'], {
      tty: true,
      input: 'web\n',
    });
    expect(declined.code).toBe(5);
    expect(await cli.server.dump()).toBe(before);
  });

  it('rm moves every image to the trash after the repository name is typed, or with --force (following the operation)', async () => {
    const typed = await berth(['repos', 'rm', 'team-alpha/tools'], { tty: true, input: 'tools\n' });
    expect(typed.code).toBe(0);
    expect(typed.stdout).toMatch(/moved 1 images \(.*\) of team-alpha\/tools to the trash/);
    const forced = await berth(['repos', 'rm', 'team-alpha/web/app', '--force', '-o', 'json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({
      images: 3,
      repositories: [{ name: 'web/app', images: 3 }],
    });
    const ops = await cli.server.api().get(apiPaths.operations()).expect(200);
    expect(
      (ops.body as { items: { kind: string; target: string; state: string }[] }).items,
    ).toContainEqual(
      expect.objectContaining({
        kind: 'repository.delete',
        target: 'team-alpha/web/app',
        state: 'succeeded',
        total: 3,
      }),
    );
    const trash = await cli.server.api().get(apiPaths.trash('team-alpha')).expect(200);
    expect((trash.body as { items: unknown[] }).items).toHaveLength(4);
  });

  it('bad and unknown repository names: exit 2 before any request, 3 from the server', async () => {
    for (const ref of ['team-alpha', 'team-alpha/', 'team-alpha/Web', 'x/app']) {
      const run = await berth(['repos', 'rm', ref, '--force']);
      expect(run.code, ref).toBe(2);
    }
    const gone = await berth(['repos', 'rm', 'team-beta/nothing', '--force']);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toBe('berth: repository team-beta/nothing does not exist\n');
  });
});

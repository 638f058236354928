import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { useBerthServer } from '../../testing/berth-cli.js';
import { pushArtifact } from '../../testing/registry-client.js';

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

  it('rm with several repositories: one preview, the namespace name typed, one bulk delete followed to its end', async () => {
    for (const seed of ['x1', 'x2']) await pushArtifact(cli.server, 'team-alpha/many/x', seed);
    await pushArtifact(cli.server, 'team-alpha/many/y', 'y1');
    const before = await cli.server.dump();
    const script = await berth(['repos', 'rm', 'team-alpha/many/x', 'team-alpha/many/y']);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(
      /^Moving 3 images \([\d.]+ K?i?B\) of 2 repositories of team-alpha to the trash:\nREPOSITORY +IMAGES +SIZE\nmany\/x +2 +[\d.]+ K?i?B\nmany\/y +1 +[\d.]+ K?i?B\ntotal +3 +[\d.]+ K?i?B\n/,
    );
    // Typing one repository's name is not enough for several: the namespace name is asked for.
    const declined = await berth(['repos', 'rm', 'team-alpha/many/x', 'team-alpha/many/y'], {
      tty: true,
      input: 'many/x\n',
    });
    expect(declined.code).toBe(5);
    expect(declined.stdout).toContain('Type the namespace name (team-alpha)');
    const mixed = await berth(['repos', 'rm', 'team-alpha/many/x', 'team-beta/db', '--force']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/^berth: all references must be in one namespace/);
    const unknown = await berth([
      'repos',
      'rm',
      'team-alpha/many/x',
      'team-alpha/many/zz',
      '--force',
    ]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe('berth: repository team-alpha/many/zz does not exist\n');
    const tooMany = Array.from({ length: 101 }, (_, i) => `team-alpha/many/r${i}`);
    const over = await berth(['repos', 'rm', ...tooMany, '--force']);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/^berth: 101 repositories: .*100/);
    expect(await cli.server.dump()).toBe(before);

    const typed = await berth(['repos', 'rm', 'team-alpha/many/x', 'team-alpha/many/y'], {
      tty: true,
      input: 'team-alpha\n',
    });
    expect(typed.code, typed.stdout).toBe(0);
    expect(typed.stdout).toMatch(
      /moved 2 images \([\d.]+ K?i?B\) of team-alpha\/many\/x to the trash\r?\nmoved 1 images \([\d.]+ K?i?B\) of team-alpha\/many\/y to the trash\r?\nmoved 3 images \([\d.]+ K?i?B\) of 2 repositories to the trash/,
    );
    // One image per chunk: the bulk delete ran as one operation over both repositories.
    const ops = await cli.server.api().get(apiPaths.operations()).expect(200);
    expect(
      (ops.body as { items: { kind: string; target: string; state: string }[] }).items,
    ).toContainEqual(
      expect.objectContaining({
        kind: 'repository.delete',
        target: 'team-alpha/many/x, team-alpha/many/y',
        state: 'succeeded',
        total: 3,
      }),
    );
    const left = await cli.server.api().get(apiPaths.repositories('team-alpha')).expect(200);
    expect((left.body as { items: { name: string }[] }).items.map((r) => r.name)).not.toContain(
      'many/x',
    );
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
